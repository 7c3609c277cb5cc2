//! Atomicity under store faults: a command that fails at any write leaves the store exactly
//! as it was (contract D3).

use super::faults::FailingStore;
use super::kit::Portal;
use crate::Auth;
use crate::finish::FinishRequest;
use crate::register::RegisterRequest;
use crate::store::CrmStore;

/// The atomicity cases, for [`conformance_tests!`](crate::conformance_tests).
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_atomicity_cases {
    ($make_store:expr) => {
        $crate::__conformance_module!(constructor atomicity, $make_store, [
            register_failing_at_any_write_changes_nothing,
            finish_failing_at_any_write_changes_nothing,
            record_download_retry_failing_at_any_write_keeps_the_download,
        ]);
    };
}

fn state<S: CrmStore>(portal: &Portal<FailingStore<S>>) -> String {
    portal.engine.read(super::integrity::snapshot).expect("store readable")
}

/// Fails the n-th write of `command` for n = 1, 2, ... until it succeeds; after every
/// failure the store must be unchanged. Returns how many failures were injected.
fn fail_every_write<S: CrmStore, T>(
    portal: &Portal<FailingStore<S>>,
    command: impl Fn() -> Result<T, crate::CallregError>,
) -> usize {
    let before = state(portal);
    for n in 1..200 {
        portal.engine.store().fail_write(n);
        let result = command();
        let failed = portal.engine.store().failed();
        portal.engine.store().heal();
        match result {
            Ok(_) => {
                assert!(!failed, "write {n} failed but the command reported success");
                return n - 1;
            }
            Err(e) => {
                assert!(failed, "the command failed without an injected fault: {e}");
                assert_eq!(e.code(), "INTERNAL_SERVER_ERROR");
                assert_eq!(state(portal), before, "failure at write {n} left changes behind");
            }
        }
    }
    panic!("the command never succeeded");
}

/// register (line, lead, call, events) failing at each write stores nothing.
pub fn register_failing_at_any_write_changes_nothing<S: CrmStore>(make: &dyn Fn() -> S) {
    let portal = Portal::new(FailingStore::new(make()));
    portal.given_contact("Known", &["+7 812 000-00-00"]);
    let request =
        RegisterRequest::incoming(1, "+7 495 123-45-67").crm_create(true).line("74951112233");
    let faults =
        fail_every_write(&portal, || portal.engine.register(&Auth::app(1, "pbx"), &request));
    // The line, the lead and its phones, the call, its events (written together).
    assert!(faults >= 5, "only {faults} writes were exercised");
    assert_eq!(portal.leads().len(), 1, "the successful attempt created exactly one lead");
    assert_eq!(portal.active_calls().len(), 1);
}

/// finish (reassignment, activity, statistics, missed call, removal, events) failing at each
/// write stores nothing and leaves the call active.
pub fn finish_failing_at_any_write_changes_nothing<S: CrmStore>(make: &dyn Fn() -> S) {
    let portal = Portal::new(FailingStore::new(make()));
    let operator = portal.given_employee("101", None);
    let call =
        portal.registered(&RegisterRequest::incoming(1, "+7 495 123-45-67").crm_create(true));
    let mut request =
        FinishRequest::new(call.call_id.as_str(), i64::try_from(operator.0).unwrap_or(0), 0);
    request.add_to_chat = true;
    request.status_code = Some("304".into());
    let faults = fail_every_write(&portal, || portal.engine.finish(&Auth::webhook(1), &request));
    assert!(faults >= 7, "only {faults} writes were exercised");
    assert!(portal.active_calls().is_empty());
    assert_eq!(portal.engine.call_records().expect("readable").len(), 1);
    assert_eq!(portal.engine.missed_calls().expect("readable").len(), 1);
    assert_eq!(portal.lead(call.created_lead.expect("lead")).assigned_by, operator);
}

/// A record server that is down until told otherwise, then serves an MP3 at every URL.
#[derive(Debug, Default)]
struct RecordServer {
    up: std::sync::atomic::AtomicBool,
}

impl crate::records::RecordFetcher for RecordServer {
    fn fetch(&self, _url: &str) -> Result<Vec<u8>, String> {
        if !self.up.load(std::sync::atomic::Ordering::SeqCst) {
            return Err("Server returns HTTP error code 503".into());
        }
        let mut mp3 = vec![0xFF, 0xFB, 0x90, 0x64];
        mp3.resize(64, 0x55);
        Ok(mp3)
    }
}

/// A finish with a `RECORD_URL` (which also queues its download) failing at each write stores
/// nothing; its download failing, the retry a minute later failing at each write keeps the
/// download queued, and attaches the record once it succeeds.
pub fn record_download_retry_failing_at_any_write_keeps_the_download<S: CrmStore>(
    make: &dyn Fn() -> S,
) {
    let server = std::sync::Arc::new(RecordServer::default());
    let clock = std::sync::Arc::new(crate::clock::ManualClock::new(super::kit::start_time()));
    let engine = crate::engine::Engine::with_clock(
        FailingStore::new(make()),
        crate::config::EngineConfig::default(),
        clock.clone(),
    )
    .expect("a new portal starts")
    .with_record_fetcher(server.clone());
    let portal = Portal { engine: std::sync::Arc::new(engine), clock };
    let call =
        portal.registered(&RegisterRequest::incoming(1, "+7 495 123-45-67").crm_create(true));
    let mut request = FinishRequest::new(call.call_id.as_str(), 1, 30);
    request.record_url = Some("https://pbx.example.com/rec/call.mp3".into());
    let faults = fail_every_write(&portal, || portal.engine.finish(&Auth::webhook(1), &request));
    assert!(faults >= 5, "only {faults} writes were exercised");
    let queued = |portal: &Portal<FailingStore<S>>| {
        let whenever = super::kit::start_time() + chrono::Duration::days(36_500);
        portal.engine.read(|tx| tx.due_record_downloads(whenever, 10)).expect("readable").len()
    };
    assert_eq!(queued(&portal), 1, "the finish queued its download");
    server.up.store(true, std::sync::atomic::Ordering::SeqCst);
    portal.advance_minutes(1);
    let faults = fail_every_write(&portal, || portal.engine.retry_record_downloads());
    assert!(faults >= 3, "only {faults} writes were exercised");
    assert_eq!(queued(&portal), 0);
    let record = portal.engine.call_record(&call.call_id).expect("readable").expect("finished");
    assert!(record.record_id.is_some(), "the retry attached the record");
}
