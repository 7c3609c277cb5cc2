//! The data the engine keeps (contract §4): users, CRM records with their phones, external
//! lines, active calls and the outbox.

use crate::auth::AppId;
use crate::phone::PhoneKey;
use crate::types::{CallId, CallType, EntityRef, UserId};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

/// A telephony permission a user may hold. Administrators hold all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TelephonyPermission {
    /// "Call statistics — modification": register and finish calls.
    CallDetailModify,
    /// "Call statistics — view": read the statistics.
    CallDetailView,
}

impl TelephonyPermission {
    /// The permission's name, as `user.add` takes it (`CALL_DETAIL_MODIFY`).
    pub fn as_str(self) -> &'static str {
        match self {
            TelephonyPermission::CallDetailModify => "CALL_DETAIL_MODIFY",
            TelephonyPermission::CallDetailView => "CALL_DETAIL_VIEW",
        }
    }

    /// Parses the permission's name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "CALL_DETAIL_MODIFY" => Some(TelephonyPermission::CallDetailModify),
            "CALL_DETAIL_VIEW" => Some(TelephonyPermission::CallDetailView),
            _ => None,
        }
    }
}

/// A phone as stored: Bitrix's multifield value plus the key it is matched by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    /// The number as entered.
    pub value: String,
    /// Bitrix's `VALUE_TYPE` (`WORK`, `MOBILE`, `HOME`, ...).
    pub value_type: String,
    /// The matching key, computed by the engine when the record is written; `None` when the
    /// value has no digits (such a phone is kept but matches nothing).
    pub key: Option<PhoneKey>,
}

/// A portal user (employee).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user's id.
    pub id: UserId,
    /// Inactive users cannot own calls.
    pub active: bool,
    /// `EMAIL`.
    pub email: String,
    /// `NAME`.
    pub name: String,
    /// `LAST_NAME`.
    pub last_name: String,
    /// `UF_PHONE_INNER`: the internal extension, digits.
    pub inner_phone: Option<String>,
    /// `WORK_PHONE`, `PERSONAL_PHONE`, `PERSONAL_MOBILE`, in that order, with their keys.
    pub phones: Vec<Phone>,
    /// Administrators hold every permission.
    pub admin: bool,
    /// Telephony permissions held.
    pub permissions: BTreeSet<TelephonyPermission>,
}

impl User {
    /// Whether the user holds `permission` (administrators hold all).
    pub fn can(&self, permission: TelephonyPermission) -> bool {
        self.admin || self.permissions.contains(&permission)
    }

    /// The user's phone with this `VALUE_TYPE` (`WORK_PHONE`, `PERSONAL_PHONE`, `PERSONAL_MOBILE`).
    pub fn phone(&self, value_type: &str) -> Option<&str> {
        self.phones.iter().find(|p| p.value_type == value_type).map(|p| p.value.as_str())
    }
}

/// A CRM contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Id (ignored on insert: the store assigns it).
    pub id: u64,
    /// `NAME`.
    pub name: String,
    /// `LAST_NAME`.
    pub last_name: String,
    /// `COMPANY_ID`.
    pub company_id: Option<u64>,
    /// `ASSIGNED_BY_ID`: the responsible user.
    pub assigned_by: UserId,
    /// `PHONE`.
    pub phones: Vec<Phone>,
    /// `DATE_CREATE`.
    pub created: DateTime<Utc>,
    /// `DATE_MODIFY`.
    pub modified: DateTime<Utc>,
}

/// A CRM company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    /// Id (ignored on insert).
    pub id: u64,
    /// `TITLE`.
    pub title: String,
    /// `ASSIGNED_BY_ID`.
    pub assigned_by: UserId,
    /// `PHONE`.
    pub phones: Vec<Phone>,
    /// `DATE_CREATE`.
    pub created: DateTime<Utc>,
    /// `DATE_MODIFY`.
    pub modified: DateTime<Utc>,
}

/// The semantics of a lead status or deal stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Semantics {
    /// Still being worked on.
    InProcess,
    /// Converted (lead) or won (deal).
    Success,
    /// Junk (lead) or lost (deal).
    Failure,
}

impl Semantics {
    /// Semantics of a lead `STATUS_ID`: `CONVERTED` success, `JUNK` failure, anything else
    /// (`NEW`, `IN_PROCESS`, `PROCESSED`, custom ones) in process.
    pub fn of_lead_status(status_id: &str) -> Semantics {
        match status_id {
            "CONVERTED" => Semantics::Success,
            "JUNK" => Semantics::Failure,
            _ => Semantics::InProcess,
        }
    }

    /// Semantics of a deal `STAGE_ID`: `WON` (or `*:WON`) success, `LOSE` (or `*:LOSE`)
    /// failure, anything else active.
    pub fn of_deal_stage(stage_id: &str) -> Semantics {
        let stage = stage_id.rsplit(':').next().unwrap_or(stage_id);
        match stage {
            "WON" => Semantics::Success,
            "LOSE" | "LOST" => Semantics::Failure,
            _ => Semantics::InProcess,
        }
    }
}

/// A CRM lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lead {
    /// Id (ignored on insert).
    pub id: u64,
    /// `TITLE`.
    pub title: String,
    /// `NAME`.
    pub name: String,
    /// `STATUS_ID`; see [`Semantics::of_lead_status`].
    pub status_id: String,
    /// `SOURCE_ID`.
    pub source_id: String,
    /// `SOURCE_DESCRIPTION`.
    pub source_description: String,
    /// `ASSIGNED_BY_ID`.
    pub assigned_by: UserId,
    /// `PHONE`.
    pub phones: Vec<Phone>,
    /// `DATE_CREATE`.
    pub created: DateTime<Utc>,
    /// `DATE_MODIFY`.
    pub modified: DateTime<Utc>,
}

impl Lead {
    /// Whether the lead is still in process (neither converted nor junk).
    pub fn in_process(&self) -> bool {
        Semantics::of_lead_status(&self.status_id) == Semantics::InProcess
    }
}

/// A CRM deal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deal {
    /// Id (ignored on insert).
    pub id: u64,
    /// `TITLE`.
    pub title: String,
    /// `CONTACT_ID`.
    pub contact_id: Option<u64>,
    /// `COMPANY_ID`.
    pub company_id: Option<u64>,
    /// `STAGE_ID`; see [`Semantics::of_deal_stage`].
    pub stage_id: String,
    /// `ASSIGNED_BY_ID`.
    pub assigned_by: UserId,
    /// `DATE_CREATE`.
    pub created: DateTime<Utc>,
    /// `DATE_MODIFY`.
    pub modified: DateTime<Utc>,
}

impl Deal {
    /// Whether the deal is still open.
    pub fn active(&self) -> bool {
        Semantics::of_deal_stage(&self.stage_id) == Semantics::InProcess
    }
}

/// An entry of the CRM source list (`crm.status.list` with `ENTITY_ID = SOURCE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// `STATUS_ID`, e.g. `CALL`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Sort order.
    pub sort: u32,
}

/// An external line of an application (`telephony.externalLine.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Id (ignored on insert).
    pub id: u64,
    /// The application owning the line (`None` for webhooks).
    pub app_id: Option<AppId>,
    /// `NUMBER`, as given (trimmed).
    pub number: String,
    /// `NAME`; `None` for lines created implicitly by register.
    pub name: Option<String>,
    /// `CRM_AUTO_CREATE`.
    pub crm_auto_create: bool,
    /// The number's matching key (the portal's own numbers are never auto-created as leads).
    pub key: Option<PhoneKey>,
}

/// One CRM record a call is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallEntity {
    /// The record.
    pub entity: EntityRef,
    /// Whether it is the call's primary entity (the one register reports).
    pub primary: bool,
    /// Whether the call created it (reassigned to the finishing user).
    pub created: bool,
}

/// A registered call that is not finished yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveCall {
    /// `CALL_ID`.
    pub call_id: CallId,
    /// The registering application.
    pub app_id: Option<AppId>,
    /// The call's user.
    pub user_id: UserId,
    /// `CALLER_ID`: the stripped `PHONE_NUMBER`.
    pub caller_id: String,
    /// The caller's dedup key (contract D14): its E.164 storage key, or `=` and the stripped
    /// digits for numbers that do not parse.
    pub caller_key: String,
    /// `TYPE`.
    pub call_type: CallType,
    /// `CALL_START_DATE` (or registration time when absent), UTC.
    pub start_date: DateTime<Utc>,
    /// When the engine registered the call; the dedup window runs from here (contract D4).
    pub registered_at: DateTime<Utc>,
    /// For a call from an internal extension: the employee who called.
    pub portal_user_id: Option<UserId>,
    /// The external line, when `LINE_NUMBER` was given.
    pub line_id: Option<u64>,
    /// `PORTAL_NUMBER`: the line number, or `REST_APP:<app id>`.
    pub portal_number: String,
    /// `EXTERNAL_CALL_ID`.
    pub external_call_id: Option<String>,
    /// Every CRM record bound to the call, the primary first.
    pub entities: Vec<CallEntity>,
    /// The id of the lead the call created, if any (`CRM_CREATED_LEAD`).
    pub created_lead: Option<u64>,
}

impl ActiveCall {
    /// The primary entity, if any.
    pub fn primary(&self) -> Option<EntityRef> {
        self.entities.iter().find(|e| e.primary).map(|e| e.entity)
    }

    /// The entities the call created, in creation order.
    pub fn created_entities(&self) -> Vec<EntityRef> {
        self.entities.iter().filter(|e| e.created).map(|e| e.entity).collect()
    }
}

/// Event data: an ordered JSON object.
pub type EventData = serde_json::Map<String, serde_json::Value>;

/// Event data already written as compact JSON: an object whose values are strings or
/// `null`, keys in the order given, exactly the text `serde_json::to_string` writes for the
/// same [`EventData`]. What the engine hands [`StoreTx::push_events`]: building it costs one
/// allocation instead of a map's dozen.
///
/// ```
/// use callreg_core::model::EventJson;
/// let json = EventJson::object().text("CALL_ID", "a\"b").null("REST_APP_ID").finish();
/// assert_eq!(json.as_str(), r#"{"CALL_ID":"a\"b","REST_APP_ID":null}"#);
/// ```
///
/// [`StoreTx::push_events`]: crate::store::StoreTx::push_events
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventJson(String);

/// An [`EventJson`] being written; [`finish`](Self::finish) closes it.
#[derive(Debug)]
pub struct EventJsonObject(String);

impl EventJson {
    /// A new object, to be filled key by key.
    pub fn object() -> EventJsonObject {
        let mut json = String::with_capacity(160);
        json.push('{');
        EventJsonObject(json)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same object as [`EventData`].
    pub fn to_data(&self) -> EventData {
        serde_json::from_str(&self.0).unwrap_or_default()
    }

    /// The JSON text of `data`, as `serde_json` writes it (a map with string keys always
    /// serializes).
    pub fn from_data(data: &EventData) -> EventJson {
        EventJson(serde_json::to_string(data).unwrap_or_else(|_| String::from("{}")))
    }
}

impl EventJsonObject {
    fn key(&mut self, key: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        push_json_string(&mut self.0, key);
        self.0.push(':');
    }

    /// Adds `"key":"value"`.
    pub fn text(mut self, key: &str, value: &str) -> EventJsonObject {
        self.key(key);
        push_json_string(&mut self.0, value);
        self
    }

    /// Adds `"key":null`.
    pub fn null(mut self, key: &str) -> EventJsonObject {
        self.key(key);
        self.0.push_str("null");
        self
    }

    /// Adds `"key":"value"`, or `"key":null` for `None`.
    pub fn optional(self, key: &str, value: Option<&str>) -> EventJsonObject {
        match value {
            Some(value) => self.text(key, value),
            None => self.null(key),
        }
    }

    /// Closes the object.
    pub fn finish(mut self) -> EventJson {
        self.0.push('}');
        EventJson(self.0)
    }
}

/// Appends `text` as a JSON string literal, escaped as `serde_json` escapes it.
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    let mut start = 0;
    for (index, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[start..index]);
        if escape.is_empty() {
            out.push_str(&format!("\\u{byte:04x}"));
        } else {
            out.push_str(escape);
        }
        start = index + 1;
    }
    out.push_str(&text[start..]);
    out.push('"');
}

/// An event waiting in the outbox (contract D9).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    /// Position in the outbox, increasing.
    pub id: u64,
    /// Event name, e.g. `ONVOXIMPLANTCALLINIT`.
    pub name: String,
    /// Event data.
    pub data: EventData,
    /// When the event was queued.
    pub created_at: DateTime<Utc>,
    /// The reader that claimed the event with `event.offline.get` and `clear: 0`, if any.
    pub process_id: Option<String>,
}

/// Names of the events the engine queues.
pub mod event_names {
    /// `OnVoximplantCallInit`: a call was registered (not emitted for a dedup hit).
    pub const CALL_INIT: &str = "ONVOXIMPLANTCALLINIT";
    /// `OnVoximplantCallStart`: a new call started.
    pub const CALL_START: &str = "ONVOXIMPLANTCALLSTART";
    /// `OnVoximplantCallEnd`: a call was finished.
    pub const CALL_END: &str = "ONVOXIMPLANTCALLEND";
    /// Show the call card to a user (Bitrix's `showExternalCall` pull event).
    pub const CARD_SHOW: &str = "ONCALLREGCARDSHOW";
    /// Hide the call card from a user (Bitrix's `hideExternalCall` pull event).
    pub const CARD_HIDE: &str = "ONCALLREGCARDHIDE";
    /// A chat message to a user about a finished call.
    pub const CHAT_MESSAGE: &str = "ONCALLREGCHATMESSAGE";
}

/// A finished call: Bitrix's statistics row (`voximplant.statistic.get`).
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    /// Row id (ignored on insert).
    pub id: u64,
    /// `CALL_ID`.
    pub call_id: CallId,
    /// `EXTERNAL_CALL_ID`.
    pub external_call_id: Option<String>,
    /// `PORTAL_USER_ID`: the finishing user.
    pub portal_user_id: UserId,
    /// `PHONE_NUMBER`: the stripped caller id.
    pub phone_number: String,
    /// The caller's dedup/matching key, as on the active call.
    pub caller_key: String,
    /// `PORTAL_NUMBER`.
    pub portal_number: String,
    /// `INCOMING`: the call type.
    pub call_type: CallType,
    /// `CALL_DURATION`, seconds (may be negative, as Bitrix allows).
    pub duration: i64,
    /// `CALL_START_DATE`.
    pub start_date: DateTime<Utc>,
    /// `CALL_STATUS`: 1 when the duration is positive.
    pub call_status: u8,
    /// `CALL_VOTE`.
    pub vote: i64,
    /// `COST`.
    pub cost: f64,
    /// `COST_CURRENCY`.
    pub cost_currency: String,
    /// `CALL_FAILED_CODE`.
    pub failed_code: String,
    /// `CALL_FAILED_REASON`.
    pub failed_reason: String,
    /// `REST_APP_ID`.
    pub app_id: Option<AppId>,
    /// `CRM_ACTIVITY_ID`, when an activity was created.
    pub activity_id: Option<u64>,
    /// `CALL_RECORD_URL`.
    pub record_url: Option<String>,
    /// The primary CRM entity.
    pub primary: Option<EntityRef>,
    /// The attached record's id (`CALL_RECORD_ID`).
    pub record_id: Option<u64>,
    /// The latest transcript's id (`TRANSCRIPT_ID`).
    pub transcript_id: Option<u64>,
    /// When the call was finished.
    pub finished_at: DateTime<Utc>,
}

/// Bitrix's activity direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `DIRECTION` 1.
    Incoming,
    /// `DIRECTION` 2.
    Outgoing,
}

impl Direction {
    /// Bitrix's `DIRECTION` id.
    pub fn id(self) -> u8 {
        match self {
            Direction::Incoming => 1,
            Direction::Outgoing => 2,
        }
    }
}

/// The result mark of a call activity, from the caller's vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultMark {
    /// No vote.
    None,
    /// Vote 4 or 5.
    Positive,
    /// Vote 3.
    Neutral,
    /// Vote 1 or 2.
    Negative,
}

impl ResultMark {
    /// The mark for a `VOTE` value.
    pub fn from_vote(vote: i64) -> Self {
        match vote {
            v if v > 3 => ResultMark::Positive,
            3 => ResultMark::Neutral,
            1 | 2 => ResultMark::Negative,
            _ => ResultMark::None,
        }
    }

    /// The mark's name (`NONE`, `POSITIVE`, `NEUTRAL`, `NEGATIVE`).
    pub fn as_str(self) -> &'static str {
        match self {
            ResultMark::None => "NONE",
            ResultMark::Positive => "POSITIVE",
            ResultMark::Neutral => "NEUTRAL",
            ResultMark::Negative => "NEGATIVE",
        }
    }
}

/// A CRM call activity, created when a call is finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// Id (ignored on insert).
    pub id: u64,
    /// `SUBJECT`, e.g. "Incoming from +7 495 123-45-67".
    pub subject: String,
    /// `DIRECTION`.
    pub direction: Direction,
    /// `START_TIME`.
    pub start_time: DateTime<Utc>,
    /// `END_TIME`: start plus the duration.
    pub end_time: DateTime<Utc>,
    /// `RESPONSIBLE_ID`.
    pub responsible_id: UserId,
    /// `AUTHOR_ID`.
    pub author_id: UserId,
    /// `ORIGIN_ID`: `VI_<CALL_ID>`.
    pub origin_id: String,
    /// The phone communication: the number and the entity it belongs to.
    pub phone: String,
    /// The communication's entity (the call's primary entity, else the first binding).
    pub communication_entity: Option<EntityRef>,
    /// `COMPLETED`.
    pub completed: bool,
    /// `SETTINGS.MISSED_CALL`.
    pub missed: bool,
    /// `RESULT_MARK`.
    pub result_mark: ResultMark,
    /// `DESCRIPTION`.
    pub description: String,
    /// The records the activity is bound to, in Bitrix's order (active deals, leads, then
    /// contact before company).
    pub bindings: Vec<EntityRef>,
    /// The attached record's id.
    pub record_id: Option<u64>,
    /// `CREATED`.
    pub created: DateTime<Utc>,
}

/// A missed incoming call, until the number is called back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissedCall {
    /// Id (ignored on insert).
    pub id: u64,
    /// The statistics row of the missed call.
    pub record_id: u64,
    /// The caller's key.
    pub caller_key: String,
    /// The user who missed it.
    pub user_id: UserId,
    /// When it was missed (the call's start).
    pub at: DateTime<Utc>,
    /// The statistics row of the successful outgoing call that answered it.
    pub called_back_by: Option<u64>,
}

/// An audio record attached to a finished call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallAudio {
    /// Id (ignored on insert): Bitrix's `FILE_ID`.
    pub id: u64,
    /// The call.
    pub call_id: CallId,
    /// File name.
    pub file_name: String,
    /// The audio bytes, when the engine holds them (absent for a URL the host did not fetch).
    pub content: Option<Vec<u8>>,
    /// The URL it came from, in URL mode.
    pub url: Option<String>,
    /// When it was attached.
    pub attached_at: DateTime<Utc>,
}

/// An upload of a record announced by `attachRecord` without content, completed later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpload {
    /// The token in the upload URL.
    pub token: String,
    /// The call.
    pub call_id: CallId,
    /// File name given to `attachRecord`.
    pub file_name: String,
    /// When it was announced.
    pub created_at: DateTime<Utc>,
}

/// A finished call's `RECORD_URL` still to be downloaded: remembered by the finish itself
/// (when the engine has a record fetcher), forgotten once the record is attached or the one
/// retry has run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordDownload {
    /// The finished call.
    pub call_id: CallId,
    /// The URL the record is fetched from.
    pub url: String,
    /// When the retry is due, if the first attempt has not attached the record by then.
    pub due: DateTime<Utc>,
}

/// One line of a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptMessage {
    /// `Client` or `User`.
    pub side: String,
    /// Seconds from the call's start.
    pub start_time: i64,
    /// Seconds from the call's start.
    pub stop_time: i64,
    /// The words.
    pub message: String,
}

/// A transcript of a finished call.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    /// Id (ignored on insert): `TRANSCRIPT_ID`.
    pub id: u64,
    /// The call.
    pub call_id: CallId,
    /// The lines.
    pub messages: Vec<TranscriptMessage>,
    /// `COST`.
    pub cost: f64,
    /// `COST_CURRENCY`.
    pub cost_currency: String,
    /// When it was attached.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod event_json_tests {
    use super::*;

    proptest::proptest! {
        /// The builder writes what serde_json writes for the same map, whatever the text.
        #[test]
        fn event_json_is_serde_json_s_text(
            entries in proptest::collection::vec(
                ("[A-Z_]{1,12}|\\PC{0,8}", proptest::option::of("\\PC{0,24}|[\\x00-\\x1f\"\\\\]{0,6}")),
                0..6,
            )
        ) {
            let mut object = EventJson::object();
            let mut map = EventData::new();
            for (key, value) in &entries {
                if map.contains_key(key) {
                    continue;
                }
                object = object.optional(key, value.as_deref());
                map.insert(
                    key.clone(),
                    value.clone().map_or(serde_json::Value::Null, serde_json::Value::String),
                );
            }
            let json = object.finish();
            proptest::prop_assert_eq!(json.as_str(), serde_json::to_string(&map).unwrap_or_default());
            proptest::prop_assert_eq!(json.to_data(), map.clone());
            proptest::prop_assert_eq!(EventJson::from_data(&map), json);
        }
    }
}
