//! How domain values become column values and back.

use crate::error::{Result, SqliteError};
use callreg_core::auth::AppId;
use callreg_core::model::{CallEntity, Direction, ResultMark};
use callreg_core::phone::PhoneKey;
use callreg_core::types::{CallType, EntityRef, EntityType, UserId};
use chrono::{DateTime, NaiveDateTime, Utc};
use std::borrow::Cow;

/// The timestamp layout: RFC 3339 in UTC with exactly nine fractional digits. Fixed width
/// for years 0000–9999, so text order is time order, and exact to the nanosecond.
const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.9fZ";

/// A timestamp as stored: [`TIMESTAMP_FORMAT`], written digit by digit for years 0–9999
/// outside leap seconds (every timestamp a registration writes), through chrono's formatter
/// otherwise.
pub(crate) fn timestamp_to_sql(at: &DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let (year, nanos) = (at.year(), at.nanosecond());
    let Ok(year) = u32::try_from(year) else { return at.format(TIMESTAMP_FORMAT).to_string() };
    if year > 9999 || nanos >= 1_000_000_000 {
        return at.format(TIMESTAMP_FORMAT).to_string();
    }
    let mut text = [0u8; 30];
    let mut put = |at: usize, value: u32, width: usize| {
        let mut value = value;
        for slot in text[at..at + width].iter_mut().rev() {
            *slot = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, year, 4);
    put(5, at.month(), 2);
    put(8, at.day(), 2);
    put(11, at.hour(), 2);
    put(14, at.minute(), 2);
    put(17, at.second(), 2);
    put(20, nanos, 9);
    for (index, separator) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (19, b'.')]
    {
        text[index] = separator;
    }
    text[29] = b'Z';
    text.iter().map(|&b| char::from(b)).collect()
}

/// A stored timestamp.
pub(crate) fn timestamp_from_sql(text: &str) -> Result<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text, TIMESTAMP_FORMAT)
        .map(|naive| naive.and_utc())
        .map_err(|_| SqliteError::decode("timestamp", text))
}

/// The `app_key` column: '' for no application (webhooks), '@' and the id otherwise. Unlike
/// a NULL `app_id`, it takes part in unique indexes, and it cannot confuse "no application"
/// with an application whose id is empty.
pub(crate) fn app_key(app: Option<&AppId>) -> String {
    match app {
        None => String::new(),
        Some(app) => format!("@{}", app.as_str()),
    }
}

/// The application an `app_key` stands for.
pub(crate) fn app_from_key(key: &str) -> Result<Option<AppId>> {
    if key.is_empty() {
        return Ok(None);
    }
    key.strip_prefix('@')
        .map(|id| Some(AppId::new(id)))
        .ok_or_else(|| SqliteError::decode("application key", key))
}

/// A phone key as stored. Refuses a key that would not read back as itself, so that nothing
/// unreadable is ever written.
pub(crate) fn phone_key_to_sql(key: &PhoneKey) -> Result<String> {
    let text = key.to_storage();
    if PhoneKey::from_storage(&text).as_ref() != Some(key) {
        return Err(SqliteError::decode("phone key (cannot be stored)", text));
    }
    Ok(text)
}

/// A stored phone key.
pub(crate) fn phone_key_from_sql(text: &str) -> Result<PhoneKey> {
    PhoneKey::from_storage(text).ok_or_else(|| SqliteError::decode("phone key", text))
}

/// An id or count as SQLite's signed integer.
pub(crate) fn int_to_sql(what: &'static str, value: u64) -> Result<i64> {
    i64::try_from(value).map_err(|_| SqliteError::OutOfRange { what, value })
}

/// A stored id (never negative).
pub(crate) fn id_from_sql(what: &'static str, value: i64) -> Result<u64> {
    u64::try_from(value).map_err(|_| SqliteError::decode(what, value))
}

/// A stored user id.
pub(crate) fn user_from_sql(value: i64) -> Result<UserId> {
    id_from_sql("user id", value).map(UserId)
}

/// Bitrix's `OWNER_TYPE_ID` of an entity type.
pub(crate) fn entity_type_to_sql(kind: EntityType) -> i64 {
    i64::from(kind.type_id())
}

/// The entity type of a stored `OWNER_TYPE_ID`.
pub(crate) fn entity_type_from_sql(value: i64) -> Result<EntityType> {
    EntityType::from_type_id(value).ok_or_else(|| SqliteError::decode("entity type", value))
}

/// A stored call type.
pub(crate) fn call_type_from_sql(value: i64) -> Result<CallType> {
    CallType::from_code(value).ok_or_else(|| SqliteError::decode("call type", value))
}

/// An id to look up; `None` when no stored record can have it.
pub(crate) fn lookup_id(id: u64) -> Option<i64> {
    i64::try_from(id).ok()
}

/// A boolean column (0 or 1).
pub(crate) fn bool_to_sql(value: bool) -> i64 {
    i64::from(value)
}

/// A nullable id column.
pub(crate) fn optional_id_to_sql(what: &'static str, id: Option<u64>) -> Result<Option<i64>> {
    id.map(|id| int_to_sql(what, id)).transpose()
}

/// A stored nullable id.
pub(crate) fn optional_id_from_sql(what: &'static str, id: Option<i64>) -> Result<Option<u64>> {
    id.map(|id| id_from_sql(what, id)).transpose()
}

/// A nullable phone key column.
pub(crate) fn optional_key_to_sql(key: Option<&PhoneKey>) -> Result<Option<String>> {
    key.map(phone_key_to_sql).transpose()
}

/// A stored nullable phone key.
pub(crate) fn optional_key_from_sql(key: Option<String>) -> Result<Option<PhoneKey>> {
    key.as_deref().map(phone_key_from_sql).transpose()
}

/// A nullable entity reference as its two columns (type, id).
pub(crate) fn optional_entity_to_sql(
    entity: Option<EntityRef>,
) -> Result<(Option<i64>, Option<i64>)> {
    match entity {
        None => Ok((None, None)),
        Some(e) => Ok((Some(entity_type_to_sql(e.kind)), Some(int_to_sql("entity id", e.id)?))),
    }
}

/// A stored entity reference from its two columns.
pub(crate) fn entity_from_sql(kind: i64, id: i64) -> Result<EntityRef> {
    Ok(EntityRef { kind: entity_type_from_sql(kind)?, id: id_from_sql("entity id", id)? })
}

/// An active call's bindings as `active_call.entities`: `<type>:<id>:<primary>:<created>`
/// per binding, in order, joined by `;`.
pub(crate) fn entities_to_sql(entities: &[CallEntity]) -> Result<String> {
    let mut text = String::with_capacity(entities.len() * 12);
    for (index, binding) in entities.iter().enumerate() {
        if index > 0 {
            text.push(';');
        }
        let id = int_to_sql("entity id", binding.entity.id)?;
        let kind = entity_type_to_sql(binding.entity.kind);
        let (primary, created) = (bool_to_sql(binding.primary), bool_to_sql(binding.created));
        text.push_str(&format!("{kind}:{id}:{primary}:{created}"));
    }
    Ok(text)
}

/// The bindings of `active_call.entities`.
pub(crate) fn entities_from_sql(text: &str) -> Result<Vec<CallEntity>> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(';')
        .map(|binding| {
            let bad = || SqliteError::decode("call binding", binding);
            let mut fields = binding.split(':');
            let mut next = || -> Result<i64> {
                fields.next().and_then(|f| f.parse::<i64>().ok()).ok_or_else(bad)
            };
            let (kind, id, primary, created) = (next()?, next()?, next()?, next()?);
            if fields.next().is_some() || !(0..=1).contains(&primary) || !(0..=1).contains(&created)
            {
                return Err(bad());
            }
            Ok(CallEntity {
                entity: entity_from_sql(kind, id)?,
                primary: primary == 1,
                created: created == 1,
            })
        })
        .collect()
}

/// A stored nullable entity reference from its two columns.
pub(crate) fn optional_entity_from_sql(
    kind: Option<i64>,
    id: Option<i64>,
) -> Result<Option<EntityRef>> {
    match (kind, id) {
        (None, None) => Ok(None),
        (Some(kind), Some(id)) => entity_from_sql(kind, id).map(Some),
        (kind, id) => Err(SqliteError::decode("entity reference", format!("{kind:?} {id:?}"))),
    }
}

/// A stored activity direction (Bitrix's `DIRECTION`).
pub(crate) fn direction_from_sql(value: i64) -> Result<Direction> {
    match value {
        1 => Ok(Direction::Incoming),
        2 => Ok(Direction::Outgoing),
        _ => Err(SqliteError::decode("activity direction", value)),
    }
}

/// A stored result mark, by name.
pub(crate) fn result_mark_from_sql(name: &str) -> Result<ResultMark> {
    [ResultMark::None, ResultMark::Positive, ResultMark::Neutral, ResultMark::Negative]
        .into_iter()
        .find(|mark| mark.as_str() == name)
        .ok_or_else(|| SqliteError::decode("result mark", name))
}

/// Events as `active_call.events`: per event, in order, `<length>:<name><length>:<data>`, each
/// length that of the text after its `:` in bytes. Data that opens with the call's own
/// `CALL_ID` member (`{"CALL_ID":"<call_id>"`, as every event a registration queues does) is
/// stored without it, behind `+`; other data is stored as it is, behind `-` when it starts
/// with either (no JSON text does).
pub(crate) fn events_to_sql<'a>(
    call_id: &str,
    events: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    use std::fmt::Write;
    let mut text = String::with_capacity(512);
    for (name, data) in events {
        let elided = data
            .strip_prefix(CALL_ID_MEMBER)
            .and_then(|rest| rest.strip_prefix(call_id))
            .and_then(|rest| rest.strip_prefix('"'));
        // Writing into a `String` cannot fail.
        let _ = match elided {
            Some(rest) => write!(text, "{}:{name}{}:+{rest}", name.len(), rest.len() + 1),
            None if data.starts_with(['+', '-']) => {
                write!(text, "{}:{name}{}:-{data}", name.len(), data.len() + 1)
            }
            None => write!(text, "{}:{name}{}:{data}", name.len(), data.len()),
        };
    }
    text
}

/// What an event's data opens with before the call's `CALL_ID` (see [`events_to_sql`]).
const CALL_ID_MEMBER: &str = "{\"CALL_ID\":\"";

/// The `(name, data)` of each event of `active_call.events` of the call `call_id`, in order.
pub(crate) fn events_from_sql<'a>(
    text: &'a str,
    call_id: &str,
) -> Result<Vec<(&'a str, Cow<'a, str>)>> {
    let bad = || SqliteError::decode("live call events", text);
    let mut events = Vec::with_capacity(3);
    let mut rest = text;
    while !rest.is_empty() {
        let mut field = || -> Result<&'a str> {
            let (length, after) = rest.split_once(':').ok_or_else(bad)?;
            // Only the lengths `events_to_sql` writes: digits, no leading zero.
            if !length.bytes().all(|b| b.is_ascii_digit())
                || (length.len() > 1 && length.starts_with('0'))
            {
                return Err(bad());
            }
            let length: usize = length.parse().map_err(|_| bad())?;
            let value = after.get(..length).ok_or_else(bad)?;
            rest = &after[length..];
            Ok(value)
        };
        let name = field()?;
        let data = field()?;
        let data = if let Some(tail) = data.strip_prefix('+') {
            Cow::Owned(format!("{CALL_ID_MEMBER}{call_id}\"{tail}"))
        } else if let Some(verbatim) = data.strip_prefix('-') {
            // Only data starting with either is written behind `-`.
            if !verbatim.starts_with(['+', '-']) {
                return Err(bad());
            }
            Cow::Borrowed(verbatim)
        } else {
            Cow::Borrowed(data)
        };
        events.push((name, data));
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use chrono::{NaiveDate, TimeZone};

    #[test]
    fn timestamps_round_trip_to_the_nanosecond_and_sort_as_text() {
        let instants = [
            Utc.timestamp_opt(0, 0).unwrap(),
            Utc.timestamp_opt(1_773_129_600, 1).unwrap(),
            Utc.timestamp_opt(1_773_129_600, 123_456_789).unwrap(),
            Utc.timestamp_opt(1_773_129_600, 999_999_999).unwrap(),
            NaiveDate::from_ymd_opt(1, 1, 1)
                .unwrap()
                .and_hms_nano_opt(0, 0, 0, 5)
                .unwrap()
                .and_utc(),
            NaiveDate::from_ymd_opt(9999, 12, 31)
                .unwrap()
                .and_hms_nano_opt(23, 59, 59, 999_999_999)
                .unwrap()
                .and_utc(),
            // A leap second, as chrono represents it.
            NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
                .unwrap()
                .and_utc(),
        ];
        for at in instants {
            let text = timestamp_to_sql(&at);
            assert_eq!(timestamp_from_sql(&text).unwrap(), at, "{text}");
        }
        let mut sorted = instants.to_vec();
        sorted.sort();
        let mut texts: Vec<String> = sorted.iter().map(timestamp_to_sql).collect();
        let before = texts.clone();
        texts.sort();
        assert_eq!(texts, before);
    }

    proptest::proptest! {
        /// The hand-written layout is chrono's, for every instant chrono can represent.
        #[test]
        fn timestamps_are_written_as_chrono_writes_them(
            seconds in -100_000_000_000i64..300_000_000_000,
            nanos in 0u32..2_000_000_000,
        ) {
            if let Some(at) = Utc.timestamp_opt(seconds, nanos).single() {
                proptest::prop_assert_eq!(
                    timestamp_to_sql(&at),
                    at.format(TIMESTAMP_FORMAT).to_string()
                );
            }
        }
    }

    proptest::proptest! {
        /// Any names and data, colons and digits included, read back as they were written,
        /// whether their data opens with the call's `CALL_ID` or not.
        #[test]
        fn live_call_events_round_trip(
            call_id in "[a-z0-9.\"]{0,12}",
            events in proptest::collection::vec(
                (".{0,12}", proptest::prop_oneof![
                    ".{0,40}",
                    "[,}].{0,30}",
                    "\\{\"CALL_ID\":\".{0,20}",
                ]),
                0..5,
            ),
        ) {
            // Some data made to open with the call's own member.
            let events: Vec<(String, String)> = events
                .into_iter()
                .map(|(name, data)| match data.chars().next() {
                    Some(',' | '}') => (name, format!("{{\"CALL_ID\":\"{call_id}\"{data}")),
                    _ => (name, data),
                })
                .collect();
            let text =
                events_to_sql(&call_id, events.iter().map(|(n, d)| (n.as_str(), d.as_str())));
            let read: Vec<(String, String)> = events_from_sql(&text, &call_id)
                .unwrap()
                .into_iter()
                .map(|(n, d)| (n.to_string(), d.into_owned()))
                .collect();
            proptest::prop_assert_eq!(read, events);
        }

        /// Any text reads as events or as an error, never a panic; what reads writes back the
        /// same.
        #[test]
        fn live_call_events_read_from_any_text(text in "[0-9:a-z+{}\"\u{e9}-]{0,40}") {
            if let Ok(events) = events_from_sql(&text, "c") {
                let events: Vec<(&str, String)> =
                    events.into_iter().map(|(n, d)| (n, d.into_owned())).collect();
                let written = events_to_sql("c", events.iter().map(|(n, d)| (*n, d.as_str())));
                proptest::prop_assert_eq!(written, text);
            }
        }
    }

    #[test]
    fn live_call_events_store_the_call_id_member_once() {
        let events = [
            ("A", "{\"CALL_ID\":\"externalCall.1\",\"USER_ID\":\"1\"}"),
            ("B", "{\"CALL_ID\":\"externalCall.2\"}"),
            ("C", "{\"CALL_ID\":\"externalCall.1\"}"),
        ];
        let text = events_to_sql("externalCall.1", events);
        assert_eq!(text, "1:A16:+,\"USER_ID\":\"1\"}1:B28:{\"CALL_ID\":\"externalCall.2\"}1:C2:+}");
        let read = events_from_sql(&text, "externalCall.1").unwrap();
        let read: Vec<(&str, &str)> = read.iter().map(|(n, d)| (*n, d.as_ref())).collect();
        assert_eq!(read, events);
    }

    #[test]
    fn live_call_events_refuse_a_length_past_the_text() {
        assert!(events_from_sql("4:NAME9:{}", "c").is_err());
        assert!(events_from_sql("4:NAME", "c").is_err());
        assert!(events_from_sql("x:NAME2:{}", "c").is_err());
        assert!(events_from_sql("04:NAME2:{}", "c").is_err());
        // A length that would cut a character in two.
        assert!(events_from_sql("1:\u{e9}2:{}", "c").is_err());
        let read = events_from_sql("1:A2:{}0:0:", "c").unwrap();
        assert_eq!(read, vec![("A", Cow::Borrowed("{}")), ("", Cow::Borrowed(""))]);
    }

    #[test]
    fn app_keys_keep_none_apart_from_an_empty_id() {
        let empty = AppId::new("");
        assert_ne!(app_key(None), app_key(Some(&empty)));
        for app in [None, Some(empty), Some(AppId::new("app.1"))] {
            assert_eq!(app_from_key(&app_key(app.as_ref())).unwrap(), app);
        }
    }
}
