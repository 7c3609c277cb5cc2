//! `telephony.externalcall.attachRecord`: audio records of finished calls.

/// Downloads a record in URL mode. The host supplies one with
/// [`Engine::with_record_fetcher`](crate::Engine::with_record_fetcher); without one, the
/// engine records the URL only.
pub trait RecordFetcher: Send + Sync + std::fmt::Debug {
    /// The bytes at `url`, or the error text to report (e.g. `Server returns HTTP error code 404`).
    fn fetch(&self, url: &str) -> Result<Vec<u8>, String>;
}
