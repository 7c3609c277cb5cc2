//! `callreg calls` and `callreg events`: what is in the store, as an aligned table for people
//! or as JSON for programs.

use callreg_core::model::{ActiveCall, CallRecord, OutboxEvent};
use callreg_core::{CallType, EntityRef, UserId};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};

/// A column-aligned text table: columns separated by two spaces, the last column unpadded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

/// The text with control characters written as Rust escapes (`\u{1b}`, `\n`).
fn printable(text: &str) -> String {
    if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() })
            .collect()
    } else {
        text.to_string()
    }
}

impl Table {
    /// A table with these column headers and no rows.
    pub fn new(headers: &[&'static str]) -> Self {
        Table { headers: headers.to_vec(), rows: Vec::new() }
    }

    /// Adds a row (missing cells are empty, extra cells ignored). Control characters in a
    /// cell are shown escaped, so stored text can never move the terminal's cursor.
    pub fn push(&mut self, row: Vec<String>) {
        let mut row: Vec<String> = row.into_iter().map(|cell| printable(&cell)).collect();
        row.resize(self.headers.len(), String::new());
        self.rows.push(row);
    }

    /// The table as lines of text, each ending in `\n`.
    pub fn render(&self) -> String {
        let width = |text: &str| text.chars().count();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        let mut out = String::new();
        let header: Vec<String> = self.headers.iter().map(|h| h.to_string()).collect();
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::new();
            for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', w.saturating_sub(width(cell))));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// One call, active or finished, as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRow {
    /// `CALL_ID`.
    pub call_id: String,
    /// Whether the call has been finished.
    pub finished: bool,
    /// `TYPE`.
    pub call_type: CallType,
    /// The caller's number (stripped).
    pub number: String,
    /// The call's user (the finishing user once finished).
    pub user_id: UserId,
    /// `CALL_START_DATE`.
    pub start: DateTime<Utc>,
    /// `CALL_DURATION` in seconds, once finished.
    pub duration: Option<i64>,
    /// `STATUS_CODE` (`CALL_FAILED_CODE`), once finished.
    pub status_code: Option<String>,
    /// The primary CRM record.
    pub entity: Option<EntityRef>,
    /// `EXTERNAL_CALL_ID`.
    pub external_call_id: Option<String>,
    /// When the call was last changed: registered (active) or finished.
    pub touched: DateTime<Utc>,
}

impl CallRow {
    fn active(call: &ActiveCall) -> Self {
        CallRow {
            call_id: call.call_id.to_string(),
            finished: false,
            call_type: call.call_type,
            number: call.caller_id.clone(),
            user_id: call.user_id,
            start: call.start_date,
            duration: None,
            status_code: None,
            entity: call.primary(),
            external_call_id: call.external_call_id.clone(),
            touched: call.registered_at,
        }
    }

    fn finished(record: &CallRecord) -> Self {
        CallRow {
            call_id: record.call_id.to_string(),
            finished: true,
            call_type: record.call_type,
            number: record.phone_number.clone(),
            user_id: record.portal_user_id,
            start: record.start_date,
            duration: Some(record.duration),
            status_code: Some(record.failed_code.clone()),
            entity: record.primary,
            external_call_id: record.external_call_id.clone(),
            touched: record.finished_at,
        }
    }

    fn state(&self) -> &'static str {
        if self.finished { "finished" } else { "active" }
    }
}

/// The `limit` most recent calls, most recent first: by `CALL_START_DATE`, then by when
/// they were registered (active) or finished, then by `CALL_ID`.
pub fn recent_calls(active: &[ActiveCall], finished: &[CallRecord], limit: usize) -> Vec<CallRow> {
    let mut rows: Vec<CallRow> =
        active.iter().map(CallRow::active).chain(finished.iter().map(CallRow::finished)).collect();
    rows.sort_by(|a, b| {
        b.start
            .cmp(&a.start)
            .then(b.touched.cmp(&a.touched))
            .then_with(|| a.call_id.cmp(&b.call_id))
    });
    rows.truncate(limit);
    rows
}

/// A call type's name: `outgoing`, `incoming`, `redirect`, `callback` or `info`.
pub fn call_type_name(call_type: CallType) -> &'static str {
    match call_type {
        CallType::Outgoing => "outgoing",
        CallType::Incoming => "incoming",
        CallType::IncomingRedirect => "redirect",
        CallType::Callback => "callback",
        CallType::Information => "info",
    }
}

fn local_time(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%Y-%m-%d %H:%M:%S").to_string()
}

fn iso_time(at: DateTime<Utc>, zone: Tz) -> String {
    callreg_rest::iso_in_zone(at, zone)
}

/// The calls as an aligned table (times in `zone`), or a line saying there are none.
pub fn calls_table(rows: &[CallRow], zone: Tz) -> String {
    if rows.is_empty() {
        return "No calls.\n".to_string();
    }
    let mut table = Table::new(&[
        "CALL_ID",
        "STATE",
        "TYPE",
        "NUMBER",
        "USER",
        "START",
        "DURATION",
        "STATUS",
        "CRM ENTITY",
    ]);
    for row in rows {
        table.push(vec![
            row.call_id.clone(),
            row.state().to_string(),
            call_type_name(row.call_type).to_string(),
            row.number.clone(),
            row.user_id.to_string(),
            local_time(row.start, zone),
            row.duration.map_or_else(|| "-".to_string(), |d| format!("{d}s")),
            row.status_code.clone().filter(|c| !c.is_empty()).unwrap_or_else(|| "-".to_string()),
            row.entity.map_or_else(|| "-".to_string(), |e| e.to_string()),
        ]);
    }
    table.render()
}

/// The calls as a JSON array (times ISO 8601 in `zone`).
pub fn calls_json(rows: &[CallRow], zone: Tz) -> Value {
    Value::Array(
        rows.iter()
            .map(|row| {
                let mut item = Map::new();
                item.insert("CALL_ID".into(), json!(row.call_id));
                item.insert("STATE".into(), json!(row.state()));
                item.insert("TYPE".into(), json!(row.call_type.code()));
                item.insert("PHONE_NUMBER".into(), json!(row.number));
                item.insert("USER_ID".into(), json!(row.user_id.0));
                item.insert("CALL_START_DATE".into(), json!(iso_time(row.start, zone)));
                item.insert("CALL_DURATION".into(), json!(row.duration));
                item.insert("STATUS_CODE".into(), json!(row.status_code));
                item.insert("CRM_ENTITY_TYPE".into(), json!(row.entity.map(|e| e.kind.as_str())));
                item.insert("CRM_ENTITY_ID".into(), json!(row.entity.map(|e| e.id)));
                item.insert("EXTERNAL_CALL_ID".into(), json!(row.external_call_id));
                Value::Object(item)
            })
            .collect(),
    )
}

fn data_text(event: &OutboxEvent, key: &str) -> String {
    match event.data.get(key) {
        Some(Value::String(text)) if !text.is_empty() => text.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "-".to_string(),
    }
}

/// The events as an aligned table (times in `zone`), or a line saying there are none.
pub fn events_table(events: &[OutboxEvent], zone: Tz) -> String {
    if events.is_empty() {
        return "No pending events.\n".to_string();
    }
    let mut table = Table::new(&["ID", "EVENT_NAME", "QUEUED", "CALL_ID", "USER", "CLAIMED BY"]);
    for event in events {
        table.push(vec![
            event.id.to_string(),
            event.name.clone(),
            local_time(event.created_at, zone),
            data_text(event, "CALL_ID"),
            match data_text(event, "USER_ID") {
                user if user == "-" => data_text(event, "PORTAL_USER_ID"),
                user => user,
            },
            event.process_id.clone().unwrap_or_else(|| "-".to_string()),
        ]);
    }
    table.render()
}

/// The events as a JSON array in `event.offline.get`'s item shape.
pub fn events_json(events: &[OutboxEvent], zone: Tz) -> Value {
    Value::Array(
        events
            .iter()
            .map(|e| {
                json!({
                    "ID": e.id,
                    "TIMESTAMP_X": iso_time(e.created_at, zone),
                    "EVENT_NAME": e.name,
                    "EVENT_DATA": e.data,
                    "PROCESS_ID": e.process_id,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn tables_align_columns_and_trim_line_ends() {
        let mut table = Table::new(&["A", "LONGER", "C"]);
        table.push(vec!["wide value".into(), "x".into(), "".into()]);
        table.push(vec!["й".into(), "".into(), "last".into()]);
        assert_eq!(
            table.render(),
            "A           LONGER  C\n\
             wide value  x\n\
             й                   last\n"
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut table = Table::new(&["A"]);
        table.push(vec!["x\u{1b}[2Jy\nz".to_string()]);
        let text = table.render();
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(text.contains("x\\u{1b}[2Jy\\nz"), "{text:?}");
    }

    #[test]
    fn empty_listings_say_so() {
        assert_eq!(calls_table(&[], chrono_tz::UTC), "No calls.\n");
        assert_eq!(events_table(&[], chrono_tz::UTC), "No pending events.\n");
        assert_eq!(calls_json(&[], chrono_tz::UTC), json!([]));
    }
}
