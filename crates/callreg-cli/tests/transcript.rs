//! The lifecycle transcript: `tests/transcripts/lifecycle.jsonl` fed to `callreg exec` one
//! request at a time over pipes, every answer masked and compared line by line with
//! `lifecycle.expected.jsonl`, against the memory store and a database file alike.
//!
//! Requests may name earlier results: `$CALL_<n>` is the n-th registered `CALL_ID` and
//! `$PROCESS_ID` the last `process_id` of `event.offline.get`. The test substitutes them
//! itself, so it only passes if `exec` answers each line before reading the next.
//!
//! To regenerate the expected file after a deliberate change:
//! `CALLREG_BLESS=1 cargo test -p callreg-cli --test transcript`, then review the diff.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Driver, Masker, substitute};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn transcripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts")
}

/// Runs the transcript; returns the masked answers, one JSON text per request.
fn play(dir: &Path, store_args: &[&str]) -> Vec<String> {
    let requests = std::fs::read_to_string(transcripts().join("lifecycle.jsonl")).unwrap();
    let mut args = store_args.to_vec();
    args.extend(["--tz", "Europe/Moscow"]);
    let mut driver = Driver::start(dir, &args);
    let mut masker = Masker::default();
    let mut call_ids: Vec<String> = Vec::new();
    let mut process_id: Option<String> = None;
    let mut masked = Vec::new();
    for (index, line) in requests.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let request: Value = serde_json::from_str(line).unwrap();
        let line = substitute(line, &call_ids, process_id.as_deref());
        let answer: Value = serde_json::from_str(&driver.request(&line)).unwrap();
        let status = answer["status"].as_u64().unwrap();
        let body = &answer["body"];
        if status == 200 {
            let time =
                body["time"].as_object().unwrap_or_else(|| panic!("no time block: {answer}"));
            let keys: Vec<&str> = time.keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                ["start", "finish", "duration", "processing", "date_start", "date_finish"],
                "line {}",
                index + 1
            );
        } else {
            assert!(body.get("time").is_none(), "an error with a time block: {answer}");
        }
        let method = request["method"].as_str().unwrap().to_ascii_lowercase();
        if status == 200 && method == "telephony.externalcall.register" {
            call_ids.push(body["result"]["CALL_ID"].as_str().unwrap().to_string());
        }
        if let Some(id) = body["result"]["process_id"].as_str() {
            process_id = Some(id.to_string());
        }
        masked.push(masker.mask_answer(&answer).to_string());
    }
    driver.finish();
    masked
}

fn compare(actual: &[String], label: &str) {
    let path = transcripts().join("lifecycle.expected.jsonl");
    if std::env::var_os("CALLREG_BLESS").is_some() {
        std::fs::write(&path, actual.join("\n") + "\n").unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    let expected: Vec<&str> = expected.lines().collect();
    let mut differences = Vec::new();
    for (index, (want, got)) in expected.iter().zip(actual).enumerate() {
        if want != got {
            differences.push(format!("line {}:\n  expected {want}\n  actual   {got}", index + 1));
        }
    }
    assert!(
        differences.is_empty() && expected.len() == actual.len(),
        "{label}: {} answers, {} expected; differences:\n{}",
        actual.len(),
        expected.len(),
        differences.join("\n")
    );
}

#[test]
fn lifecycle_transcript_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let answers = play(dir.path(), &["--memory"]);
    compare(&answers, "--memory");
    assert!(!dir.path().join("callreg.db").exists(), "--memory wrote a database");
}

#[test]
fn lifecycle_transcript_in_a_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("portal.db");
    let answers = play(dir.path(), &["--db", db.to_str().unwrap()]);
    if std::env::var_os("CALLREG_BLESS").is_none() {
        compare(&answers, "--db");
    }
    assert!(db.exists());
}
