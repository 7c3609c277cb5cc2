//! Conformance cases of `telephony.externalcall.attachRecord` and
//! `telephony.call.attachTranscription`.

use super::kit::{Portal, assert_refused, start_time};
use crate::Auth;
use crate::clock::ManualClock;
use crate::config::EngineConfig;
use crate::engine::Engine;
use crate::finish::FinishRequest;
use crate::model::{Activity, CallAudio, CallRecord, Transcript};
use crate::records::{AttachRecordOutcome, AttachRecordRequest, RecordFetcher};
use crate::register::RegisterRequest;
use crate::store::CrmStore;
use crate::transcripts::{RawTranscriptMessage, TranscriptRequest};
use crate::types::CallId;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The records cases, for [`conformance_tests!`](crate::conformance_tests).
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_records_cases {
    ($make_store:expr) => {
        $crate::__conformance_module!(store records, $make_store, [
            attach_record_needs_a_finished_call,
            attach_record_needs_url_or_filename,
            filename_without_content_announces_an_upload,
            refused_upload_can_be_retried,
            extension_is_wav_or_mp3_in_any_case,
            content_must_match_the_extension,
            file_content_must_be_base64,
            records_over_the_size_limit_are_refused,
            new_record_replaces_the_old,
            url_without_fetcher_records_the_url,
            url_with_fetcher_stores_the_download,
            finish_downloads_its_record_url,
            failed_record_downloads_are_retried_once_a_minute_later,
            record_downloads_are_remembered_only_with_a_fetcher,
            refused_attach_changes_nothing,
            transcription_checks_in_bitrix_order,
            transcription_needs_a_finished_call,
            every_transcription_is_new_and_the_latest_wins,
            transcription_limits_are_checked,
        ]);
    };
}

const PORTAL_URL: &str = "https://crm.example.com";

// ---- audio samples ---------------------------------------------------------------------

/// A RIFF/WAVE file of `len` bytes (at least 12).
fn wav(len: usize) -> Vec<u8> {
    let mut bytes = b"RIFF".to_vec();
    bytes.extend_from_slice(&u32::try_from(len.saturating_sub(8)).unwrap_or(0).to_le_bytes());
    bytes.extend_from_slice(b"WAVE");
    bytes.resize(len.max(12), 0);
    bytes
}

/// An MP3 starting with an MPEG frame header.
fn mp3() -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFB, 0x90, 0x64];
    bytes.resize(64, 0x55);
    bytes
}

/// An MP3 starting with an ID3v2 tag.
fn mp3_with_tag() -> Vec<u8> {
    let mut bytes = b"ID3\x04\x00\x00\x00\x00\x00\x00".to_vec();
    bytes.extend_from_slice(&mp3());
    bytes
}

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

// ---- helpers ---------------------------------------------------------------------------

fn portal<S: CrmStore>(store: S) -> Portal<S> {
    Portal::with_config(store, config())
}

fn config() -> EngineConfig {
    EngineConfig { portal_url: PORTAL_URL.into(), ..EngineConfig::default() }
}

/// A portal whose engine downloads records with `fetcher`.
fn portal_with_fetcher<S: CrmStore>(
    store: S,
    config: EngineConfig,
    fetcher: Arc<TestFetcher>,
) -> Portal<S> {
    let clock = Arc::new(ManualClock::new(start_time()));
    let engine = Engine::with_clock(store, config, clock.clone())
        .expect("a new portal starts")
        .with_record_fetcher(fetcher);
    Portal { engine: Arc::new(engine), clock }
}

/// Serves fixed answers by URL; any other URL is a 404. Counts its downloads. During an
/// outage, the next downloads fail whatever the URL.
#[derive(Debug, Default)]
struct TestFetcher {
    answers: Vec<(String, Result<Vec<u8>, String>)>,
    downloads: AtomicUsize,
    outage: AtomicUsize,
}

impl TestFetcher {
    fn serving(answers: Vec<(&str, Result<Vec<u8>, String>)>) -> Arc<Self> {
        let answers = answers.into_iter().map(|(url, answer)| (url.to_string(), answer)).collect();
        Arc::new(TestFetcher { answers, ..TestFetcher::default() })
    }

    /// The next `downloads` downloads fail.
    fn fail_next(&self, downloads: usize) {
        self.outage.store(downloads, Ordering::SeqCst);
    }

    fn downloads(&self) -> usize {
        self.downloads.load(Ordering::SeqCst)
    }
}

impl RecordFetcher for TestFetcher {
    fn fetch(&self, url: &str) -> Result<Vec<u8>, String> {
        self.downloads.fetch_add(1, Ordering::SeqCst);
        let in_outage =
            self.outage.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if in_outage.is_ok() {
            return Err("Server returns HTTP error code 503".into());
        }
        self.answers
            .iter()
            .find(|(known, _)| known == url)
            .map(|(_, answer)| answer.clone())
            .unwrap_or_else(|| Err("Server returns HTTP error code 404".into()))
    }
}

/// A call from `number` (auto-created as a lead, so finishing it creates an activity) that is
/// registered but not finished.
fn active_call<S: CrmStore>(portal: &Portal<S>, number: &str) -> CallId {
    portal.registered(&RegisterRequest::incoming(1, number).crm_create(true)).call_id
}

/// A call from `number`, registered and finished with an activity.
fn finished_call<S: CrmStore>(portal: &Portal<S>, number: &str) -> CallId {
    let call_id = active_call(portal, number);
    let outcome = portal
        .engine
        .finish(&Auth::webhook(1), &FinishRequest::new(call_id.as_str(), 1, 30))
        .expect("finished");
    assert!(outcome.record.activity_id.is_some(), "the finish created an activity");
    call_id
}

fn statistics<S: CrmStore>(portal: &Portal<S>, call_id: &CallId) -> CallRecord {
    portal.engine.read(|tx| tx.call_record(call_id)).expect("readable").expect("statistics row")
}

fn activity_of<S: CrmStore>(portal: &Portal<S>, call_id: &CallId) -> Activity {
    let id = statistics(portal, call_id).activity_id.expect("an activity");
    portal.engine.read(|tx| tx.activity(id)).expect("readable").expect("activity exists")
}

fn audio<S: CrmStore>(portal: &Portal<S>, file_id: u64) -> Option<CallAudio> {
    portal.engine.call_audio(file_id).expect("readable")
}

fn attached<S: CrmStore>(portal: &Portal<S>, request: &AttachRecordRequest) -> u64 {
    match portal.engine.attach_record(request) {
        Ok(AttachRecordOutcome::Attached { file_id }) => file_id,
        other => panic!("expected an attached record, got {other:?}"),
    }
}

/// Announces an upload and returns its token.
fn announced<S: CrmStore>(portal: &Portal<S>, call_id: &CallId, filename: &str) -> String {
    let request = AttachRecordRequest::announce(call_id.as_str(), filename);
    match portal.engine.attach_record(&request) {
        Ok(AttachRecordOutcome::UploadRequired { upload_url, field_name }) => {
            assert_eq!(field_name, "file");
            let prefix = format!("{PORTAL_URL}/rest/upload.json?token=");
            let token = upload_url.strip_prefix(&prefix).unwrap_or_else(|| {
                panic!("upload URL {upload_url:?} should start with {prefix:?}")
            });
            assert!(!token.is_empty(), "a token in {upload_url:?}");
            token.to_string()
        }
        other => panic!("expected an upload URL, got {other:?}"),
    }
}

const NOT_FINISHED: &str =
    "Call is not found in the statistic table. Looks like it is not finished yet.";
const WRONG_EXTENSION: &str = "Wrong file extension. Only wav and mp3 are allowed";
const EMPTY_CONTENT: &str = "File content is empty.";
const NOT_BASE64: &str = "File content is not properly encoded. Base64 encoding is expected.";
const UPLOAD_NOT_FOUND: &str = "Error: upload token is not found or has already been used";

fn mismatch(kind: &str) -> String {
    format!("FILE_CONTENT does not match the file extension: the content is not {kind} audio")
}

// ---- attachRecord ----------------------------------------------------------------------

/// Both modes need a statistics row: an active or unknown call is "not finished yet".
pub fn attach_record_needs_a_finished_call<S: CrmStore>(store: S) {
    let portal = portal(store);
    let call_id = active_call(&portal, "+7 495 100-00-01");
    let requests = [
        AttachRecordRequest::file(call_id.as_str(), "rec.wav", b64(&wav(64))),
        AttachRecordRequest::announce(call_id.as_str(), "rec.wav"),
        AttachRecordRequest::url(call_id.as_str(), "https://pbx.example.com/rec.mp3"),
        AttachRecordRequest::file("externalCall.unknown.1", "rec.wav", b64(&wav(64))),
        // The call check precedes the file checks.
        AttachRecordRequest::file(call_id.as_str(), "", "!!!"),
    ];
    for request in &requests {
        assert_refused(portal.engine.attach_record(request), "ERROR_CORE", NOT_FINISHED);
    }
    // Once finished, the same record is accepted.
    portal
        .engine
        .finish(&Auth::webhook(1), &FinishRequest::new(call_id.as_str(), 1, 30))
        .expect("finished");
    let file_id = attached(&portal, &requests[0]);
    assert_eq!(statistics(&portal, &call_id).record_id, Some(file_id));
}

/// Without a non-empty `RECORD_URL` or a `FILENAME`: Bitrix's "Required parameters" text,
/// checked before the call.
pub fn attach_record_needs_url_or_filename<S: CrmStore>(store: S) {
    let portal = portal(store);
    let call_id = finished_call(&portal, "+7 495 100-00-02");
    let text =
        "Required parameters are not set. Request should contain or URL or FILENAME parameter";
    let bare = AttachRecordRequest { call_id: call_id.as_str().into(), ..Default::default() };
    assert_refused(portal.engine.attach_record(&bare), "ERROR_CORE", text);
    let empty_url = AttachRecordRequest { record_url: Some(String::new()), ..bare.clone() };
    assert_refused(portal.engine.attach_record(&empty_url), "ERROR_CORE", text);
    let content_only = AttachRecordRequest { file_content: Some(b64(&wav(64))), ..bare.clone() };
    assert_refused(portal.engine.attach_record(&content_only), "ERROR_CORE", text);
    let unknown = AttachRecordRequest { call_id: "nope".into(), ..Default::default() };
    assert_refused(portal.engine.attach_record(&unknown), "ERROR_CORE", text);
    assert_eq!(statistics(&portal, &call_id).record_id, None);
}

/// `FILENAME` without `FILE_CONTENT` hands out a single-use upload URL (field `file`); the
/// upload then stores the record and returns its `FILE_ID`.
pub fn filename_without_content_announces_an_upload<S: CrmStore>(store: S) {
    let portal = portal(store);
    let call_id = finished_call(&portal, "+7 495 100-00-03");
    let token = announced(&portal, &call_id, "rec.wav");
    let other = announced(&portal, &call_id, "rec.wav");
    assert_ne!(token, other, "every announcement gets its own token");
    // Announcing stores nothing yet.
    assert_eq!(statistics(&portal, &call_id).record_id, None);

    let content = wav(100);
    let file_id = portal.engine.complete_record_upload(&token, &content).expect("uploaded");
    let stored = audio(&portal, file_id).expect("the record is stored");
    assert_eq!(stored.content.as_deref(), Some(&content[..]));
    assert_eq!(stored.file_name, "rec.wav");
    assert_eq!(stored.call_id, call_id);
    assert_eq!(stored.url, None);
    assert_eq!(statistics(&portal, &call_id).record_id, Some(file_id));
    assert_eq!(activity_of(&portal, &call_id).record_id, Some(file_id));

    // The token is spent; the other one still works.
    assert_refused(
        portal.engine.complete_record_upload(&token, &content),
        "ERROR_CORE",
        UPLOAD_NOT_FOUND,
    );
    assert_refused(
        portal.engine.complete_record_upload("0123456789abcdef", &content),
        "ERROR_CORE",
        UPLOAD_NOT_FOUND,
    );
    let second = portal.engine.complete_record_upload(&other, &content).expect("uploaded");
    assert_ne!(second, file_id);
    assert_eq!(statistics(&portal, &call_id).record_id, Some(second));
}

/// A refused upload stores nothing and keeps its token for a retry with good content.
pub fn refused_upload_can_be_retried<S: CrmStore>(store: S) {
    let config = EngineConfig { record_max_bytes: 128, ..config() };
    let portal = Portal::with_config(store, config);
    let call_id = finished_call(&portal, "+7 495 100-00-04");
    let token = announced(&portal, &call_id, "rec.WAV");
    let engine = &portal.engine;
    assert_refused(
        engine.complete_record_upload(&token, &mp3()),
        "ERROR_ARGUMENT",
        &mismatch("wav"),
    );
    assert_refused(engine.complete_record_upload(&token, b""), "ERROR_CORE", EMPTY_CONTENT);
    assert_refused(
        engine.complete_record_upload(&token, &wav(129)),
        "ERROR_ARGUMENT",
        "FILE_CONTENT is too large: at most 128 bytes",
    );
    assert_eq!(statistics(&portal, &call_id).record_id, None);
    let file_id = engine.complete_record_upload(&token, &wav(128)).expect("retried");
    assert_eq!(statistics(&portal, &call_id).record_id, Some(file_id));
    assert_refused(
        engine.complete_record_upload(&token, &wav(128)),
        "ERROR_CORE",
        UPLOAD_NOT_FOUND,
    );

    // An upload announced with a name Bitrix refuses can never complete.
    let ogg = announced(&portal, &call_id, "rec.ogg");
    assert_refused(engine.complete_record_upload(&ogg, &wav(64)), "ERROR_CORE", WRONG_EXTENSION);
    assert_eq!(statistics(&portal, &call_id).record_id, Some(file_id));
}

/// D10: the extension (after the last dot) is wav or mp3 in any case; `FILENAME ""` is
/// "File name is empty".
pub fn extension_is_wav_or_mp3_in_any_case<S: CrmStore>(store: S) {
    let portal = portal(store);
    let call_id = finished_call(&portal, "+7 495 100-00-05");
    let id = call_id.as_str();
    for (name, content) in [
        ("x.MP3", mp3()),
        ("x.mp3", mp3_with_tag()),
        ("X.Wav", wav(64)),
        ("call.2026.03.10.wav", wav(64)),
    ] {
        let file_id = attached(&portal, &AttachRecordRequest::file(id, name, b64(&content)));
        let stored = audio(&portal, file_id).expect("stored");
        assert_eq!(stored.file_name, name);
        assert_eq!(stored.content, Some(content));
    }
    for name in ["x.ogg", "x.flac", "x", "wav", "x.mp3.ogg", "x.wav "] {
        let request = AttachRecordRequest::file(id, name, b64(&wav(64)));
        assert_refused(portal.engine.attach_record(&request), "ERROR_CORE", WRONG_EXTENSION);
    }
    // The name checks precede the content checks.
    let request = AttachRecordRequest::file(id, "", "!!!");
    assert_refused(portal.engine.attach_record(&request), "ERROR_CORE", "File name is empty");
    let request = AttachRecordRequest::file(id, "x.ogg", "");
    assert_refused(portal.engine.attach_record(&request), "ERROR_CORE", WRONG_EXTENSION);
}

/// D10: the content must be audio of the extension's kind.
pub fn content_must_match_the_extension<S: CrmStore>(store: S) {
    let portal = portal(store);
    let call_id = finished_call(&portal, "+7 495 100-00-06");
    let id = call_id.as_str();
    let refused = [
        ("rec.mp3", wav(64), "mp3"),
        ("rec.wav", mp3(), "wav"),
        ("rec.wav", mp3_with_tag(), "wav"),
        ("rec.wav", b"just some text, not audio".to_vec(), "wav"),
        ("rec.mp3", b"OggS\x00\x02\x00\x00".to_vec(), "mp3"),
    ];
    for (name, content, kind) in refused {
        let request = AttachRecordRequest::file(id, name, b64(&content));
        assert_refused(portal.engine.attach_record(&request), "ERROR_ARGUMENT", &mismatch(kind));
    }
    assert_eq!(statistics(&portal, &call_id).record_id, None);
}

/// Empty content (or PHP's `"false"`) and content that is not base64 are refused; base64
/// wrapped over lines or without padding is read as PHP reads it.
pub fn file_content_must_be_base64<S: CrmStore>(store: S) {
    let portal = portal(store);
    let call_id = finished_call(&portal, "+7 495 100-00-07");
    let id = call_id.as_str();
    for empty in ["", "false", "\r\n"] {
        let request = AttachRecordRequest::file(id, "rec.wav", empty);
        assert_refused(portal.engine.attach_record(&request), "ERROR_CORE", EMPTY_CONTENT);
    }
    for bad in ["!!!", "UklGRg==!", "UklG-Rg", "U"] {
        let request = AttachRecordRequest::file(id, "rec.wav", bad);
        assert_refused(portal.engine.attach_record(&request), "ERROR_CORE", NOT_BASE64);
    }
    let content = wav(100);
    let encoded = b64(&content);
    let wrapped: String = encoded
        .as_bytes()
        .chunks(76)
        .map(|line| format!("{}\r\n", String::from_utf8_lossy(line)))
        .collect();
    let unpadded = encoded.trim_end_matches('=').to_string();
    assert_ne!(unpadded, encoded, "the sample needs padding");
    for text in [wrapped, unpadded] {
        let file_id = attached(&portal, &AttachRecordRequest::file(id, "rec.wav", text));
        assert_eq!(audio(&portal, file_id).and_then(|a| a.content), Some(content.clone()));
    }
}

/// Records over `record_max_bytes` are refused in every mode; a record of exactly the limit
/// is accepted.
pub fn records_over_the_size_limit_are_refused<S: CrmStore>(store: S) {
    let limit = 100;
    let config = EngineConfig { record_max_bytes: limit, ..config() };
    let too_large = "FILE_CONTENT is too large: at most 100 bytes";
    let fetcher = TestFetcher::serving(vec![
        ("https://pbx.example.com/big.wav", Ok(wav(limit + 1))),
        ("https://pbx.example.com/fits.wav", Ok(wav(limit))),
    ]);
    let portal = portal_with_fetcher(store, config, fetcher);
    let call_id = finished_call(&portal, "+7 495 100-00-08");
    let id = call_id.as_str();

    let request = AttachRecordRequest::file(id, "rec.wav", b64(&wav(limit + 1)));
    assert_refused(portal.engine.attach_record(&request), "ERROR_ARGUMENT", too_large);
    // Refused before decoding: the size tells, whatever the symbols.
    let request = AttachRecordRequest::file(id, "rec.wav", "!".repeat(200));
    assert_refused(portal.engine.attach_record(&request), "ERROR_ARGUMENT", too_large);
    let request = AttachRecordRequest::url(id, "https://pbx.example.com/big.wav");
    assert_refused(portal.engine.attach_record(&request), "ERROR_ARGUMENT", too_large);
    let token = announced(&portal, &call_id, "rec.wav");
    assert_refused(
        portal.engine.complete_record_upload(&token, &wav(limit + 1)),
        "ERROR_ARGUMENT",
        too_large,
    );
    assert_eq!(statistics(&portal, &call_id).record_id, None);

    let exact = attached(&portal, &AttachRecordRequest::file(id, "rec.wav", b64(&wav(limit))));
    assert_eq!(audio(&portal, exact).and_then(|a| a.content).map(|c| c.len()), Some(limit));
    attached(&portal, &AttachRecordRequest::url(id, "https://pbx.example.com/fits.wav"));
    portal.engine.complete_record_upload(&token, &wav(limit)).expect("fits");
}

/// A second record replaces the first: the old audio is deleted, and the statistics row and
/// the activity point to the new one.
pub fn new_record_replaces_the_old<S: CrmStore>(store: S) {
    let portal = portal(store);
    let call_id = finished_call(&portal, "+7 495 100-00-09");
    let other_call = finished_call(&portal, "+7 495 100-00-10");
    let id = call_id.as_str();
    let other_file =
        attached(&portal, &AttachRecordRequest::file(other_call.as_str(), "o.wav", b64(&wav(64))));

    let first = attached(&portal, &AttachRecordRequest::file(id, "first.wav", b64(&wav(64))));
    assert_eq!(statistics(&portal, &call_id).record_id, Some(first));
    assert_eq!(activity_of(&portal, &call_id).record_id, Some(first));

    let second = attached(&portal, &AttachRecordRequest::file(id, "second.mp3", b64(&mp3())));
    assert_ne!(second, first);
    assert_eq!(audio(&portal, first), None, "the replaced record is deleted");
    assert_eq!(audio(&portal, second).map(|a| a.file_name).as_deref(), Some("second.mp3"));
    assert_eq!(statistics(&portal, &call_id).record_id, Some(second));
    assert_eq!(activity_of(&portal, &call_id).record_id, Some(second));

    // A URL record replaces a file record too, and sets the record URL.
    let url = "https://pbx.example.com/third.mp3";
    let third = attached(&portal, &AttachRecordRequest::url(id, url));
    assert_eq!(audio(&portal, second), None);
    let row = statistics(&portal, &call_id);
    assert_eq!((row.record_id, row.record_url.as_deref()), (Some(third), Some(url)));
    assert_eq!(activity_of(&portal, &call_id).record_id, Some(third));

    // Another call's record is untouched.
    assert!(audio(&portal, other_file).is_some());
    assert_eq!(statistics(&portal, &other_call).record_id, Some(other_file));
    assert_eq!(activity_of(&portal, &other_call).record_id, Some(other_file));
}

/// URL mode without a fetcher records the URL only (no content), even with `FILENAME`
/// and without `FILE_CONTENT`.
pub fn url_without_fetcher_records_the_url<S: CrmStore>(store: S) {
    let portal = portal(store);
    let call_id = finished_call(&portal, "+7 495 100-00-11");
    let url = "https://pbx.example.com/records/call-1.mp3?sig=abc";
    let file_id = attached(&portal, &AttachRecordRequest::url(call_id.as_str(), url));
    let stored = audio(&portal, file_id).expect("stored");
    assert_eq!(stored.content, None);
    assert_eq!(stored.url.as_deref(), Some(url));
    assert_eq!(stored.file_name, "call-1.mp3");
    let row = statistics(&portal, &call_id);
    assert_eq!(row.record_url.as_deref(), Some(url));
    assert_eq!(row.record_id, Some(file_id));
    assert_eq!(activity_of(&portal, &call_id).record_id, Some(file_id));

    // RECORD_URL wins over FILENAME: no upload is announced, the name is FILENAME.
    let both = AttachRecordRequest {
        filename: Some("named.wav".into()),
        ..AttachRecordRequest::url(call_id.as_str(), "https://pbx.example.com/r?id=7")
    };
    let file_id = attached(&portal, &both);
    assert_eq!(audio(&portal, file_id).map(|a| a.file_name).as_deref(), Some("named.wav"));
    assert_eq!(
        statistics(&portal, &call_id).record_url.as_deref(),
        Some("https://pbx.example.com/r?id=7")
    );

    // D8: an over-long URL is refused up front.
    let long = format!("https://pbx.example.com/{}.mp3", "a".repeat(2048));
    assert_refused(
        portal.engine.attach_record(&AttachRecordRequest::url(call_id.as_str(), long)),
        "ERROR_ARGUMENT",
        "RECORD_URL is too long: at most 2048 characters",
    );
}

/// URL mode with a fetcher stores the downloaded content after the same checks as a file,
/// named by `FILENAME` or the URL's last path segment; download errors are reported as is.
pub fn url_with_fetcher_stores_the_download<S: CrmStore>(store: S) {
    let fetcher = TestFetcher::serving(vec![
        ("https://pbx.example.com/rec/ok.mp3?sig=1", Ok(mp3())),
        ("https://pbx.example.com/rec/get?id=7", Ok(wav(64))),
        ("https://pbx.example.com/rec/fake.wav", Ok(mp3())),
        ("https://pbx.example.com/rec/song.ogg", Ok(mp3())),
        ("https://pbx.example.com/rec/empty.wav", Ok(Vec::new())),
        ("https://pbx.example.com/rec/down.mp3", Err("28: Connection timed out".into())),
    ]);
    let portal = portal_with_fetcher(store, config(), fetcher.clone());
    let unfinished = active_call(&portal, "+7 495 100-00-12");
    let call_id = finished_call(&portal, "+7 495 100-00-13");
    let id = call_id.as_str();
    let url = |path: &str| format!("https://pbx.example.com/rec/{path}");

    // Nothing is downloaded for a call that is not finished.
    let request = AttachRecordRequest::url(unfinished.as_str(), url("ok.mp3?sig=1"));
    assert_refused(portal.engine.attach_record(&request), "ERROR_CORE", NOT_FINISHED);
    assert_eq!(fetcher.downloads(), 0);

    let file_id = attached(&portal, &AttachRecordRequest::url(id, url("ok.mp3?sig=1")));
    assert_eq!(fetcher.downloads(), 1);
    let stored = audio(&portal, file_id).expect("stored");
    assert_eq!(stored.content, Some(mp3()));
    assert_eq!(stored.file_name, "ok.mp3");
    assert_eq!(stored.url, Some(url("ok.mp3?sig=1")));
    assert_eq!(statistics(&portal, &call_id).record_url, Some(url("ok.mp3?sig=1")));

    // A URL without a usable name needs FILENAME.
    let nameless = AttachRecordRequest::url(id, url("get?id=7"));
    assert_refused(portal.engine.attach_record(&nameless), "ERROR_CORE", WRONG_EXTENSION);
    let named = AttachRecordRequest { filename: Some("call.WAV".into()), ..nameless };
    let named_id = attached(&portal, &named);
    assert_eq!(audio(&portal, named_id).and_then(|a| a.content), Some(wav(64)));

    let refusals = [
        (AttachRecordRequest::url(id, url("fake.wav")), "ERROR_ARGUMENT", mismatch("wav")),
        (
            AttachRecordRequest {
                filename: Some("rec.wav".into()),
                ..AttachRecordRequest::url(id, url("ok.mp3?sig=1"))
            },
            "ERROR_ARGUMENT",
            mismatch("wav"),
        ),
        (AttachRecordRequest::url(id, url("song.ogg")), "ERROR_CORE", WRONG_EXTENSION.into()),
        (AttachRecordRequest::url(id, url("empty.wav")), "ERROR_CORE", EMPTY_CONTENT.into()),
        (
            AttachRecordRequest::url(id, url("down.mp3")),
            "ERROR_CORE",
            "28: Connection timed out".into(),
        ),
        (
            AttachRecordRequest::url(id, url("missing.mp3")),
            "ERROR_CORE",
            "Server returns HTTP error code 404".into(),
        ),
    ];
    for (request, code, text) in &refusals {
        assert_refused(portal.engine.attach_record(request), code, text);
    }
    let row = statistics(&portal, &call_id);
    assert_eq!(row.record_id, Some(named_id), "refused downloads change nothing");
    assert_eq!(row.record_url, Some(url("get?id=7")));
}

/// finish's `RECORD_URL` with a fetcher: the record is downloaded once after the finish and
/// attached to the statistics row and the activity; a failed download is silent (the call is
/// finished, the URL recorded, no record). Without `RECORD_URL` nothing is downloaded.
pub fn finish_downloads_its_record_url<S: CrmStore>(store: S) {
    let good = "https://pbx.example.com/rec/call.mp3";
    let nameless = "https://pbx.example.com/rec?id=7";
    let not_audio = "https://pbx.example.com/rec?id=8";
    let fetcher = TestFetcher::serving(vec![
        (good, Ok(mp3())),
        (nameless, Ok(wav(64))),
        (not_audio, Ok(b"<html>not found</html>".to_vec())),
    ]);
    let portal = portal_with_fetcher(store, config(), fetcher.clone());
    let finish = |call_id: &CallId, url: Option<&str>| {
        let mut request = FinishRequest::new(call_id.as_str(), 1, 30);
        request.record_url = url.map(str::to_string);
        portal.engine.finish(&Auth::webhook(1), &request).expect("finished")
    };

    let call_id = active_call(&portal, "+7 495 100-00-21");
    let outcome = finish(&call_id, Some(good));
    assert_eq!(fetcher.downloads(), 1);
    let file_id = outcome.record.record_id.expect("the record is attached");
    assert_eq!(statistics(&portal, &call_id).record_id, Some(file_id));
    assert_eq!(activity_of(&portal, &call_id).record_id, Some(file_id));
    let stored = audio(&portal, file_id).expect("stored");
    assert_eq!(stored.content, Some(mp3()));
    assert_eq!(stored.url.as_deref(), Some(good));

    let failing = active_call(&portal, "+7 495 100-00-22");
    let outcome = finish(&failing, Some("https://pbx.example.com/rec/missing.mp3"));
    assert_eq!(fetcher.downloads(), 2);
    assert_eq!(outcome.record.record_id, None);
    let row = statistics(&portal, &failing);
    assert_eq!(row.record_id, None);
    assert_eq!(row.record_url.as_deref(), Some("https://pbx.example.com/rec/missing.mp3"));

    let plain = active_call(&portal, "+7 495 100-00-23");
    finish(&plain, None);
    finish(&active_call(&portal, "+7 495 100-00-24"), Some(""));
    assert_eq!(fetcher.downloads(), 2, "nothing to download");

    // A URL without a file name: the content tells the kind; content that is no audio is
    // not attached.
    let by_content = active_call(&portal, "+7 495 100-00-25");
    let file_id = finish(&by_content, Some(nameless)).record.record_id.expect("attached");
    let stored = audio(&portal, file_id).expect("stored");
    assert_eq!((stored.file_name.as_str(), stored.content), ("record.wav", Some(wav(64))));
    let junk = active_call(&portal, "+7 495 100-00-26");
    assert_eq!(finish(&junk, Some(not_audio)).record.record_id, None);
    assert_eq!(statistics(&portal, &junk).record_id, None);
    assert_eq!(fetcher.downloads(), 4);
}

/// The pending record downloads, whenever due.
fn pending_downloads<S: CrmStore>(portal: &Portal<S>) -> Vec<crate::model::RecordDownload> {
    let whenever = start_time() + chrono::Duration::days(3650);
    portal.engine.read(|tx| tx.due_record_downloads(whenever, 1000)).expect("readable")
}

/// A download that failed at the finish is retried once, a minute later, and then forgotten,
/// attached or not; one whose call got a record meanwhile is forgotten without a download.
pub fn failed_record_downloads_are_retried_once_a_minute_later<S: CrmStore>(store: S) {
    let good = "https://pbx.example.com/rec/call.mp3";
    let missing = "https://pbx.example.com/rec/missing.mp3";
    let fetcher = TestFetcher::serving(vec![(good, Ok(mp3()))]);
    let portal = portal_with_fetcher(store, config(), fetcher.clone());
    let finish = |call_id: &CallId, url: &str| {
        let mut request = FinishRequest::new(call_id.as_str(), 1, 30);
        request.record_url = Some(url.to_string());
        portal.engine.finish(&Auth::webhook(1), &request).expect("finished")
    };
    let retry = || portal.engine.retry_record_downloads().expect("retried");

    // The PBX's record server is down when the call is finished.
    fetcher.fail_next(1);
    let call_id = active_call(&portal, "+7 495 100-00-31");
    assert_eq!(finish(&call_id, good).record.record_id, None);
    assert_eq!(fetcher.downloads(), 1);
    let pending = pending_downloads(&portal);
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0].call_id.clone(), pending[0].url.as_str()), (call_id.clone(), good));
    assert_eq!(pending[0].due, portal.engine.now() + crate::records::RECORD_RETRY_DELAY);
    // Not due before the minute is over.
    assert_eq!(retry(), 0);
    portal.clock.advance(chrono::Duration::seconds(59));
    assert_eq!(retry(), 0);
    assert_eq!(fetcher.downloads(), 1);
    portal.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(retry(), 1);
    assert_eq!(fetcher.downloads(), 2);
    let file_id = statistics(&portal, &call_id).record_id.expect("attached by the retry");
    assert_eq!(activity_of(&portal, &call_id).record_id, Some(file_id));
    assert_eq!(audio(&portal, file_id).expect("stored").content, Some(mp3()));
    assert!(pending_downloads(&portal).is_empty());
    assert_eq!(retry(), 0);
    assert_eq!(fetcher.downloads(), 2);

    // A download that fails again is forgotten: one retry, as Bitrix's agent.
    let lost = active_call(&portal, "+7 495 100-00-32");
    finish(&lost, missing);
    portal.clock.advance(chrono::Duration::seconds(60));
    assert_eq!(retry(), 0);
    assert_eq!(fetcher.downloads(), 4);
    assert!(pending_downloads(&portal).is_empty());
    portal.clock.advance(chrono::Duration::minutes(10));
    assert_eq!(retry(), 0);
    assert_eq!(fetcher.downloads(), 4);
    let row = statistics(&portal, &lost);
    assert_eq!((row.record_id, row.record_url.as_deref()), (None, Some(missing)));

    // A record attached before the retry is the call's: the retry downloads nothing.
    fetcher.fail_next(1);
    let attached_meanwhile = active_call(&portal, "+7 495 100-00-33");
    finish(&attached_meanwhile, good);
    let request = AttachRecordRequest::file(attached_meanwhile.as_str(), "own.wav", b64(&wav(64)));
    let own = attached(&portal, &request);
    assert!(pending_downloads(&portal).is_empty());
    portal.clock.advance(chrono::Duration::seconds(60));
    assert_eq!(retry(), 0);
    assert_eq!(fetcher.downloads(), 5);
    assert_eq!(statistics(&portal, &attached_meanwhile).record_id, Some(own));

    // So is a record uploaded before the retry (announced, then sent to the upload URL).
    fetcher.fail_next(1);
    let uploaded_meanwhile = active_call(&portal, "+7 495 100-00-36");
    finish(&uploaded_meanwhile, good);
    let token = announced(&portal, &uploaded_meanwhile, "own.wav");
    let own = portal.engine.complete_record_upload(&token, &wav(64)).expect("uploaded");
    assert!(pending_downloads(&portal).is_empty());
    portal.clock.advance(chrono::Duration::seconds(60));
    assert_eq!(retry(), 0);
    assert_eq!(fetcher.downloads(), 6);
    assert_eq!(statistics(&portal, &uploaded_meanwhile).record_id, Some(own));

    // A first attempt that attaches the record leaves nothing to retry.
    let at_once = active_call(&portal, "+7 495 100-00-34");
    assert!(finish(&at_once, good).record.record_id.is_some());
    assert!(pending_downloads(&portal).is_empty());
}

/// Without a fetcher nothing is downloaded, and so nothing is remembered to retry.
pub fn record_downloads_are_remembered_only_with_a_fetcher<S: CrmStore>(store: S) {
    let portal = portal(store);
    let call_id = active_call(&portal, "+7 495 100-00-35");
    let mut request = FinishRequest::new(call_id.as_str(), 1, 30);
    request.record_url = Some("https://pbx.example.com/rec/call.mp3".into());
    portal.engine.finish(&Auth::webhook(1), &request).expect("finished");
    assert!(pending_downloads(&portal).is_empty());
    let row = statistics(&portal, &call_id);
    assert_eq!(row.record_url.as_deref(), Some("https://pbx.example.com/rec/call.mp3"));
}

/// A refused attach leaves the current record, the statistics row and the activity as they were.
pub fn refused_attach_changes_nothing<S: CrmStore>(store: S) {
    let config = EngineConfig { record_max_bytes: 1000, ..config() };
    let fetcher = TestFetcher::serving(vec![("https://pbx.example.com/fake.mp3", Ok(wav(64)))]);
    let portal = portal_with_fetcher(store, config, fetcher);
    let call_id = finished_call(&portal, "+7 495 100-00-14");
    let id = call_id.as_str();
    let kept = attached(&portal, &AttachRecordRequest::file(id, "kept.wav", b64(&wav(64))));
    let row_before = statistics(&portal, &call_id);
    let activity_before = activity_of(&portal, &call_id);
    let audio_before = audio(&portal, kept);
    assert!(audio_before.is_some());

    let refused = [
        AttachRecordRequest::file(id, "rec.mp3", b64(&wav(64))),
        AttachRecordRequest::file(id, "rec.ogg", b64(&wav(64))),
        AttachRecordRequest::file(id, "rec.wav", "!!!"),
        AttachRecordRequest::file(id, "rec.wav", "false"),
        AttachRecordRequest::file(id, "rec.wav", b64(&wav(1001))),
        AttachRecordRequest::url(id, "https://pbx.example.com/fake.mp3"),
        AttachRecordRequest::url(id, "https://pbx.example.com/gone.wav"),
    ];
    for request in &refused {
        let result = portal.engine.attach_record(request);
        assert!(result.is_err(), "{request:?} should be refused, got {result:?}");
    }
    assert_eq!(statistics(&portal, &call_id), row_before);
    assert_eq!(activity_of(&portal, &call_id), activity_before);
    assert_eq!(audio(&portal, kept), audio_before);
    assert_eq!(audio(&portal, kept + 1), None, "no audio was stored");
}

// ---- attachTranscription ---------------------------------------------------------------

fn said(side: &str, start: i64, stop: i64, text: &str) -> RawTranscriptMessage {
    RawTranscriptMessage::new(side, start, stop, text)
}

fn keyed(
    messages: Vec<(&str, RawTranscriptMessage)>,
) -> Option<Vec<(String, RawTranscriptMessage)>> {
    Some(messages.into_iter().map(|(k, m)| (k.to_string(), m)).collect())
}

/// Bitrix's checks in order, the message errors naming the array key as given; all of them
/// before the call is looked up.
pub fn transcription_checks_in_bitrix_order<S: CrmStore>(store: S) {
    let portal = portal(store);
    let attach = |request: &TranscriptRequest| portal.engine.attach_transcription(request);
    let bad = |key: &str, message| TranscriptRequest {
        messages: keyed(vec![("0", said("User", 1, 3, "Good afternoon")), (key, message)]),
        ..TranscriptRequest::new("unknown", Vec::new())
    };

    let mut no_call = TranscriptRequest::new("x", Vec::new());
    no_call.call_id = None;
    no_call.messages = None;
    assert_refused(attach(&no_call), "ERROR_CORE", "CALL_ID should be set");
    no_call.call_id = Some(String::new());
    assert_refused(attach(&no_call), "ERROR_CORE", "CALL_ID should be set");
    let mut no_messages = TranscriptRequest::new("unknown", Vec::new());
    no_messages.messages = None;
    assert_refused(attach(&no_messages), "ERROR_CORE", "MESSAGES should be an array");

    let first = TranscriptRequest::new("unknown", vec![said("user", -1, 0, "")]);
    assert_refused(
        attach(&first),
        "ERROR_CORE",
        "MESSAGES[0][SIDE] should be either Client or User",
    );
    let side_text = "MESSAGES[1][SIDE] should be either Client or User";
    for side in ["client", "USER", "Operator", "", "User "] {
        assert_refused(attach(&bad("1", said(side, 1, 2, "hi"))), "ERROR_CORE", side_text);
    }
    let mut absent_side = said("User", 1, 2, "hi");
    absent_side.side = None;
    assert_refused(attach(&bad("1", absent_side)), "ERROR_CORE", side_text);
    assert_refused(
        attach(&bad("first", said("Client", -1, 0, ""))),
        "ERROR_CORE",
        "MESSAGES[first][START_TIME] should be greater or equal to zero",
    );
    assert_refused(
        attach(&bad("7", said("Client", 0, 0, ""))),
        "ERROR_CORE",
        "MESSAGES[7][STOP_TIME] should be greater than zero",
    );
    assert_refused(
        attach(&bad("7", said("Client", 0, -5, "hi"))),
        "ERROR_CORE",
        "MESSAGES[7][STOP_TIME] should be greater than zero",
    );
    assert_refused(
        attach(&bad("a b", said("Client", 0, 1, ""))),
        "ERROR_CORE",
        "MESSAGES[a b][MESSAGE] is empty",
    );
    // Only then the call.
    let valid = bad("1", said("Client", 9, 2, "stop before start is not checked"));
    assert_refused(attach(&valid), "ERROR_CORE", "Call unknown is not found. Is it finished?");
}

/// The call must be finished; an empty `MESSAGES` passes.
pub fn transcription_needs_a_finished_call<S: CrmStore>(store: S) {
    let portal = portal(store);
    let active = active_call(&portal, "+7 495 100-00-15");
    let request = TranscriptRequest::new(active.as_str(), vec![said("User", 1, 3, "Hello")]);
    assert_refused(
        portal.engine.attach_transcription(&request),
        "ERROR_CORE",
        &format!("Call {active} is not found. Is it finished?"),
    );
    portal
        .engine
        .finish(&Auth::webhook(1), &FinishRequest::new(active.as_str(), 1, 30))
        .expect("finished");
    let id = portal.engine.attach_transcription(&request).expect("attached");
    assert_eq!(statistics(&portal, &active).transcript_id, Some(id));

    let empty = TranscriptRequest::new(active.as_str(), Vec::new());
    let empty_id = portal.engine.attach_transcription(&empty).expect("an empty transcript");
    let stored = portal.engine.transcript(empty_id).expect("readable").expect("stored");
    assert!(stored.messages.is_empty());
    assert_eq!(stored.call_id, active);
}

/// Every attach creates another transcript; the statistics row points to the latest, and the
/// currency is kept only with a non-zero cost.
pub fn every_transcription_is_new_and_the_latest_wins<S: CrmStore>(store: S) {
    let portal = portal(store);
    let call_id = finished_call(&portal, "+7 495 100-00-16");
    let messages = vec![said("User", 1, 3, "Good afternoon"), said("Client", 4, 7, "Hello")];
    let mut first = TranscriptRequest::new(call_id.as_str(), messages);
    first.cost = 0.0;
    first.cost_currency = "USD".into();
    let mut second = TranscriptRequest::new(call_id.as_str(), vec![said("Client", 5, 2, "Bye")]);
    second.cost = 1.25;
    second.cost_currency = "EUR".into();

    let first_id = portal.engine.attach_transcription(&first).expect("first");
    assert_eq!(statistics(&portal, &call_id).transcript_id, Some(first_id));
    let second_id = portal.engine.attach_transcription(&second).expect("second");
    assert_ne!(first_id, second_id);
    assert_eq!(statistics(&portal, &call_id).transcript_id, Some(second_id));

    let read = |id| -> Transcript {
        portal.engine.transcript(id).expect("readable").expect("the transcript is kept")
    };
    let stored = read(first_id);
    let lines: Vec<(&str, i64, i64, &str)> = stored
        .messages
        .iter()
        .map(|m| (m.side.as_str(), m.start_time, m.stop_time, m.message.as_str()))
        .collect();
    assert_eq!(lines, [("User", 1, 3, "Good afternoon"), ("Client", 4, 7, "Hello")]);
    assert_eq!((stored.cost, stored.cost_currency.as_str()), (0.0, ""));
    let stored = read(second_id);
    assert_eq!(stored.messages.len(), 1);
    assert_eq!((stored.cost, stored.cost_currency.as_str()), (1.25, "EUR"));
    assert_eq!(stored.call_id, call_id);
}

/// D8: `COST_CURRENCY` over 50 characters and a non-finite `COST` are refused, storing nothing.
pub fn transcription_limits_are_checked<S: CrmStore>(store: S) {
    let portal = portal(store);
    let call_id = finished_call(&portal, "+7 495 100-00-17");
    let mut request = TranscriptRequest::new(call_id.as_str(), vec![said("User", 1, 3, "Hi")]);
    request.cost = 1.0;
    request.cost_currency = "€".repeat(51);
    assert_refused(
        portal.engine.attach_transcription(&request),
        "ERROR_ARGUMENT",
        "COST_CURRENCY is too long: at most 50 characters",
    );
    request.cost_currency = String::new();
    request.cost = f64::INFINITY;
    assert_refused(
        portal.engine.attach_transcription(&request),
        "ERROR_ARGUMENT",
        "COST should be a number",
    );
    assert_eq!(statistics(&portal, &call_id).transcript_id, None);
    let many = vec![said("User", 1, 3, "Hi"); 10_001];
    assert_refused(
        portal.engine.attach_transcription(&TranscriptRequest::new(call_id.as_str(), many)),
        "ERROR_ARGUMENT",
        "MESSAGES has too many items: at most 10000",
    );
    let long = vec![said("Client", 1, 3, &"w".repeat(10_001))];
    assert_refused(
        portal.engine.attach_transcription(&TranscriptRequest::new(call_id.as_str(), long)),
        "ERROR_ARGUMENT",
        "MESSAGES[0][MESSAGE] is too long: at most 10000 characters",
    );
    request.cost = 2.0;
    request.cost_currency = "€".repeat(50);
    let id = portal.engine.attach_transcription(&request).expect("at the limit");
    assert_eq!(statistics(&portal, &call_id).transcript_id, Some(id));
}
