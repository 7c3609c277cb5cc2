//! `event.offline.get` / `event.offline.clear`: the outbox with Bitrix's offline-events
//! semantics.

use crate::params::{Params, php_int};
use crate::{Handled, WireError, iso_in_zone};
use callreg_core::{CrmStore, Engine};
use serde_json::{Value, json};

/// Largest `limit` served at once.
const MAX_LIMIT: i64 = 1000;
/// `limit` when absent.
const DEFAULT_LIMIT: i64 = 50;

pub(crate) fn offline_get<S: CrmStore>(engine: &Engine<S>, p: Params<'_>) -> Handled {
    // Bitrix lowercases this method's parameter names.
    let lowered = p.lowercased();
    let p = Params::new(&lowered);
    let limit = p.opt_int("limit")?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(WireError::argument(format!("limit should be between 1 and {MAX_LIMIT}")));
    }
    let limit = usize::try_from(limit).unwrap_or(1);
    let clear = p.flag("clear")?.unwrap_or(true);
    // A reader names its process to get again what it took without clearing.
    let process_id = p.string("process_id")?.map(|id| id.trim().to_string());
    let taken = match &process_id {
        Some(id) => engine.retake_offline_events(id, limit, clear)?,
        None => engine.take_offline_events(limit, clear)?,
    };
    let zone = engine.config().time_zone;
    let events: Vec<Value> = taken
        .events
        .iter()
        .map(|e| {
            json!({
                "ID": e.id,
                "TIMESTAMP_X": iso_in_zone(e.created_at, zone),
                "EVENT_NAME": e.name,
                "EVENT_DATA": e.data,
                "EVENT_ADDITIONAL": [],
                "PROCESS_ID": e.process_id,
            })
        })
        .collect();
    // As Bitrix: no process id for events taken and cleared at once, the one named otherwise.
    let returned = (process_id.is_some() || !clear).then_some(taken.process_id);
    Ok(json!({"process_id": returned, "events": events}))
}

pub(crate) fn offline_clear<S: CrmStore>(engine: &Engine<S>, p: Params<'_>) -> Handled {
    let lowered = p.lowercased();
    let p = Params::new(&lowered);
    let process_id = p
        .string("process_id")?
        .filter(|id| !id.is_empty())
        .ok_or_else(|| WireError::argument("process_id should be set"))?;
    let ids: Option<Vec<u64>> = match p.get("id") {
        None => None,
        Some(Value::Array(items)) => {
            Some(items.iter().filter_map(php_int).filter_map(|id| u64::try_from(id).ok()).collect())
        }
        Some(value) => {
            Some(php_int(value).and_then(|id| u64::try_from(id).ok()).into_iter().collect())
        }
    };
    engine.clear_offline_events(&process_id, ids.as_deref())?;
    Ok(Value::Bool(true))
}
