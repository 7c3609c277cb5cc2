//! The store's integrity rules, checked after hostile or random input: every indexed key
//! finds its record, no two live calls share an `EXTERNAL_CALL_ID`, no call is both live and
//! finished, and every reference from a call or a statistics row resolves.

use crate::AppId;
use crate::model::Phone;
use crate::store::{StoreResult, StoreTx};
use crate::types::{EntityRef, EntityType};
use std::collections::HashSet;

/// Checks every rule; the first broken one is returned as text.
pub fn check_integrity(tx: &mut dyn StoreTx) -> StoreResult<Result<(), String>> {
    for kind in [EntityType::Contact, EntityType::Company, EntityType::Lead] {
        for id in tx.list_entities(kind)? {
            let phones: Vec<Phone> = match kind {
                EntityType::Contact => tx.contact(id)?.map(|c| c.phones).unwrap_or_default(),
                EntityType::Company => tx.company(id)?.map(|c| c.phones).unwrap_or_default(),
                _ => tx.lead(id)?.map(|l| l.phones).unwrap_or_default(),
            };
            let entity = EntityRef { kind, id };
            for phone in phones {
                let has_digit = phone.value.bytes().any(|b| b.is_ascii_digit());
                let Some(key) = &phone.key else {
                    if has_digit {
                        return Ok(Err(format!("{entity} phone {:?} has no key", phone.value)));
                    }
                    continue;
                };
                if !tx.find_entities_by_phone_key(key)?.contains(&entity) {
                    return Ok(Err(format!("{entity} is not indexed under {key}")));
                }
            }
        }
    }
    let finished: HashSet<String> =
        tx.list_call_records()?.iter().map(|r| r.call_id.as_str().to_string()).collect();
    let mut external_ids = HashSet::new();
    for call in tx.list_active_calls()? {
        if finished.contains(call.call_id.as_str()) {
            return Ok(Err(format!("{} is both active and finished", call.call_id)));
        }
        if tx.active_call(&call.call_id)?.is_none() {
            return Ok(Err(format!("{} is listed but not found by id", call.call_id)));
        }
        if let Some(ext) = &call.external_call_id {
            if !external_ids.insert((call.app_id.clone(), ext.clone())) {
                return Ok(Err(format!("two active calls with EXTERNAL_CALL_ID {ext:?}")));
            }
            let found = tx.find_active_call_by_external_id(call.app_id.as_ref(), ext)?;
            if found.map(|c| c.call_id) != Some(call.call_id.clone()) {
                return Ok(Err(format!("{} is not indexed by its EXTERNAL_CALL_ID", call.call_id)));
            }
        }
        if let Some(lead) = call.created_lead {
            let Some(lead) = tx.lead(lead)? else {
                return Ok(Err(format!("{} created lead {lead}, which is missing", call.call_id)));
            };
            // A lead made from a call is always findable by the call's number.
            if !lead.phones.iter().any(|p| p.key.is_some()) {
                return Ok(Err(format!(
                    "lead {} made by {} has no phone key",
                    lead.id, call.call_id
                )));
            }
        }
    }
    for record in tx.list_call_records()? {
        if let Some(activity) = record.activity_id
            && tx.activity(activity)?.is_none()
        {
            return Ok(Err(format!("{} points at missing activity {activity}", record.call_id)));
        }
        if let Some(audio) = record.record_id
            && tx.audio(audio)?.is_none()
        {
            return Ok(Err(format!("{} points at missing record {audio}", record.call_id)));
        }
    }
    Ok(Ok(()))
}

/// Everything observable in a store, as text (applications `None` and `pbx` for lines).
pub fn snapshot(tx: &mut dyn StoreTx) -> StoreResult<String> {
    let mut out = String::new();
    out.push_str(&format!("{:?}\n", tx.list_users()?));
    for kind in [EntityType::Contact, EntityType::Company, EntityType::Lead, EntityType::Deal] {
        for id in tx.list_entities(kind)? {
            let record = match kind {
                EntityType::Contact => format!("{:?}", tx.contact(id)?),
                EntityType::Company => format!("{:?}", tx.company(id)?),
                EntityType::Lead => format!("{:?}", tx.lead(id)?),
                EntityType::Deal => format!("{:?}", tx.deal(id)?),
            };
            out.push_str(&record);
            out.push('\n');
        }
    }
    out.push_str(&format!("{:?}\n", tx.list_active_calls()?));
    out.push_str(&format!("{:?}\n", tx.list_call_records()?));
    out.push_str(&format!("{:?}\n", tx.list_activities()?));
    out.push_str(&format!("{:?}\n", tx.list_missed_calls()?));
    out.push_str(&format!("{:?}\n", tx.pending_events(usize::MAX)?));
    out.push_str(&format!("{:?}\n", tx.list_lines(None)?));
    let whenever = super::kit::start_time() + chrono::Duration::days(36_500);
    out.push_str(&format!("{:?}\n", tx.due_record_downloads(whenever, usize::MAX)?));
    out.push_str(&format!("{:?}\n", tx.list_lines(Some(&AppId::new("pbx")))?));
    out.push_str(&format!("{:?}\n", tx.list_sources()?));
    Ok(out)
}
