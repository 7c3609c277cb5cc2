//! `telephony.externalcall.attachRecord`: audio records of finished calls.
//!
//! A record comes either as a URL (`RECORD_URL`, downloaded by the host's [`RecordFetcher`]
//! when there is one) or as a file (`FILENAME` with base64 `FILE_CONTENT`, or announced
//! without content and uploaded later through [`Engine::complete_record_upload`]). Either way
//! the call must be finished, and the new record replaces the call's previous one on the
//! statistics row and on the CRM activity, in one transaction.
//!
//! Unlike Bitrix (contract D10), the extension is compared case-insensitively (`x.MP3` is
//! accepted) and the content must really be audio of that type ([`sniff_audio`]).

use crate::engine::Engine;
use crate::error::CallregError;
use crate::finish::MAX_RECORD_URL;
use crate::model::{CallAudio, CallRecord, PendingUpload};
use crate::store::{CrmStore, StoreError, StoreTx};
use crate::types::CallId;
use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use std::fmt::Write as _;

/// Downloads a record in URL mode. The host supplies one with
/// [`Engine::with_record_fetcher`](crate::Engine::with_record_fetcher); without one, the
/// engine records the URL only.
pub trait RecordFetcher: Send + Sync + std::fmt::Debug {
    /// The bytes at `url`, or the error text to report (e.g. `Server returns HTTP error code 404`).
    fn fetch(&self, url: &str) -> Result<Vec<u8>, String>;
}

/// The multipart field an upload URL expects the file in.
pub const UPLOAD_FIELD_NAME: &str = "file";

/// How long after a finish its record's download is retried, when the first attempt has not
/// attached the record (Bitrix's retry agent runs 60 seconds later).
pub const RECORD_RETRY_DELAY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// Downloads retried by one [`Engine::retry_record_downloads`] at most.
const RETRIES_PER_RUN: usize = 100;

/// An `attachRecord` as received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttachRecordRequest {
    /// `CALL_ID`.
    pub call_id: String,
    /// `RECORD_URL`; when non-empty it wins over `FILENAME` (URL mode).
    pub record_url: Option<String>,
    /// `FILENAME` (file mode, even when empty).
    pub filename: Option<String>,
    /// `FILE_CONTENT`, base64. Absent in file mode: the file is uploaded later.
    pub file_content: Option<String>,
}

impl AttachRecordRequest {
    /// A record given as a URL.
    pub fn url(call_id: impl Into<String>, url: impl Into<String>) -> Self {
        AttachRecordRequest {
            call_id: call_id.into(),
            record_url: Some(url.into()),
            ..AttachRecordRequest::default()
        }
    }

    /// A record given as a file with base64 content.
    pub fn file(
        call_id: impl Into<String>,
        filename: impl Into<String>,
        base64_content: impl Into<String>,
    ) -> Self {
        AttachRecordRequest {
            call_id: call_id.into(),
            filename: Some(filename.into()),
            file_content: Some(base64_content.into()),
            ..AttachRecordRequest::default()
        }
    }

    /// A file announced without content, to be uploaded later.
    pub fn announce(call_id: impl Into<String>, filename: impl Into<String>) -> Self {
        AttachRecordRequest {
            call_id: call_id.into(),
            filename: Some(filename.into()),
            ..AttachRecordRequest::default()
        }
    }
}

/// The result of an `attachRecord`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachRecordOutcome {
    /// The record is stored: `{"FILE_ID": file_id}`.
    Attached {
        /// `FILE_ID`: the id of the stored [`CallAudio`].
        file_id: u64,
    },
    /// No content was given: the client should POST the file as multipart field
    /// `field_name` to `upload_url` (`{"uploadUrl": ..., "fieldName": "file"}`).
    UploadRequired {
        /// `uploadUrl`: `<portal_url>/rest/upload.json?token=<token>`.
        upload_url: String,
        /// `fieldName`: always `file`.
        field_name: &'static str,
    },
}

/// The kinds of audio a record may be (Bitrix allows only these two extensions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioKind {
    /// RIFF/WAVE.
    Wav,
    /// MPEG audio (layer III), with or without an ID3 tag.
    Mp3,
}

impl AudioKind {
    /// The extension, lower case: `wav` or `mp3`.
    pub fn extension(self) -> &'static str {
        match self {
            AudioKind::Wav => "wav",
            AudioKind::Mp3 => "mp3",
        }
    }

    /// The kind a file name announces by its extension (the text after the last dot),
    /// compared case-insensitively (contract D10). `None` for any other extension, or none.
    ///
    /// ```
    /// use callreg_core::records::AudioKind;
    /// assert_eq!(AudioKind::of_file_name("call.MP3"), Some(AudioKind::Mp3));
    /// assert_eq!(AudioKind::of_file_name("call.wav.ogg"), None);
    /// ```
    pub fn of_file_name(name: &str) -> Option<AudioKind> {
        let (_, extension) = name.rsplit_once('.')?;
        if extension.eq_ignore_ascii_case("wav") {
            Some(AudioKind::Wav)
        } else if extension.eq_ignore_ascii_case("mp3") {
            Some(AudioKind::Mp3)
        } else {
            None
        }
    }
}

/// What the content looks like (contract D10): WAV when bytes 0..4 are `RIFF` and 8..12 are
/// `WAVE`; MP3 when it starts with an `ID3` tag or an MPEG frame sync (eleven set bits).
/// `None` for anything else, including input too short to tell. Never panics.
///
/// ```
/// use callreg_core::records::{AudioKind, sniff_audio};
/// assert_eq!(sniff_audio(b"RIFF\x24\0\0\0WAVEfmt "), Some(AudioKind::Wav));
/// assert_eq!(sniff_audio(b"ID3\x04\0\0\0\0\0\0"), Some(AudioKind::Mp3));
/// assert_eq!(sniff_audio(b"OggS"), None);
/// ```
pub fn sniff_audio(bytes: &[u8]) -> Option<AudioKind> {
    match bytes {
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'A', b'V', b'E', ..] => Some(AudioKind::Wav),
        [b'I', b'D', b'3', ..] => Some(AudioKind::Mp3),
        [0xFF, second, ..] if second & 0xE0 == 0xE0 => Some(AudioKind::Mp3),
        _ => None,
    }
}

/// Standard alphabet; padding optional (any trailing `=` is dropped first) and stray bits in
/// the last symbol ignored, as PHP's `base64_decode` does.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes `FILE_CONTENT` as Bitrix reads it, refusing it before decoding when it would
/// exceed `limit` bytes.
///
/// `""` and `"false"` (what PHP clients send for a failed `file_get_contents`) are
/// [`FileContentEmpty`](CallregError::FileContentEmpty); ASCII whitespace (line breaks of
/// MIME-wrapped base64) is ignored; anything else outside the standard alphabet is
/// [`FileContentNotBase64`](CallregError::FileContentNotBase64) (PHP silently drops such
/// characters, which turns garbage into garbage audio). Content decoding to nothing is empty.
pub fn decode_file_content(content: &str, limit: usize) -> Result<Vec<u8>, CallregError> {
    if content.is_empty() || content == "false" {
        return Err(CallregError::FileContentEmpty);
    }
    let symbols = content.bytes().filter(|b| !b.is_ascii_whitespace() && *b != b'=').count();
    // Four symbols carry three bytes; a trailing group of 2 or 3 symbols carries 1 or 2.
    let decoded_len = symbols / 4 * 3 + (symbols % 4) * 3 / 4;
    if decoded_len > limit {
        return Err(CallregError::FileTooLarge { limit });
    }
    let mut compact: Vec<u8> = content.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    while compact.last() == Some(&b'=') {
        compact.pop();
    }
    let bytes = LENIENT_BASE64.decode(&compact).map_err(|_| CallregError::FileContentNotBase64)?;
    if bytes.is_empty() {
        return Err(CallregError::FileContentEmpty);
    }
    Ok(bytes)
}

/// Checks a record's bytes against its file name: the extension must be wav or mp3
/// (case-insensitively), the size within `limit`, the content non-empty and audio of the
/// extension's kind.
pub fn check_record_file(file_name: &str, bytes: &[u8], limit: usize) -> Result<(), CallregError> {
    let kind = kind_of_file_name(file_name)?;
    check_record_bytes(kind, bytes, limit)
}

/// The kind announced by a `FILENAME`: empty is `File name is empty`, another extension
/// `Wrong file extension`.
fn kind_of_file_name(file_name: &str) -> Result<AudioKind, CallregError> {
    if file_name.is_empty() {
        return Err(CallregError::FileNameEmpty);
    }
    AudioKind::of_file_name(file_name).ok_or(CallregError::WrongFileExtension)
}

fn check_record_bytes(kind: AudioKind, bytes: &[u8], limit: usize) -> Result<(), CallregError> {
    if bytes.len() > limit {
        return Err(CallregError::FileTooLarge { limit });
    }
    if bytes.is_empty() {
        return Err(CallregError::FileContentEmpty);
    }
    if sniff_audio(bytes) != Some(kind) {
        return Err(CallregError::FileContentMismatch(kind.extension()));
    }
    Ok(())
}

/// The last segment of a URL's path, without query or fragment (`""` when the path is empty).
///
/// ```
/// use callreg_core::records::url_file_name;
/// assert_eq!(url_file_name("https://pbx.example.com/rec/call-1.mp3?sig=x"), "call-1.mp3");
/// assert_eq!(url_file_name("https://pbx.example.com"), "");
/// ```
pub fn url_file_name(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    let without_query = url.get(..end).unwrap_or(url);
    let path = match without_query.split_once("://") {
        Some((_, rest)) => rest.find('/').and_then(|i| rest.get(i..)).unwrap_or(""),
        None => without_query,
    };
    path.rsplit('/').next().unwrap_or("")
}

/// Where a record comes from, once the mode is decided.
enum RecordSource<'a> {
    Url { url: &'a str, filename: Option<&'a str> },
    File { filename: &'a str, content: Option<&'a str> },
}

impl<'a> RecordSource<'a> {
    /// Bitrix's dispatch: a non-empty `RECORD_URL` is URL mode (even with `FILENAME`), else a
    /// `FILENAME` (even empty) is file mode.
    fn of(request: &'a AttachRecordRequest) -> Result<Self, CallregError> {
        if let Some(url) = request.record_url.as_deref().filter(|u| !u.is_empty()) {
            let filename = request.filename.as_deref().filter(|f| !f.is_empty());
            return Ok(RecordSource::Url { url, filename });
        }
        match request.filename.as_deref() {
            Some(filename) => {
                Ok(RecordSource::File { filename, content: request.file_content.as_deref() })
            }
            None => Err(CallregError::RecordSourceMissing),
        }
    }
}

/// A record ready to store.
struct NewRecord {
    file_name: String,
    content: Option<Vec<u8>>,
    url: Option<String>,
}

impl<S: CrmStore> Engine<S> {
    /// Attaches a record to a finished call (`telephony.externalcall.attachRecord`).
    ///
    /// Checks, in order: the mode (a non-empty `RECORD_URL`, else `FILENAME`, else
    /// `Required parameters are not set...`), that the call is finished, then per mode:
    /// - file mode: no `FILE_CONTENT` announces an upload ([`AttachRecordOutcome::UploadRequired`],
    ///   completed by [`complete_record_upload`](Self::complete_record_upload)); otherwise the
    ///   file name, its extension (wav/mp3, any case), the content (non-empty, within
    ///   `record_max_bytes`, base64) and that the content is audio of that extension;
    /// - URL mode: the URL's length; with a [`RecordFetcher`], the download and the same
    ///   checks against `FILENAME` or the URL's last path segment; without one, only the URL
    ///   is recorded.
    ///
    /// The record then replaces the call's previous one (deleted) on the statistics row and
    /// the CRM activity, all in one transaction. No auth check: Bitrix has none.
    pub fn attach_record(
        &self,
        request: &AttachRecordRequest,
    ) -> Result<AttachRecordOutcome, CallregError> {
        let source = RecordSource::of(request)?;
        let call_id = CallId::new(request.call_id.as_str());
        self.finished_call(&call_id)?;
        let limit = self.config().record_max_bytes;
        let record = match source {
            RecordSource::File { filename, content: None } => {
                return self.announce_upload(&call_id, filename);
            }
            RecordSource::File { filename, content: Some(content) } => {
                let kind = kind_of_file_name(filename)?;
                let bytes = decode_file_content(content, limit)?;
                check_record_bytes(kind, &bytes, limit)?;
                NewRecord { file_name: filename.to_string(), content: Some(bytes), url: None }
            }
            RecordSource::Url { url, filename } => {
                if url.chars().count() > MAX_RECORD_URL {
                    return Err(CallregError::TooLong {
                        param: "RECORD_URL",
                        limit: MAX_RECORD_URL,
                    });
                }
                let file_name = filename.unwrap_or_else(|| url_file_name(url));
                let content = match self.record_fetcher() {
                    Some(fetcher) => {
                        let bytes =
                            fetcher.fetch(url).map_err(CallregError::RecordDownloadFailed)?;
                        check_record_file(file_name, &bytes, limit)?;
                        Some(bytes)
                    }
                    None => None,
                };
                NewRecord { file_name: file_name.to_string(), content, url: Some(url.to_string()) }
            }
        };
        let file_id = self.attach_to_finished_call(&call_id, record)?;
        Ok(AttachRecordOutcome::Attached { file_id })
    }

    /// Downloads a finished call's `RECORD_URL` with the host's fetcher and attaches it, as
    /// `finish` does once it has committed. `None` without a fetcher, when the download fails
    /// or the content is no audio (Bitrix's download after finish fails silently too); the
    /// finish's pending download then stays for [`retry_record_downloads`](Self::retry_record_downloads).
    pub(crate) fn download_record_of_finished_call(
        &self,
        call_id: &CallId,
        url: &str,
    ) -> Option<u64> {
        let record = self.fetch_record(url)?;
        self.attach_download(call_id, record).ok().flatten()
    }

    /// Attaches a downloaded record when the call's download is still pending, and forgets
    /// the download, in one transaction; `None` when it was not pending (attached already by
    /// `attachRecord`, or by another process's retry): the record then stays as it is.
    fn attach_download(
        &self,
        call_id: &CallId,
        record: NewRecord,
    ) -> Result<Option<u64>, CallregError> {
        self.in_transaction(|tx| {
            if tx.take_record_download(call_id)?.is_none() {
                return Ok(None);
            }
            let call = finished_call_in(tx, call_id)?;
            self.store_record(tx, call, record).map(Some)
        })
    }

    /// Forgets a call's pending download.
    fn forget_download(&self, call_id: &CallId) -> Result<(), CallregError> {
        self.in_transaction(|tx| {
            tx.take_record_download(call_id)?;
            Ok(())
        })
    }

    /// The record at `url`, fetched with the host's fetcher and checked: named by the URL's
    /// last path segment, or, when that is no `.wav` / `.mp3` name (`.../rec?id=7`),
    /// `record.<kind>` of the kind its content shows. `None` without a fetcher, when the
    /// download fails or the content is no audio.
    fn fetch_record(&self, url: &str) -> Option<NewRecord> {
        let fetcher = self.record_fetcher()?;
        let bytes = fetcher.fetch(url).ok()?;
        let named = url_file_name(url);
        let file_name = match AudioKind::of_file_name(named) {
            Some(_) => named.to_string(),
            None => format!("record.{}", sniff_audio(&bytes)?.extension()),
        };
        check_record_file(&file_name, &bytes, self.config().record_max_bytes).ok()?;
        Some(NewRecord { file_name, content: Some(bytes), url: Some(url.to_string()) })
    }

    /// Retries the record downloads that are due: those of finishes whose first attempt did
    /// not attach the record, a minute ([`RECORD_RETRY_DELAY`]) after the finish, as Bitrix's
    /// retry agent does. Each is tried once more and then forgotten, attached or not (a
    /// failed download stays silent, the call finished with its URL); one whose call got a
    /// record meanwhile (`attachRecord`, an upload) keeps that record. Returns how many
    /// records it attached; at most 100 downloads a run, the earliest due first.
    ///
    /// The engine has no timer of its own: a host with a [`RecordFetcher`] calls this now
    /// and then (every few seconds, or a minute after each finish with a `RECORD_URL`).
    /// Without a fetcher there is nothing to download, and the queue is left as it is.
    /// Several processes may call it on one store: each may download a due record, and one
    /// of them attaches it. A store failure ends the run with the error; the download it
    /// was attaching stays queued for the next run.
    pub fn retry_record_downloads(&self) -> Result<usize, CallregError> {
        if self.record_fetcher().is_none() {
            return Ok(0);
        }
        let due = self.read(|tx| tx.due_record_downloads(self.now(), RETRIES_PER_RUN))?;
        let mut attached = 0;
        for download in due {
            // Fetched outside any transaction: a download takes as long as the network does.
            let Some(record) = self.fetch_record(&download.url) else {
                self.forget_download(&download.call_id)?;
                continue;
            };
            match self.attach_download(&download.call_id, record) {
                Ok(Some(_)) => attached += 1,
                Ok(None) => {}
                // No statistics row to attach to: nothing a later run could do either.
                Err(CallregError::CallNotFinished) => self.forget_download(&download.call_id)?,
                Err(e) => return Err(e),
            }
        }
        Ok(attached)
    }

    /// Stores `record` as the finished call's record, in one transaction, and forgets the
    /// call's pending download (the record attached is the call's from now on); its `FILE_ID`.
    fn attach_to_finished_call(
        &self,
        call_id: &CallId,
        record: NewRecord,
    ) -> Result<u64, CallregError> {
        self.in_transaction(|tx| {
            let call = finished_call_in(tx, call_id)?;
            tx.take_record_download(call_id)?;
            self.store_record(tx, call, record)
        })
    }

    /// Completes an upload announced by [`attach_record`](Self::attach_record) without content:
    /// the host's HTTP layer receives the multipart `file` field at the upload URL and calls
    /// this with the URL's `token`. Returns `FILE_ID`.
    ///
    /// The token is single-use: unknown or used tokens get
    /// [`UploadNotFound`](CallregError::UploadNotFound). The bytes are checked against the
    /// announced file name like `FILE_CONTENT`; a refused upload changes nothing, so the token
    /// stays valid for a retry.
    pub fn complete_record_upload(&self, token: &str, content: &[u8]) -> Result<u64, CallregError> {
        let limit = self.config().record_max_bytes;
        self.in_transaction(|tx| {
            let upload = tx.take_upload(token)?.ok_or(CallregError::UploadNotFound)?;
            check_record_file(&upload.file_name, content, limit)?;
            let call = finished_call_in(tx, &upload.call_id)?;
            // The record uploaded is the call's: a pending download must not replace it.
            tx.take_record_download(&upload.call_id)?;
            let record = NewRecord {
                file_name: upload.file_name,
                content: Some(content.to_vec()),
                url: None,
            };
            self.store_record(tx, call, record)
        })
    }

    /// The audio record with this `FILE_ID`, if it exists (a replaced record does not).
    pub fn call_audio(&self, file_id: u64) -> Result<Option<CallAudio>, CallregError> {
        self.read(|tx| tx.audio(file_id))
    }

    /// Refuses a call without a statistics row (checked before the heavy work of decoding or
    /// downloading, and again when storing).
    fn finished_call(&self, call_id: &CallId) -> Result<CallRecord, CallregError> {
        self.in_transaction(|tx| finished_call_in(tx, call_id))
    }

    fn announce_upload(
        &self,
        call_id: &CallId,
        filename: &str,
    ) -> Result<AttachRecordOutcome, CallregError> {
        let token = new_upload_token()?;
        let upload = PendingUpload {
            token: token.clone(),
            call_id: call_id.clone(),
            file_name: filename.to_string(),
            created_at: self.now(),
        };
        self.in_transaction(|tx| {
            finished_call_in(tx, call_id)?;
            Ok(tx.insert_upload(&upload)?)
        })?;
        let portal_url = self.config().portal_url.trim_end_matches('/');
        Ok(AttachRecordOutcome::UploadRequired {
            upload_url: format!("{portal_url}/rest/upload.json?token={token}"),
            field_name: UPLOAD_FIELD_NAME,
        })
    }

    /// Stores `record` as the call's record: the previous one is deleted, and the statistics
    /// row and the activity point to the new one. Returns the new `FILE_ID`.
    fn store_record(
        &self,
        tx: &mut dyn StoreTx,
        mut call: CallRecord,
        record: NewRecord,
    ) -> Result<u64, CallregError> {
        let audio = CallAudio {
            id: 0,
            call_id: call.call_id.clone(),
            file_name: record.file_name,
            content: record.content,
            url: record.url.clone(),
            attached_at: self.now(),
        };
        let file_id = tx.insert_audio(&audio)?;
        if let Some(previous) = call.record_id {
            tx.delete_audio(previous)?;
        }
        call.record_id = Some(file_id);
        if let Some(url) = record.url {
            call.record_url = Some(url);
        }
        if !tx.update_call_record(&call)? {
            return Err(CallregError::CallNotFinished);
        }
        if let Some(activity_id) = call.activity_id
            && let Some(mut activity) = tx.activity(activity_id)?
        {
            activity.record_id = Some(file_id);
            tx.update_activity(&activity)?;
        }
        Ok(file_id)
    }
}

fn finished_call_in(tx: &mut dyn StoreTx, call_id: &CallId) -> Result<CallRecord, CallregError> {
    tx.call_record(call_id)?.ok_or(CallregError::CallNotFinished)
}

/// 16 bytes from the operating system's secure random source, as lowercase hex.
fn new_upload_token() -> Result<String, CallregError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| {
        CallregError::Store(StoreError::other(format!("no secure random bytes for a token: {e}")))
    })?;
    let mut token = String::with_capacity(32);
    for b in bytes {
        let _ = write!(token, "{b:02x}");
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_wav_and_mp3_by_their_magic() {
        assert_eq!(sniff_audio(b"RIFF\0\0\0\0WAVE"), Some(AudioKind::Wav));
        assert_eq!(sniff_audio(b"RIFF\x24\x08\0\0WAVEfmt \x10"), Some(AudioKind::Wav));
        assert_eq!(sniff_audio(b"ID3"), Some(AudioKind::Mp3));
        assert_eq!(sniff_audio(&[0xFF, 0xFB, 0x90, 0x64]), Some(AudioKind::Mp3));
        assert_eq!(sniff_audio(&[0xFF, 0xE0]), Some(AudioKind::Mp3));
    }

    #[test]
    fn sniff_refuses_other_or_short_content() {
        for bytes in [
            &b""[..],
            b"R",
            b"RIFF\0\0\0\0WAV",
            b"RIFF\0\0\0\0AVI ",
            b"riff\0\0\0\0wave",
            b"ID",
            b"id3",
            b"OggS\0\x02",
            b"fLaC",
            &[0xFF],
            &[0xFF, 0xD0],
            &[0xFE, 0xFB],
        ] {
            assert_eq!(sniff_audio(bytes), None, "{bytes:?}");
        }
    }

    #[test]
    fn extension_is_after_the_last_dot_in_any_case() {
        assert_eq!(AudioKind::of_file_name("a.wav"), Some(AudioKind::Wav));
        assert_eq!(AudioKind::of_file_name("a.WaV"), Some(AudioKind::Wav));
        assert_eq!(AudioKind::of_file_name("a.b.Mp3"), Some(AudioKind::Mp3));
        assert_eq!(AudioKind::of_file_name(".mp3"), Some(AudioKind::Mp3));
        for bad in ["wav", "mp3", "a.ogg", "a.mp3.ogg", "a.wav ", "a.", ""] {
            assert_eq!(AudioKind::of_file_name(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn file_name_checks_in_bitrix_order() {
        let wav = b"RIFF\0\0\0\0WAVEdata";
        assert!(matches!(check_record_file("", wav, 100), Err(CallregError::FileNameEmpty)));
        assert!(matches!(
            check_record_file("a.ogg", b"", 100),
            Err(CallregError::WrongFileExtension)
        ));
        assert!(matches!(
            check_record_file("a.wav", wav, 3),
            Err(CallregError::FileTooLarge { limit: 3 })
        ));
        assert!(matches!(
            check_record_file("a.wav", b"", 100),
            Err(CallregError::FileContentEmpty)
        ));
        assert!(matches!(
            check_record_file("a.mp3", wav, 100),
            Err(CallregError::FileContentMismatch("mp3"))
        ));
        assert!(check_record_file("a.WAV", wav, wav.len()).is_ok());
    }

    #[test]
    fn decodes_like_php_base64_decode() -> Result<(), CallregError> {
        assert_eq!(decode_file_content("aGVsbG8=", 100)?, b"hello");
        assert_eq!(decode_file_content("aGVsbG8", 100)?, b"hello");
        assert_eq!(decode_file_content("aGVs\r\nbG8=\n", 100)?, b"hello");
        assert_eq!(decode_file_content(" aGVsbG8 = ", 100)?, b"hello");
        // Stray bits in the last symbol are ignored, as PHP does.
        assert_eq!(decode_file_content("aGVsbG9=", 100)?, b"hello");
        Ok(())
    }

    #[test]
    fn refuses_empty_and_malformed_content() {
        for empty in ["", "false", " \n", "===="] {
            assert!(
                matches!(decode_file_content(empty, 100), Err(CallregError::FileContentEmpty)),
                "{empty:?}"
            );
        }
        for bad in ["!!!", "aGVs-G8=", "aGVsbG8_", "a", "aG=Vs", "aGVsbG8=é"] {
            assert!(
                matches!(decode_file_content(bad, 100), Err(CallregError::FileContentNotBase64)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn size_is_refused_before_decoding_and_exact_at_the_limit() {
        // 8 symbols are 6 bytes, 7 are 5: the estimate is exact, padding and whitespace aside.
        assert!(decode_file_content("aGVsbG8h", 6).is_ok());
        assert!(decode_file_content("aGVsbG8=\n", 5).is_ok());
        assert!(matches!(
            decode_file_content("aGVsbG8=", 4),
            Err(CallregError::FileTooLarge { limit: 4 })
        ));
        // Too large is reported even when the content would not decode.
        assert!(matches!(
            decode_file_content("!!!!!!!!!!!!", 4),
            Err(CallregError::FileTooLarge { limit: 4 })
        ));
    }

    #[test]
    fn url_file_name_is_the_last_path_segment() {
        assert_eq!(url_file_name("https://h/rec/a.mp3"), "a.mp3");
        assert_eq!(url_file_name("https://h/rec/a.mp3?x=/b.wav#c"), "a.mp3");
        assert_eq!(url_file_name("https://h/a.wav#frag"), "a.wav");
        assert_eq!(url_file_name("https://h.wav"), "");
        assert_eq!(url_file_name("https://h/dir/"), "");
        assert_eq!(url_file_name("rec/a.wav"), "a.wav");
        assert_eq!(url_file_name(""), "");
    }

    #[test]
    fn upload_tokens_are_32_hex_and_differ() -> Result<(), CallregError> {
        let a = new_upload_token()?;
        let b = new_upload_token()?;
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
        Ok(())
    }
}
