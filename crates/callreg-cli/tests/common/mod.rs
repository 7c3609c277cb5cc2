//! Helpers shared by the binary's integration tests: running `callreg`, driving `exec` over
//! pipes one request at a time, and masking the values of an answer that vary between runs.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{NaiveDateTime, Utc};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

/// How long one answer may take before the test fails instead of hanging.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// The `callreg` binary, run in `dir`.
pub fn callreg(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_callreg"));
    command.current_dir(dir);
    command
}

/// Runs `callreg args...` in `dir` with `stdin` as standard input.
pub fn run(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = callreg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    // Written from another thread so that a large input cannot deadlock against the output.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Every output line of an `exec` run, parsed.
pub fn answers(output: &Output) -> Vec<Value> {
    stdout(output).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// `callreg exec` driven over pipes: each request is written only after the answer to the
/// previous one was read, which works only if `exec` answers (and flushes) line by line.
pub struct Driver {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

impl Driver {
    /// Starts `callreg args... exec` in `dir`.
    pub fn start(dir: &Path, args: &[&str]) -> Driver {
        let mut child = callreg(dir)
            .args(args)
            .arg("exec")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Driver { child, stdin, lines }
    }

    /// Sends one request line and waits for its answer line.
    pub fn request(&mut self, line: &str) -> String {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
        match self.lines.recv_timeout(ANSWER_TIMEOUT) {
            Ok(answer) => answer,
            Err(RecvTimeoutError::Timeout) => {
                panic!("no answer within {ANSWER_TIMEOUT:?} to {line}")
            }
            Err(RecvTimeoutError::Disconnected) => panic!("exec ended before answering {line}"),
        }
    }

    /// Closes standard input and waits for a clean exit.
    pub fn finish(mut self) {
        drop(self.stdin.take());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "exec exited with {status}");
        assert!(self.lines.recv_timeout(ANSWER_TIMEOUT).is_err(), "an answer nobody asked for");
    }
}

/// Replaces the values that vary between runs by stable markers: the `time` block, every
/// `CALL_ID` (by `<CALL_ID_1>`, `<CALL_ID_2>`, ... in order of appearance), dates near now,
/// process ids and upload URLs.
#[derive(Debug, Default)]
pub struct Masker {
    call_ids: Vec<String>,
}

impl Masker {
    /// Masks one `{"status", "body"}` answer.
    pub fn mask_answer(&mut self, answer: &Value) -> Value {
        let mut answer = answer.clone();
        if let Some(time) = answer.get_mut("body").and_then(|b| b.get_mut("time")) {
            *time = Value::String("<TIME>".into());
        }
        self.mask(&mut answer);
        answer
    }

    fn mask(&mut self, value: &mut Value) {
        match value {
            Value::String(text) => *text = self.mask_text(text),
            Value::Array(items) => items.iter_mut().for_each(|item| self.mask(item)),
            Value::Object(fields) => {
                for (key, item) in fields.iter_mut() {
                    match (key.as_str(), &item) {
                        ("process_id" | "PROCESS_ID", Value::String(_)) => {
                            *item = Value::String("<PROCESS_ID>".into());
                        }
                        ("uploadUrl", Value::String(url)) => {
                            let keep = url.rfind('=').map_or(0, |at| at + 1);
                            *item = Value::String(format!("{}<TOKEN>", &url[..keep]));
                        }
                        _ => self.mask(item),
                    }
                }
            }
            _ => {}
        }
    }

    fn mask_text(&mut self, text: &str) -> String {
        let text = self.mask_call_ids(text);
        if is_recent_date(&text) { "<DATE>".to_string() } else { text }
    }

    fn mask_call_ids(&mut self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find("externalCall.") {
            out.push_str(&rest[..at]);
            let candidate = &rest[at..];
            let len = call_id_len(candidate);
            if len == 0 {
                out.push_str("externalCall.");
                rest = &candidate["externalCall.".len()..];
                continue;
            }
            let id = &candidate[..len];
            let index = match self.call_ids.iter().position(|known| known == id) {
                Some(index) => index,
                None => {
                    self.call_ids.push(id.to_string());
                    self.call_ids.len() - 1
                }
            };
            out.push_str(&format!("<CALL_ID_{}>", index + 1));
            rest = &candidate[len..];
        }
        out.push_str(rest);
        out
    }
}

/// The length of the `externalCall.<32 hex>.<digits>` at the start of `text`, or 0.
fn call_id_len(text: &str) -> usize {
    let Some(rest) = text.strip_prefix("externalCall.") else { return 0 };
    let bytes = rest.as_bytes();
    if bytes.len() < 34
        || !bytes[..32].iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        || bytes[32] != b'.'
    {
        return 0;
    }
    let digits = bytes[33..].iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 { 0 } else { "externalCall.".len() + 33 + digits }
}

/// Whether `text` is a date-time within two days of now: such a value comes from the clock.
/// Fixed dates given in requests (years ago) are kept.
fn is_recent_date(text: &str) -> bool {
    let Some(head) = text.get(..19) else { return false };
    let Ok(at) = NaiveDateTime::parse_from_str(&head.replace('T', " "), "%Y-%m-%d %H:%M:%S") else {
        return false;
    };
    (at - Utc::now().naive_utc()).num_hours().abs() <= 48
}

/// Replaces `$CALL_<n>` in a request line by the n-th registered `CALL_ID` and `$PROCESS_ID`
/// by the last process id handed out.
pub fn substitute(line: &str, call_ids: &[String], process_id: Option<&str>) -> String {
    let mut line = match process_id {
        Some(id) => line.replace("$PROCESS_ID", id),
        None => line.to_string(),
    };
    // Highest numbers first, so that `$CALL_1` does not eat the start of `$CALL_12`.
    for (index, id) in call_ids.iter().enumerate().rev() {
        line = line.replace(&format!("$CALL_{}", index + 1), id);
    }
    line
}
