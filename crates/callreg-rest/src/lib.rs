//! Bitrix24's REST wire format for callreg: a method name, JSON parameters and an identity
//! in; an HTTP status and Bitrix's JSON body out.
//!
//! The layer only translates: it reads parameters as real clients send them (numbers or
//! numeric strings, flags per contract D2), calls the typed engine, and writes results with
//! Bitrix's field names, order and JSON types.
//!
//! ```
//! use callreg_core::{Auth, Engine, EngineConfig};
//! use callreg_rest::dispatch;
//! use callreg_store_memory::MemoryStore;
//! use serde_json::json;
//!
//! let engine = Engine::new(MemoryStore::new(), EngineConfig::default()).unwrap();
//! let params = json!({"USER_ID": 1, "PHONE_NUMBER": "+7 495 123-45-67", "TYPE": 2, "CRM_CREATE": 1});
//! let reply = dispatch(&engine, &Auth::webhook(1), "telephony.externalCall.register.json", &params);
//! assert_eq!(reply.status, 200);
//! assert!(reply.body["result"]["CALL_ID"].as_str().unwrap().starts_with("externalCall."));
//! assert!(reply.body["time"]["date_start"].is_string());
//! ```

mod crm;
mod events;
pub mod params;
mod statistic;
mod telephony;

use callreg_core::store::Page;
use callreg_core::{Auth, AuthKind, CallregError, CrmStore, Engine};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use std::time::Instant;

/// An HTTP status and a Bitrix body.
#[derive(Debug, Clone, PartialEq)]
pub struct WireResponse {
    /// HTTP status: 200, or the error's (400, 403, 404, 500).
    pub status: u16,
    /// `{"result": ..., "time": {...}}` or `{"error": ..., "error_description": ...}`.
    pub body: Value,
}

/// An error as it goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    /// HTTP status.
    pub status: u16,
    /// `error`.
    pub code: String,
    /// `error_description`.
    pub description: String,
}

impl WireError {
    /// A 400 `ERROR_ARGUMENT` about a parameter's shape.
    pub fn argument(description: impl Into<String>) -> Self {
        WireError { status: 400, code: "ERROR_ARGUMENT".into(), description: description.into() }
    }

    /// A 400 `INVALID_REQUEST` about the request itself.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        WireError { status: 400, code: "INVALID_REQUEST".into(), description: description.into() }
    }

    /// 404 `ERROR_METHOD_NOT_FOUND`.
    pub fn method_not_found() -> Self {
        WireError {
            status: 404,
            code: "ERROR_METHOD_NOT_FOUND".into(),
            description: "Method not found!".into(),
        }
    }

    /// 403 `ACCESS_DENIED`.
    pub fn access_denied() -> Self {
        WireError {
            status: 403,
            code: "ACCESS_DENIED".into(),
            description: "Access denied!".into(),
        }
    }

    /// A 400 Bitrix `ERROR_CORE` (rule) error, e.g. `Not found`.
    pub fn rule(description: impl Into<String>) -> Self {
        WireError { status: 400, code: "ERROR_CORE".into(), description: description.into() }
    }

    /// The error body (no `time` block).
    pub fn body(&self) -> Value {
        json!({"error": self.code, "error_description": self.description})
    }
}

impl From<CallregError> for WireError {
    fn from(e: CallregError) -> Self {
        WireError {
            status: e.http_status(),
            code: e.code().to_string(),
            description: e.to_string(),
        }
    }
}

/// Result of a method handler.
pub(crate) type Handled = Result<Value, WireError>;

/// What a method answers: a result, or one page of a list.
#[derive(Debug)]
pub(crate) enum Reply {
    /// `{"result": ...}`.
    Result(Value),
    /// `{"result": [...], "next": N, "total": N}`, Bitrix's paging of list methods.
    Page {
        /// The items of this page.
        items: Vec<Value>,
        /// The `start` of the next page, when there is one.
        next: Option<usize>,
        /// How many items the whole list has.
        total: usize,
    },
}

/// Result of a list handler.
pub(crate) type Listed = Result<Reply, WireError>;

/// Items per page of a list method, as Bitrix pages them.
pub const PAGE_SIZE: usize = 50;

/// The `start` of a list request: a non-negative integer, 0 when absent.
pub(crate) fn start_of(p: &params::Params<'_>) -> Result<usize, WireError> {
    let start = p.int("start")?;
    Ok(usize::try_from(start).unwrap_or(0))
}

/// The page of `records` from `start`.
pub(crate) fn page<T>(records: &[T], start: usize, to_json: impl Fn(&T) -> Value) -> Reply {
    page_reply(Page::from_rows(records, start, PAGE_SIZE, |record| record), start, |r| to_json(r))
}

/// The reply of a listing that nothing can pass (a filter on an id no record can have).
pub(crate) fn empty_page() -> Reply {
    Reply::Page { items: Vec::new(), next: None, total: 0 }
}

/// The reply of a page a store read (`page.items` from offset `start` of `page.total`).
pub(crate) fn page_reply<T>(page: Page<T>, start: usize, to_json: impl Fn(&T) -> Value) -> Reply {
    let items = page.items.iter().map(to_json).collect();
    let end = start.saturating_add(PAGE_SIZE);
    Reply::Page { items, next: (end < page.total).then_some(end), total: page.total }
}

/// Runs one REST method.
///
/// `method` is case-insensitive and may end in `.json`. Parameter names are case-sensitive,
/// except where Bitrix reads them in any case: every parameter of `event.offline.get` and
/// `event.offline.clear`, `FILTER` and `start` of `voximplant.statistic.get`, `user.get`'s
/// filter, and the spellings Bitrix's CRM methods accept for `fields` and `filter`.
/// An unknown method gets 404 `ERROR_METHOD_NOT_FOUND`.
pub fn dispatch<S: CrmStore>(
    engine: &Engine<S>,
    auth: &Auth,
    method: &str,
    params: &Value,
) -> WireResponse {
    let started_at = Utc::now();
    let started = Instant::now();
    match route(engine, auth, &normalize_method(method), params) {
        Ok(reply) => {
            let mut body = Map::new();
            match reply {
                Reply::Result(result) => {
                    body.insert("result".into(), result);
                }
                Reply::Page { items, next, total } => {
                    body.insert("result".into(), Value::Array(items));
                    if let Some(next) = next {
                        body.insert("next".into(), json!(next));
                    }
                    body.insert("total".into(), json!(total));
                }
            }
            body.insert("time".into(), time_block(engine, started_at, started));
            WireResponse { status: 200, body: Value::Object(body) }
        }
        Err(error) => WireResponse { status: error.status, body: error.body() },
    }
}

/// Lower case, without a trailing `.json`.
pub fn normalize_method(method: &str) -> String {
    let lower = method.trim().to_ascii_lowercase();
    match lower.strip_suffix(".json") {
        Some(stripped) => stripped.to_string(),
        None => lower,
    }
}

/// The method names `dispatch` serves, in their canonical lower-case form.
pub const METHODS: &[&str] = &[
    "telephony.externalcall.register",
    "telephony.externalcall.finish",
    "telephony.externalcall.show",
    "telephony.externalcall.hide",
    "telephony.externalcall.searchcrmentities",
    "telephony.externalcall.attachrecord",
    "telephony.call.attachtranscription",
    "telephony.externalline.add",
    "telephony.externalline.update",
    "telephony.externalline.delete",
    "telephony.externalline.get",
    "user.add",
    "user.get",
    "crm.contact.add",
    "crm.contact.get",
    "crm.contact.list",
    "crm.company.add",
    "crm.company.get",
    "crm.company.list",
    "crm.lead.add",
    "crm.lead.get",
    "crm.lead.list",
    "crm.deal.add",
    "crm.deal.get",
    "crm.deal.list",
    "crm.activity.list",
    "crm.status.list",
    "voximplant.statistic.get",
    "event.offline.get",
    "event.offline.clear",
];

fn route<S: CrmStore>(engine: &Engine<S>, auth: &Auth, method: &str, params: &Value) -> Listed {
    let p = params::Params::new(params);
    match method {
        "user.get" => crm::user_get(engine, p),
        "crm.contact.list" => crm::contact_list(engine, p),
        "crm.company.list" => crm::company_list(engine, p),
        "crm.lead.list" => crm::lead_list(engine, p),
        "crm.deal.list" => crm::deal_list(engine, p),
        "crm.activity.list" => crm::activity_list(engine, p),
        "voximplant.statistic.get" => statistic::statistic_get(engine, auth, p),
        _ => route_single(engine, auth, method, p).map(Reply::Result),
    }
}

fn route_single<S: CrmStore>(
    engine: &Engine<S>,
    auth: &Auth,
    method: &str,
    p: params::Params<'_>,
) -> Handled {
    match method {
        "telephony.externalcall.register" => telephony::register(engine, auth, p),
        "telephony.externalcall.finish" => telephony::finish(engine, auth, p),
        "telephony.externalcall.show" => telephony::show_or_hide(engine, p, true),
        "telephony.externalcall.hide" => telephony::show_or_hide(engine, p, false),
        "telephony.externalcall.searchcrmentities" => telephony::search_crm_entities(engine, p),
        "telephony.externalcall.attachrecord" => telephony::attach_record(engine, p),
        "telephony.call.attachtranscription" => telephony::attach_transcription(engine, p),
        "telephony.externalline.add" => telephony::line_add(engine, auth, p),
        "telephony.externalline.update" => telephony::line_update(engine, auth, p),
        "telephony.externalline.delete" => telephony::line_delete(engine, auth, p),
        "telephony.externalline.get" => telephony::line_get(engine, auth),
        "user.add" => crm::user_add(engine, auth, p),
        "crm.contact.add" => crm::contact_add(engine, auth, p),
        "crm.contact.get" => crm::contact_get(engine, p),
        "crm.company.add" => crm::company_add(engine, auth, p),
        "crm.company.get" => crm::company_get(engine, p),
        "crm.lead.add" => crm::lead_add(engine, auth, p),
        "crm.lead.get" => crm::lead_get(engine, p),
        "crm.deal.add" => crm::deal_add(engine, auth, p),
        "crm.deal.get" => crm::deal_get(engine, p),
        "crm.status.list" => crm::status_list(engine, p),
        "event.offline.get" => events::offline_get(engine, p),
        "event.offline.clear" => events::offline_clear(engine, p),
        _ => Err(WireError::method_not_found()),
    }
}

/// Bitrix's `time` block. `start` and `processing` are integers, `finish` and `duration`
/// floats, the dates ISO 8601 in the portal's time zone.
fn time_block<S: CrmStore>(
    engine: &Engine<S>,
    started_at: DateTime<Utc>,
    started: Instant,
) -> Value {
    let elapsed = started.elapsed().as_secs_f64();
    let finished_at = Utc::now();
    let start = started_at.timestamp();
    let finish = start as f64 + f64::from(started_at.timestamp_subsec_micros()) / 1e6 + elapsed;
    let zone = engine.config().time_zone;
    let mut block = Map::new();
    block.insert("start".into(), json!(start));
    block.insert("finish".into(), json!(finish));
    block.insert("duration".into(), json!(elapsed));
    block.insert("processing".into(), json!(elapsed.trunc() as i64));
    block.insert("date_start".into(), json!(iso_in_zone(started_at, zone)));
    block.insert("date_finish".into(), json!(iso_in_zone(finished_at, zone)));
    Value::Object(block)
}

/// `2026-03-10T11:19:38+03:00`: seconds precision, the zone's offset (PHP's `date('c')`).
pub fn iso_in_zone(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// Reads a request's `auth` object: `{"user_id": N, "app_id": "..." | null, "type": "webhook" |
/// "oauth" | "session"}`. Absent: user 1 by webhook. `type` defaults to `oauth` when an
/// `app_id` is given, else `webhook`.
pub fn parse_auth(auth: Option<&Value>) -> Result<Auth, WireError> {
    let invalid = |what: &str| WireError::invalid_request(format!("auth.{what} is invalid"));
    let Some(value) = auth.filter(|v| !v.is_null()) else {
        return Ok(Auth::webhook(1));
    };
    let object =
        value.as_object().ok_or_else(|| WireError::invalid_request("auth should be an object"))?;
    // An identity is exact: a positive integer, as a JSON number or a string of digits.
    let user_id = match object.get("user_id") {
        None | Some(Value::Null) => 1,
        Some(Value::Number(n)) => {
            n.as_u64().filter(|id| *id > 0).ok_or_else(|| invalid("user_id"))?
        }
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<u64>().ok().filter(|id| *id > 0).ok_or_else(|| invalid("user_id"))?
        }
        Some(_) => return Err(invalid("user_id")),
    };
    let app_id = match object.get("app_id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(params::scalar_text(v).ok_or_else(|| invalid("app_id"))?),
    };
    let kind = match object.get("type") {
        None | Some(Value::Null) => {
            if app_id.is_some() {
                AuthKind::OAuth
            } else {
                AuthKind::Webhook
            }
        }
        Some(Value::String(name)) => AuthKind::parse(name).ok_or_else(|| invalid("type"))?,
        Some(_) => return Err(invalid("type")),
    };
    Ok(Auth {
        user_id: callreg_core::UserId(user_id),
        app_id: app_id.map(callreg_core::AppId::new),
        kind,
    })
}
