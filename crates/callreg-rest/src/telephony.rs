//! The `telephony.*` methods: parameters in, Bitrix's result shapes out.

use crate::params::{Params, php_int_cast, scalar_text};
use crate::{Handled, WireError, iso_in_zone};
use callreg_core::finish::FinishRequest;
use callreg_core::model::User;
use callreg_core::records::{AttachRecordOutcome, AttachRecordRequest};
use callreg_core::transcripts::{RawTranscriptMessage, TranscriptRequest};
use callreg_core::{Auth, CrmSearchHit, CrmStore, Engine, RegisterOutcome, RegisterRequest};
use serde_json::{Map, Value, json};

/// `telephony.externalcall.register`.
pub(crate) fn register<S: CrmStore>(engine: &Engine<S>, auth: &Auth, p: Params<'_>) -> Handled {
    engine.authorize_call_command(auth)?;
    let crm_create = match p.flag("CRM_CREATE")? {
        Some(on) => on,
        // Bitrix's hidden legacy name for the same flag.
        None => p.flag("CRM")?.unwrap_or(false),
    };
    // Documented for register and ignored there by Bitrix (no chat message is posted on
    // registration), but still one of contract D2's flags: anything else is refused.
    p.flag("ADD_TO_CHAT")?;
    let request = RegisterRequest {
        user_id: p.int_or_bool("USER_ID")?,
        user_phone_inner: p.string("USER_PHONE_INNER")?,
        call_type: p.get("TYPE").map(type_text),
        phone_number: p.string("PHONE_NUMBER")?.unwrap_or_default(),
        call_start_date: p.string("CALL_START_DATE")?,
        crm_create,
        crm_source: p.string("CRM_SOURCE")?,
        crm_entity_type: p.string("CRM_ENTITY_TYPE")?,
        crm_entity_id: p.opt_int("CRM_ENTITY_ID")?,
        show: p.flag("SHOW")?.unwrap_or(true),
        line_number: p.string("LINE_NUMBER")?,
        external_call_id: p.string("EXTERNAL_CALL_ID")?,
    };
    let outcome = engine.register(auth, &request)?;
    Ok(register_result(&outcome))
}

/// `TYPE` as text for the loose check of contract D13; booleans and structures never pass.
fn type_text(value: &Value) -> String {
    match value {
        Value::Bool(b) => b.to_string(),
        other => scalar_text(other).unwrap_or_default(),
    }
}

/// `CALL_ID`, `CRM_CREATED_LEAD`, `CRM_CREATED_ENTITIES`, `CRM_ENTITY_TYPE`, `CRM_ENTITY_ID`
/// and, only when a creation was refused, `LEAD_CREATION_ERROR`.
pub fn register_result(outcome: &RegisterOutcome) -> Value {
    let mut result = Map::new();
    result.insert("CALL_ID".into(), json!(outcome.call_id.as_str()));
    result.insert("CRM_CREATED_LEAD".into(), json!(outcome.created_lead));
    let created: Vec<Value> = outcome
        .created_entities
        .iter()
        .map(|e| json!({"ENTITY_TYPE": e.kind.as_str(), "ENTITY_ID": e.id}))
        .collect();
    result.insert("CRM_CREATED_ENTITIES".into(), Value::Array(created));
    result.insert("CRM_ENTITY_TYPE".into(), json!(outcome.primary.map_or("", |e| e.kind.as_str())));
    result.insert("CRM_ENTITY_ID".into(), json!(outcome.primary.map(|e| e.id)));
    if let Some(error) = &outcome.lead_creation_error {
        result.insert("LEAD_CREATION_ERROR".into(), json!(error));
    }
    Value::Object(result)
}

/// `telephony.externalcall.finish`.
pub(crate) fn finish<S: CrmStore>(engine: &Engine<S>, auth: &Auth, p: Params<'_>) -> Handled {
    engine.authorize_call_command(auth)?;
    let request = FinishRequest {
        // Only a JSON string is a string (`CALL_ID must be a string` otherwise).
        call_id: p.get("CALL_ID").and_then(Value::as_str).map(str::to_string),
        user_id: p.int_or_bool("USER_ID")?,
        user_phone_inner: p.string("USER_PHONE_INNER")?,
        duration: p.int("DURATION")?,
        cost: p.float("COST")?,
        cost_currency: p.string("COST_CURRENCY")?.unwrap_or_default(),
        status_code: p.string("STATUS_CODE")?,
        failed_reason: p.string("FAILED_REASON")?.unwrap_or_default(),
        vote: p.int("VOTE")?,
        record_url: p.string("RECORD_URL")?,
        add_to_chat: p.flag("ADD_TO_CHAT")?.unwrap_or(false),
    };
    let outcome = engine.finish(auth, &request)?;
    let zone = engine.config().time_zone;
    let mut result = statistic_row(&outcome.record, zone);
    if let Some(error) = outcome.activity_error {
        result.insert("ERRORS".into(), json!({"ACTIVITY_CREATION": error}));
    }
    Ok(Value::Object(result))
}

/// A statistics row in Bitrix's order and types (reference §4.6).
pub fn statistic_row(
    record: &callreg_core::model::CallRecord,
    zone: chrono_tz::Tz,
) -> Map<String, Value> {
    let mut row = Map::new();
    row.insert("CALL_ID".into(), json!(record.call_id.as_str()));
    row.insert("EXTERNAL_CALL_ID".into(), json!(record.external_call_id));
    row.insert("PORTAL_USER_ID".into(), json!(record.portal_user_id.0));
    row.insert("PHONE_NUMBER".into(), json!(record.phone_number));
    row.insert("PORTAL_NUMBER".into(), json!(record.portal_number));
    row.insert("INCOMING".into(), json!(record.call_type.code().to_string()));
    row.insert("CALL_DURATION".into(), json!(record.duration));
    row.insert("CALL_START_DATE".into(), json!(iso_in_zone(record.start_date, zone)));
    row.insert("CALL_STATUS".into(), json!(record.call_status));
    row.insert("CALL_VOTE".into(), json!(record.vote));
    row.insert("COST".into(), json!(record.cost));
    row.insert("COST_CURRENCY".into(), json!(record.cost_currency));
    row.insert("CALL_FAILED_CODE".into(), json!(record.failed_code));
    row.insert("CALL_FAILED_REASON".into(), json!(record.failed_reason));
    let app = record.app_id.as_ref().map(|a| a.as_str());
    row.insert("REST_APP_ID".into(), json!(app));
    row.insert("REST_APP_NAME".into(), app.map_or(Value::Bool(false), |a| json!(a)));
    row.insert(
        "CRM_ACTIVITY_ID".into(),
        record.activity_id.map_or(Value::Bool(false), |id| json!(id)),
    );
    row.insert("COMMENT".into(), Value::Null);
    if let Some(url) = &record.record_url {
        row.insert("CALL_RECORD_URL".into(), json!(url));
    }
    if let Some(primary) = record.primary {
        row.insert("CRM_ENTITY_TYPE".into(), json!(primary.kind.as_str()));
        row.insert("CRM_ENTITY_ID".into(), json!(primary.id));
    }
    row.insert("ID".into(), json!(record.id));
    row
}

/// `telephony.externalcall.show` / `hide`: `true` for an active call.
pub(crate) fn show_or_hide<S: CrmStore>(engine: &Engine<S>, p: Params<'_>, show: bool) -> Handled {
    let call_id = p.get("CALL_ID").and_then(scalar_text).unwrap_or_default();
    // PHP's `(int)` of every user, booleans and nulls included (`true` is user 1; 0 is the
    // call's own user).
    let users: Option<Vec<i64>> = match p.get("USER_ID") {
        None => None,
        Some(Value::Array(items)) => Some(items.iter().map(php_int_cast).collect()),
        Some(Value::Object(items)) => Some(items.values().map(php_int_cast).collect()),
        Some(value) => Some(vec![php_int_cast(value)]),
    };
    let active = if show {
        engine.show_call(&call_id, users.as_deref())?
    } else {
        engine.hide_call(&call_id, users.as_deref())?
    };
    Ok(Value::Bool(active))
}

/// `telephony.externalcall.searchCrmEntities`.
pub(crate) fn search_crm_entities<S: CrmStore>(engine: &Engine<S>, p: Params<'_>) -> Handled {
    let number = p.string("PHONE_NUMBER")?.unwrap_or_default();
    let hits = engine.search_crm_entities(&number)?;
    Ok(Value::Array(hits.iter().map(search_item).collect()))
}

fn search_item(hit: &CrmSearchHit) -> Value {
    let mut item = Map::new();
    item.insert("CRM_ENTITY_TYPE".into(), json!(hit.entity.kind.as_str()));
    item.insert("CRM_ENTITY_ID".into(), json!(hit.entity.id));
    item.insert("ASSIGNED_BY_ID".into(), json!(hit.assigned_by.0));
    if let Some(name) = &hit.name {
        item.insert("NAME".into(), json!(name));
    }
    item.insert("ASSIGNED_BY".into(), assigned_by_block(hit.responsible.as_ref()));
    Value::Object(item)
}

/// The `ASSIGNED_BY` block: all null when the user does not exist.
fn assigned_by_block(user: Option<&User>) -> Value {
    let mut block = Map::new();
    block.insert("ID".into(), json!(user.map(|u| u.id.0.to_string())));
    // No time-tracking module here.
    block.insert("TIMEMAN_STATUS".into(), json!(user.map(|_| "NOT_INSTALLED")));
    block.insert("USER_PHONE_INNER".into(), json!(user.and_then(|u| u.inner_phone.clone())));
    for field in ["WORK_PHONE", "PERSONAL_PHONE", "PERSONAL_MOBILE"] {
        block.insert(field.into(), json!(user.and_then(|u| u.phone(field))));
    }
    Value::Object(block)
}

/// `telephony.externalcall.attachRecord`.
pub(crate) fn attach_record<S: CrmStore>(engine: &Engine<S>, p: Params<'_>) -> Handled {
    let request = AttachRecordRequest {
        call_id: p.string("CALL_ID")?.unwrap_or_default(),
        record_url: p.string("RECORD_URL")?,
        filename: p.string("FILENAME")?,
        file_content: p.string("FILE_CONTENT")?,
    };
    Ok(match engine.attach_record(&request)? {
        AttachRecordOutcome::Attached { file_id } => json!({"FILE_ID": file_id}),
        AttachRecordOutcome::UploadRequired { upload_url, field_name } => {
            json!({"uploadUrl": upload_url, "fieldName": field_name})
        }
    })
}

/// `telephony.call.attachTranscription`.
pub(crate) fn attach_transcription<S: CrmStore>(engine: &Engine<S>, p: Params<'_>) -> Handled {
    let messages = match p.get("MESSAGES") {
        Some(Value::Array(items)) => Some(
            items.iter().enumerate().map(|(i, m)| (i.to_string(), transcript_message(m))).collect(),
        ),
        Some(Value::Object(items)) => {
            Some(items.iter().map(|(k, m)| (k.clone(), transcript_message(m))).collect())
        }
        _ => None,
    };
    let request = TranscriptRequest {
        call_id: p.get("CALL_ID").and_then(scalar_text),
        messages,
        cost: p.float("COST")?,
        cost_currency: p.string("COST_CURRENCY")?.unwrap_or_default(),
    };
    let id = engine.attach_transcription(&request)?;
    Ok(json!({"TRANSCRIPT_ID": id}))
}

/// One message with PHP's casts: `(int)` times, `(string)` text; a non-object has nothing.
fn transcript_message(value: &Value) -> RawTranscriptMessage {
    let field = |name: &str| value.as_object().and_then(|m| m.get(name)).filter(|v| !v.is_null());
    RawTranscriptMessage {
        side: field("SIDE").and_then(Value::as_str).map(str::to_string),
        start_time: field("START_TIME").map_or(0, php_int_cast),
        stop_time: field("STOP_TIME").map_or(0, php_int_cast),
        message: field("MESSAGE").and_then(scalar_text).unwrap_or_default(),
    }
}

/// `CRM_AUTO_CREATE` of the line methods: exactly `"Y"` is on, anything else off (Bitrix).
fn auto_create(p: &Params<'_>) -> Option<bool> {
    p.get("CRM_AUTO_CREATE").map(|v| v.as_str() == Some("Y"))
}

/// `telephony.externalLine.add` → `{"ID": int}`.
pub(crate) fn line_add<S: CrmStore>(engine: &Engine<S>, auth: &Auth, p: Params<'_>) -> Handled {
    line_auth(auth)?;
    let number = p.string("NUMBER")?.unwrap_or_default();
    let name = p.string("NAME")?;
    let id = engine.add_line(auth, &number, name.as_deref(), auto_create(&p))?;
    Ok(json!({"ID": id}))
}

/// `telephony.externalLine.update` → `{"ID": "<id>"}` (a string, as Bitrix answers).
pub(crate) fn line_update<S: CrmStore>(engine: &Engine<S>, auth: &Auth, p: Params<'_>) -> Handled {
    line_auth(auth)?;
    let number = p.string("NUMBER")?;
    let name = p.string("NAME")?;
    let id = engine.update_line(auth, number.as_deref(), name.as_deref(), auto_create(&p))?;
    Ok(json!({"ID": id.to_string()}))
}

/// `telephony.externalLine.delete` → `[]`.
pub(crate) fn line_delete<S: CrmStore>(engine: &Engine<S>, auth: &Auth, p: Params<'_>) -> Handled {
    line_auth(auth)?;
    let number = p.string("NUMBER")?;
    engine.delete_line(auth, number.as_deref())?;
    Ok(json!([]))
}

/// `telephony.externalLine.get` → `[{"NUMBER", "NAME", "CRM_AUTO_CREATE"}]`.
pub(crate) fn line_get<S: CrmStore>(engine: &Engine<S>, auth: &Auth) -> Handled {
    let lines = engine.lines(auth)?;
    Ok(Value::Array(
        lines
            .iter()
            .map(|l| {
                json!({
                    "NUMBER": l.number,
                    "NAME": l.name,
                    "CRM_AUTO_CREATE": if l.crm_auto_create { "Y" } else { "N" },
                })
            })
            .collect(),
    ))
}

/// The line methods accept OAuth and webhooks only; checked before any parameter.
fn line_auth(auth: &Auth) -> Result<(), WireError> {
    if auth.kind.may_manage_calls() {
        Ok(())
    } else {
        Err(callreg_core::CallregError::WrongAuthType.into())
    }
}
