//! `callreg exec`: REST requests as JSON Lines in, one `{"status": ..., "body": ...}` line out
//! per request, in order, each flushed at once so that another program can drive the engine
//! interactively over pipes.
//!
//! A request line is `{"method": "...", "params": {...}, "auth": {...}}`; `params` and `auth`
//! are optional (no `auth` is user 1 by webhook). Blank lines are skipped. A line that is not
//! such a request (invalid UTF-8, invalid JSON, no `method`, a bad `auth`, too long) is
//! answered `400 INVALID_REQUEST` and processing goes on; only a failure to read the input
//! or to write the output ends the run.
//!
//! **Placeholders.** A request may refer to calls registered earlier in the same run: every
//! `$CALL_<n>` inside a string of `params` is replaced by the `CALL_ID` of the n-th successful
//! `telephony.externalcall.register` of the run (deduplicated registrations count too), so a
//! script can register a call and then finish it:
//!
//! ```text
//! {"method": "telephony.externalcall.register", "params": {"USER_ID": 1, "PHONE_NUMBER": "+74951234567", "TYPE": 2}}
//! {"method": "telephony.externalcall.finish", "params": {"CALL_ID": "$CALL_1", "USER_ID": 1, "DURATION": 42}}
//! ```

use callreg_core::{Auth, CrmStore, Engine};
use callreg_rest::{WireError, dispatch, normalize_method, parse_auth};
use serde_json::{Map, Value, json};
use std::io::{self, BufRead, Write};

/// The longest request line read, in bytes (without the line break): 16 MiB.
pub const DEFAULT_MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// The method whose `CALL_ID`s the `$CALL_<n>` placeholders refer to.
const REGISTER: &str = "telephony.externalcall.register";

/// Limits of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecLimits {
    /// A longer line is answered `INVALID_REQUEST` without being held in memory.
    pub max_line_bytes: usize,
}

impl Default for ExecLimits {
    fn default() -> Self {
        ExecLimits { max_line_bytes: DEFAULT_MAX_LINE_BYTES }
    }
}

/// What a run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExecSummary {
    /// Lines answered (requests and malformed lines; blank lines are not counted).
    pub answered: u64,
    /// Of those, lines answered `INVALID_REQUEST` without reaching the dispatcher.
    pub malformed: u64,
}

/// Why a run stopped before the end of its input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    /// Reading the requests failed.
    #[error("cannot read the requests: {0}")]
    Input(#[source] io::Error),
    /// Writing a response failed (a closed pipe included).
    #[error("cannot write the responses: {0}")]
    Output(#[source] io::Error),
}

/// A request line, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// `method`, as given.
    pub method: String,
    /// `params` (an empty object when absent).
    pub params: Value,
    /// The identity from `auth`.
    pub auth: Auth,
}

/// Parses one request line (without its line break).
///
/// # Errors
/// A description of what is wrong with the line, for the `INVALID_REQUEST` answer.
pub fn parse_request(line: &[u8]) -> Result<Request, WireError> {
    fn invalid(description: impl Into<String>) -> WireError {
        WireError::invalid_request(description)
    }
    let text = std::str::from_utf8(line).map_err(|e| {
        invalid(format!("the line is not valid UTF-8 (invalid byte at offset {})", e.valid_up_to()))
    })?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| invalid(format!("the line is not valid JSON: {e}")))?;
    let Value::Object(mut request) = value else {
        return Err(invalid("the request should be a JSON object"));
    };
    let method = match request.remove("method") {
        None | Some(Value::Null) => return Err(invalid("the request has no method")),
        Some(Value::String(method)) => method,
        Some(_) => return Err(invalid("method should be a string")),
    };
    let params = match request.remove("params") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(Value::Array(items)) if items.is_empty() => Value::Object(Map::new()),
        Some(params @ Value::Object(_)) => params,
        Some(_) => return Err(invalid("params should be an object")),
    };
    let auth = parse_auth(request.get("auth"))?;
    Ok(Request { method, params, auth })
}

/// One run of `exec` over an engine: answers lines and remembers the registered calls for
/// the `$CALL_<n>` placeholders.
#[derive(Debug)]
pub struct ExecSession<'e, S> {
    engine: &'e Engine<S>,
    call_ids: Vec<String>,
}

impl<'e, S: CrmStore> ExecSession<'e, S> {
    /// A session with no call registered yet.
    pub fn new(engine: &'e Engine<S>) -> Self {
        ExecSession { engine, call_ids: Vec::new() }
    }

    /// The `CALL_ID`s of the successful registrations so far, in order (`$CALL_1` first).
    pub fn call_ids(&self) -> &[String] {
        &self.call_ids
    }

    /// The answer `{"status": ..., "body": ...}` to one line (without its line break), and
    /// whether the line was malformed. `None` for a blank line, which gets no answer.
    pub fn answer(&mut self, line: &[u8]) -> Option<(Value, bool)> {
        if line.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        let mut request = match parse_request(line) {
            Ok(request) => request,
            Err(error) => return Some((wire_line(error.status, error.body()), true)),
        };
        if let Err(error) = substitute_placeholders(&mut request.params, &self.call_ids) {
            return Some((wire_line(error.status, error.body()), true));
        }
        let reply = dispatch(self.engine, &request.auth, &request.method, &request.params);
        if reply.status == 200
            && normalize_method(&request.method) == REGISTER
            && let Some(call_id) = reply.body["result"]["CALL_ID"].as_str()
        {
            self.call_ids.push(call_id.to_string());
        }
        Some((wire_line(reply.status, reply.body), false))
    }

    /// The answer to a line that exceeded `limit` bytes.
    fn too_long(limit: usize) -> Value {
        let error = WireError::invalid_request(format!("the line is longer than {limit} bytes"));
        wire_line(error.status, error.body())
    }
}

fn wire_line(status: u16, body: Value) -> Value {
    json!({"status": status, "body": body})
}

/// Answers every line of `input` on `output`, one line each, flushing after each.
///
/// # Errors
/// [`ExecError::Input`] when reading fails (invalid content is never an error: it is
/// answered), [`ExecError::Output`] when writing or flushing fails.
pub fn run_exec<S: CrmStore>(
    engine: &Engine<S>,
    mut input: impl BufRead,
    mut output: impl Write,
    limits: ExecLimits,
) -> Result<ExecSummary, ExecError> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let mut session = ExecSession::new(engine);
    let mut summary = ExecSummary::default();
    let mut line = Vec::new();
    let mut first = true;
    loop {
        let read = read_bounded_line(&mut input, &mut line, limits.max_line_bytes)
            .map_err(ExecError::Input)?;
        // A file saved with a byte-order mark starts with one; it is no part of the request.
        if std::mem::take(&mut first) && read == LineRead::Line && line.starts_with(BOM) {
            line.drain(..BOM.len());
        }
        let answer = match read {
            LineRead::Eof => return Ok(summary),
            LineRead::TooLong => Some((ExecSession::<S>::too_long(limits.max_line_bytes), true)),
            LineRead::Line => session.answer(&line),
        };
        let Some((answer, malformed)) = answer else { continue };
        summary.answered += 1;
        summary.malformed += u64::from(malformed);
        write_line(&mut output, &answer).map_err(ExecError::Output)?;
    }
}

fn write_line(output: &mut impl Write, value: &Value) -> io::Result<()> {
    let mut text = value.to_string();
    text.push('\n');
    output.write_all(text.as_bytes())?;
    output.flush()
}

/// What [`read_bounded_line`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineRead {
    /// A line is in the buffer (without its `\n`; a last line without one counts too).
    Line,
    /// A line longer than the limit was skipped up to its end; the buffer is empty.
    TooLong,
    /// The input is exhausted.
    Eof,
}

/// Reads the next line into `line` (cleared first) without ever holding more than `max`
/// bytes of it: the rest of a longer line is read and dropped.
///
/// # Errors
/// The reader's errors (`Interrupted` is retried).
pub fn read_bounded_line(
    input: &mut impl BufRead,
    line: &mut Vec<u8>,
    max: usize,
) -> io::Result<LineRead> {
    line.clear();
    let mut seen_any = false;
    let mut too_long = false;
    loop {
        let available = match input.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(match (seen_any, too_long) {
                (false, _) => LineRead::Eof,
                (true, true) => LineRead::TooLong,
                (true, false) => LineRead::Line,
            });
        }
        seen_any = true;
        let (chunk, newline) = match available.iter().position(|b| *b == b'\n') {
            Some(at) => (&available[..at], true),
            None => (available, false),
        };
        // The `\r` of a `\r\n` is the line break's, not the line's.
        let kept = match chunk {
            [rest @ .., b'\r'] if newline => rest,
            _ => chunk,
        };
        if !too_long {
            if line.len() + kept.len() > max {
                too_long = true;
                line.clear();
            } else {
                line.extend_from_slice(kept);
            }
        }
        let chunk_len = chunk.len();
        input.consume(chunk_len + usize::from(newline));
        if newline {
            // A `\r\n` split between two reads left its `\r` in the line.
            if chunk_len == 0 && line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(if too_long { LineRead::TooLong } else { LineRead::Line });
        }
    }
}

/// Replaces every `$CALL_<n>` inside the strings of `value` (keys are left alone) by
/// `call_ids[n - 1]`.
///
/// # Errors
/// `INVALID_REQUEST` naming the placeholder when `n` is 0 or no n-th call was registered.
pub fn substitute_placeholders(value: &mut Value, call_ids: &[String]) -> Result<(), WireError> {
    match value {
        Value::String(text) if text.contains("$CALL_") => {
            *text = substitute_in(text, call_ids)?;
            Ok(())
        }
        Value::Array(items) => {
            items.iter_mut().try_for_each(|item| substitute_placeholders(item, call_ids))
        }
        Value::Object(fields) => {
            fields.values_mut().try_for_each(|item| substitute_placeholders(item, call_ids))
        }
        _ => Ok(()),
    }
}

fn substitute_in(text: &str, call_ids: &[String]) -> Result<String, WireError> {
    const MARK: &str = "$CALL_";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        let after = &rest[at + MARK.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            out.push_str(MARK);
            rest = after;
            continue;
        }
        let number = &after[..digits];
        let call = number
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|index| call_ids.get(index))
            .ok_or_else(|| {
                WireError::invalid_request(format!(
                    "$CALL_{number} refers to no call: {} call(s) registered so far",
                    call_ids.len()
                ))
            })?;
        out.push_str(call);
        rest = &after[digits..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use callreg_core::EngineConfig;
    use callreg_store_memory::MemoryStore;
    use std::io::Cursor;

    fn engine() -> Engine<MemoryStore> {
        Engine::new(MemoryStore::new(), EngineConfig::default()).unwrap()
    }

    fn run(input: &[u8], max: usize) -> (Vec<Value>, ExecSummary) {
        let engine = engine();
        let mut out = Vec::new();
        let summary =
            run_exec(&engine, Cursor::new(input), &mut out, ExecLimits { max_line_bytes: max })
                .unwrap();
        let lines = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (lines, summary)
    }

    fn description(answer: &Value) -> &str {
        answer["body"]["error_description"].as_str().unwrap()
    }

    #[test]
    fn lines_are_split_bounded_and_the_last_needs_no_newline() {
        let mut input = Cursor::new(b"ab\n\ncdefgh\r\nij".to_vec());
        let mut line = Vec::new();
        assert_eq!(read_bounded_line(&mut input, &mut line, 4).unwrap(), LineRead::Line);
        assert_eq!(line, b"ab");
        assert_eq!(read_bounded_line(&mut input, &mut line, 4).unwrap(), LineRead::Line);
        assert_eq!(line, b"");
        assert_eq!(read_bounded_line(&mut input, &mut line, 4).unwrap(), LineRead::TooLong);
        assert!(line.is_empty());
        assert_eq!(read_bounded_line(&mut input, &mut line, 4).unwrap(), LineRead::Line);
        assert_eq!(line, b"ij");
        assert_eq!(read_bounded_line(&mut input, &mut line, 4).unwrap(), LineRead::Eof);
    }

    #[test]
    fn a_long_line_read_in_small_pieces_is_dropped_whole() {
        let mut data = vec![b'x'; 100];
        data.extend_from_slice(b"\nok\n");
        let mut input = io::BufReader::with_capacity(7, Cursor::new(data));
        let mut line = Vec::new();
        assert_eq!(read_bounded_line(&mut input, &mut line, 10).unwrap(), LineRead::TooLong);
        assert_eq!(read_bounded_line(&mut input, &mut line, 10).unwrap(), LineRead::Line);
        assert_eq!(line, b"ok");
    }

    #[test]
    fn malformed_lines_are_answered_and_processing_goes_on() {
        let input = b"{\"method\": \"user.get\"}\n\
            not json\n\
            \xff\xfe\n\
            [1, 2]\n\
            {\"params\": {}}\n\
            {\"method\": 7}\n\
            {\"method\": \"user.get\", \"params\": 3}\n\
            {\"method\": \"user.get\", \"auth\": {\"user_id\": -1}}\n\
            {\"method\": \"no.such.method\"}\n\
            \n   \n\
            {\"method\": \"user.get\", \"params\": {\"ID\": 1}}";
        let (answers, summary) = run(input, 1024);
        assert_eq!(summary, ExecSummary { answered: 10, malformed: 7 });
        let statuses: Vec<u64> = answers.iter().map(|a| a["status"].as_u64().unwrap()).collect();
        assert_eq!(statuses, [200, 400, 400, 400, 400, 400, 400, 400, 404, 200]);
        assert!(description(&answers[1]).starts_with("the line is not valid JSON"));
        assert!(description(&answers[2]).contains("UTF-8"));
        assert_eq!(description(&answers[3]), "the request should be a JSON object");
        assert_eq!(description(&answers[4]), "the request has no method");
        assert_eq!(description(&answers[5]), "method should be a string");
        assert_eq!(description(&answers[6]), "params should be an object");
        assert_eq!(description(&answers[7]), "auth.user_id is invalid");
        assert_eq!(answers[8]["body"]["error"], "ERROR_METHOD_NOT_FOUND");
        for malformed in &answers[1..8] {
            assert_eq!(malformed["body"]["error"], "INVALID_REQUEST");
        }
    }

    #[test]
    fn an_overlong_line_is_answered_invalid_request() {
        let mut input = format!(
            "{{\"method\": \"user.get\", \"params\": {{\"X\": \"{}\"}}}}\n",
            "y".repeat(200)
        )
        .into_bytes();
        input.extend_from_slice(b"{\"method\": \"user.get\"}\n");
        let (answers, _) = run(&input, 100);
        assert_eq!(answers.len(), 2);
        assert_eq!(description(&answers[0]), "the line is longer than 100 bytes");
        assert_eq!(answers[1]["status"], 200);
    }

    #[test]
    fn placeholders_name_the_calls_registered_so_far() {
        let input = br#"{"method": "telephony.externalcall.finish", "params": {"CALL_ID": "$CALL_1", "USER_ID": 1}}
{"method": "telephony.externalCall.register.json", "params": {"USER_ID": 1, "PHONE_NUMBER": "+74951234567", "TYPE": 2, "CRM_CREATE": 1}}
{"method": "telephony.externalcall.finish", "params": {"CALL_ID": "$CALL_1", "USER_ID": 1, "DURATION": 10}}
{"method": "crm.activity.list", "params": {"filter": {"ORIGIN_ID": "VI_$CALL_1"}}}
{"method": "user.get", "params": {"NAME": "$CALL_ is not a placeholder, $CALL_0 is wrong"}}"#;
        let (answers, _) = run(input, 1 << 20);
        assert_eq!(
            description(&answers[0]),
            "$CALL_1 refers to no call: 0 call(s) registered so far"
        );
        let call_id = answers[1]["body"]["result"]["CALL_ID"].as_str().unwrap();
        assert_eq!(answers[2]["status"], 200, "{}", answers[2]);
        assert_eq!(answers[2]["body"]["result"]["CALL_ID"], call_id);
        assert_eq!(answers[3]["body"]["result"][0]["ORIGIN_ID"], format!("VI_{call_id}"));
        assert_eq!(
            description(&answers[4]),
            "$CALL_0 refers to no call: 1 call(s) registered so far"
        );
    }

    #[test]
    fn a_closed_output_ends_the_run() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let engine = engine();
        let input = Cursor::new(b"{\"method\": \"user.get\"}\n".to_vec());
        let error = run_exec(&engine, input, Closed, ExecLimits::default()).unwrap_err();
        assert!(matches!(error, ExecError::Output(e) if e.kind() == io::ErrorKind::BrokenPipe));
    }
}
