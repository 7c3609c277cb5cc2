//! `telephony.call.attachTranscription`: transcripts of finished calls.
//!
//! Every attach creates a new transcript; the call's statistics row points to the latest.

use crate::engine::Engine;
use crate::error::CallregError;
use crate::finish::MAX_COST_CURRENCY;
use crate::model::{Transcript, TranscriptMessage};
use crate::store::CrmStore;
use crate::types::CallId;

/// One entry of `MESSAGES` as received, after the wire layer's PHP casts
/// (`(int)` for the times, `(string)` for the text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTranscriptMessage {
    /// `SIDE`: must be exactly `Client` or `User`. `None` when absent.
    pub side: Option<String>,
    /// `START_TIME`, seconds from the call's start; must not be negative.
    pub start_time: i64,
    /// `STOP_TIME`, seconds from the call's start; must be positive. It may precede
    /// `START_TIME` (Bitrix does not check).
    pub stop_time: i64,
    /// `MESSAGE`: must not be empty.
    pub message: String,
}

/// An `attachTranscription` as received.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptRequest {
    /// `CALL_ID`; `None` when absent.
    pub call_id: Option<String>,
    /// `MESSAGES`, each with its array key as given (`"0"`, or any key of a JSON object);
    /// `None` when absent or not an array.
    pub messages: Option<Vec<(String, RawTranscriptMessage)>>,
    /// `COST` (0 when absent).
    pub cost: f64,
    /// `COST_CURRENCY`; kept only when `COST` is non-zero.
    pub cost_currency: String,
}

impl TranscriptRequest {
    /// A transcript of `call_id` with these messages, keyed `"0"`, `"1"`, ..., and no cost.
    pub fn new(call_id: impl Into<String>, messages: Vec<RawTranscriptMessage>) -> Self {
        TranscriptRequest {
            call_id: Some(call_id.into()),
            messages: Some(
                messages.into_iter().enumerate().map(|(i, m)| (i.to_string(), m)).collect(),
            ),
            cost: 0.0,
            cost_currency: String::new(),
        }
    }
}

impl RawTranscriptMessage {
    /// A message of `side` from `start_time` to `stop_time`.
    pub fn new(side: &str, start_time: i64, stop_time: i64, message: impl Into<String>) -> Self {
        RawTranscriptMessage {
            side: Some(side.to_string()),
            start_time,
            stop_time,
            message: message.into(),
        }
    }
}

impl<S: CrmStore> Engine<S> {
    /// Attaches a transcript to a finished call (`telephony.call.attachTranscription`);
    /// returns `TRANSCRIPT_ID`.
    ///
    /// Checks, in order (Bitrix's): `CALL_ID` set and non-empty, `MESSAGES` an array, then per
    /// message `SIDE` (`Client`/`User`, case-sensitive), `START_TIME` ≥ 0, `STOP_TIME` > 0 and
    /// a non-empty `MESSAGE`; then that the call is finished; then the limits (contract D8:
    /// `COST_CURRENCY` at most 50 characters, a finite `COST`). An empty `MESSAGES` passes.
    /// Each attach creates a new transcript and points the statistics row at it. No auth check.
    pub fn attach_transcription(&self, request: &TranscriptRequest) -> Result<u64, CallregError> {
        let call_id = request
            .call_id
            .as_deref()
            .filter(|id| !id.is_empty())
            .ok_or(CallregError::TranscriptCallIdMissing)?;
        let raw = request.messages.as_deref().ok_or(CallregError::MessagesNotArray)?;
        if raw.len() > MAX_MESSAGES {
            return Err(CallregError::TooMany { param: "MESSAGES", limit: MAX_MESSAGES });
        }
        let messages = raw
            .iter()
            .map(|(key, message)| valid_message(key, message))
            .collect::<Result<Vec<_>, _>>()?;
        let call_id = CallId::new(call_id);
        let now = self.now();
        self.in_transaction(|tx| {
            let mut call = tx
                .call_record(&call_id)?
                .ok_or_else(|| CallregError::TranscriptCallNotFound(call_id.to_string()))?;
            check_transcript_limits(request)?;
            let cost_currency =
                if request.cost != 0.0 { request.cost_currency.clone() } else { String::new() };
            let transcript = Transcript {
                id: 0,
                call_id: call_id.clone(),
                messages,
                cost: request.cost,
                cost_currency,
                created_at: now,
            };
            let id = tx.insert_transcript(&transcript)?;
            call.transcript_id = Some(id);
            if !tx.update_call_record(&call)? {
                return Err(CallregError::TranscriptCallNotFound(call_id.to_string()));
            }
            Ok(id)
        })
    }

    /// The transcript with this `TRANSCRIPT_ID`.
    pub fn transcript(&self, id: u64) -> Result<Option<Transcript>, CallregError> {
        self.read(|tx| tx.transcript(id))
    }
}

/// Most messages one transcript may hold.
pub const MAX_MESSAGES: usize = 10_000;
/// Longest message text, in characters.
pub const MAX_MESSAGE_CHARS: usize = 10_000;

/// One message checked in Bitrix's order, its errors naming the array key as given.
fn valid_message(
    key: &str,
    message: &RawTranscriptMessage,
) -> Result<TranscriptMessage, CallregError> {
    let side = match message.side.as_deref() {
        Some(side @ ("Client" | "User")) => side,
        _ => return Err(CallregError::MessageSide(key.to_string())),
    };
    if message.start_time < 0 {
        return Err(CallregError::MessageStartTime(key.to_string()));
    }
    if message.stop_time <= 0 {
        return Err(CallregError::MessageStopTime(key.to_string()));
    }
    if message.message.is_empty() {
        return Err(CallregError::MessageEmpty(key.to_string()));
    }
    if message.message.chars().count() > MAX_MESSAGE_CHARS {
        return Err(CallregError::InvalidValue(format!(
            "MESSAGES[{key}][MESSAGE] is too long: at most {MAX_MESSAGE_CHARS} characters"
        )));
    }
    Ok(TranscriptMessage {
        side: side.to_string(),
        start_time: message.start_time,
        stop_time: message.stop_time,
        message: message.message.clone(),
    })
}

fn check_transcript_limits(request: &TranscriptRequest) -> Result<(), CallregError> {
    if request.cost_currency.chars().count() > MAX_COST_CURRENCY {
        return Err(CallregError::TooLong { param: "COST_CURRENCY", limit: MAX_COST_CURRENCY });
    }
    if !request.cost.is_finite() {
        return Err(CallregError::InvalidValue("COST should be a number".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(side: Option<&str>, start: i64, stop: i64, text: &str) -> RawTranscriptMessage {
        RawTranscriptMessage {
            side: side.map(Into::into),
            start_time: start,
            stop_time: stop,
            message: text.into(),
        }
    }

    #[test]
    fn message_checks_in_bitrix_order_naming_the_key() {
        let error = |m: RawTranscriptMessage| valid_message("k", &m).err().map(|e| e.to_string());
        assert_eq!(
            error(message(Some("user"), -1, 0, "")).as_deref(),
            Some("MESSAGES[k][SIDE] should be either Client or User")
        );
        assert_eq!(
            error(message(None, 1, 2, "hi")).as_deref(),
            Some("MESSAGES[k][SIDE] should be either Client or User")
        );
        assert_eq!(
            error(message(Some("User"), -1, 0, "")).as_deref(),
            Some("MESSAGES[k][START_TIME] should be greater or equal to zero")
        );
        assert_eq!(
            error(message(Some("Client"), 0, 0, "")).as_deref(),
            Some("MESSAGES[k][STOP_TIME] should be greater than zero")
        );
        assert_eq!(
            error(message(Some("Client"), 0, 1, "")).as_deref(),
            Some("MESSAGES[k][MESSAGE] is empty")
        );
        // STOP_TIME before START_TIME is not checked.
        assert_eq!(error(message(Some("Client"), 9, 1, "hi")), None);
    }

    #[test]
    fn limits() {
        let mut request = TranscriptRequest::new("c", Vec::new());
        assert!(check_transcript_limits(&request).is_ok());
        request.cost_currency = "X".repeat(50);
        assert!(check_transcript_limits(&request).is_ok());
        request.cost_currency = "X".repeat(51);
        assert_eq!(
            check_transcript_limits(&request).err().map(|e| e.to_string()).as_deref(),
            Some("COST_CURRENCY is too long: at most 50 characters")
        );
        request.cost_currency = String::new();
        request.cost = f64::NAN;
        assert_eq!(
            check_transcript_limits(&request).err().map(|e| e.to_string()).as_deref(),
            Some("COST should be a number")
        );
    }
}
