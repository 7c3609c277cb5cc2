//! `voximplant.statistic.get`: finished calls, filtered by `CALL_ID`, `PHONE_NUMBER` and
//! `PORTAL_USER_ID`. Parameter names are case-insensitive here, as in Bitrix.

use crate::params::{Params, php_int, scalar_text};
use crate::{Listed, PAGE_SIZE, WireError, empty_page, iso_in_zone, page_reply};
use callreg_core::model::CallRecord;
use callreg_core::model::TelephonyPermission;
use callreg_core::store::CallRecordFilter;
use callreg_core::{Auth, CallId, CrmStore, Engine, UserId};
use serde_json::{Map, Value, json};

pub(crate) fn statistic_get<S: CrmStore>(engine: &Engine<S>, auth: &Auth, p: Params<'_>) -> Listed {
    if engine.config().permission_check {
        let acting = engine.user(auth.user_id)?;
        if !acting.is_some_and(|u| u.active && u.can(TelephonyPermission::CallDetailView)) {
            return Err(WireError::access_denied());
        }
    }
    // After the permission, so that a malformed `start` never hides a 403.
    let start = match p.get_ignore_case("start") {
        None => 0,
        Some(value) => {
            let start =
                php_int(value).ok_or_else(|| WireError::argument("start should be an integer"))?;
            usize::try_from(start).unwrap_or(0)
        }
    };
    let filter = match p.get_ignore_case("FILTER") {
        None => None,
        Some(value @ Value::Object(_)) => Some(Params::new(value)),
        Some(Value::Array(items)) if items.is_empty() => None,
        Some(_) => return Err(WireError::argument("FILTER should be an object")),
    };
    crate::crm::only_filters(
        filter.iter().flat_map(|f| f.keys()),
        &["CALL_ID", "PHONE_NUMBER", "PORTAL_USER_ID"],
        true,
    )?;
    let text = |name: &str| match filter.and_then(|f| f.get_ignore_case(name)) {
        None => Ok(None),
        Some(value) => scalar_text(value)
            .map(Some)
            .ok_or_else(|| WireError::argument(format!("FILTER {name} should be a string"))),
    };
    let call_id = text("CALL_ID")?;
    let phone = text("PHONE_NUMBER")?;
    let phone_key = phone.as_deref().and_then(|n| engine.phones().key(n)).map(|k| k.to_storage());
    let user = match filter.and_then(|f| f.get_ignore_case("PORTAL_USER_ID")) {
        None => None,
        Some(v) => Some(
            php_int(v)
                .ok_or_else(|| WireError::argument("FILTER PORTAL_USER_ID should be an integer"))?,
        ),
    };
    // A negative user id matches no row.
    let portal_user_id = match user {
        None => None,
        Some(user) => match u64::try_from(user) {
            Ok(user) => Some(UserId(user)),
            Err(_) => return Ok(empty_page()),
        },
    };
    let filter = CallRecordFilter {
        call_id: call_id.map(CallId::new),
        phone_number: phone,
        phone_key,
        portal_user_id,
    };
    let zone = engine.config().time_zone;
    let rows = engine.call_records_page(&filter, start, PAGE_SIZE)?;
    Ok(page_reply(rows, start, |r| statistic_get_row(r, zone)))
}

/// A row as `voximplant.statistic.get` lists it: Bitrix's statistics columns, read from the
/// database, so numbers come back as strings.
fn statistic_get_row(record: &CallRecord, zone: chrono_tz::Tz) -> Value {
    let text = |v: Option<u64>| json!(v.map(|v| v.to_string()));
    let app = record.app_id.as_ref().map(|a| a.as_str());
    let mut row = Map::new();
    row.insert("ID".into(), json!(record.id.to_string()));
    row.insert("PORTAL_USER_ID".into(), json!(record.portal_user_id.0.to_string()));
    row.insert("PORTAL_NUMBER".into(), json!(record.portal_number));
    row.insert("PHONE_NUMBER".into(), json!(record.phone_number));
    row.insert("CALL_ID".into(), json!(record.call_id.as_str()));
    row.insert("EXTERNAL_CALL_ID".into(), json!(record.external_call_id));
    row.insert("CALL_CATEGORY".into(), json!("external"));
    row.insert("CALL_TYPE".into(), json!(record.call_type.code().to_string()));
    row.insert("CALL_DURATION".into(), json!(record.duration.to_string()));
    row.insert("CALL_START_DATE".into(), json!(iso_in_zone(record.start_date, zone)));
    row.insert("CALL_RECORD_ID".into(), text(record.record_id));
    row.insert("CALL_RECORD_URL".into(), json!(record.record_url));
    row.insert("CALL_VOTE".into(), json!(record.vote.to_string()));
    row.insert("COST".into(), json!(format!("{:.4}", record.cost)));
    row.insert("COST_CURRENCY".into(), json!(record.cost_currency));
    row.insert("CALL_FAILED_CODE".into(), json!(record.failed_code));
    row.insert("CALL_FAILED_REASON".into(), json!(record.failed_reason));
    row.insert("CRM_ACTIVITY_ID".into(), text(record.activity_id));
    row.insert("CRM_ENTITY_TYPE".into(), json!(record.primary.map(|e| e.kind.as_str())));
    row.insert("CRM_ENTITY_ID".into(), text(record.primary.map(|e| e.id)));
    row.insert("REST_APP_ID".into(), json!(app));
    row.insert("REST_APP_NAME".into(), json!(app));
    row.insert("TRANSCRIPT_ID".into(), text(record.transcript_id));
    row.insert("TRANSCRIPT_PENDING".into(), json!("N"));
    row.insert("COMMENT".into(), Value::Null);
    Value::Object(row)
}
