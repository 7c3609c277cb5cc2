//! `telephony.externalcall.searchCrmEntities`: who owns a number, for routing a call to the
//! responsible employee.

use crate::engine::Engine;
use crate::error::CallregError;
use crate::matching::{Searched, caller_keys, find_matching_records};
use crate::model::User;
use crate::store::{CrmStore, StoreResult, StoreTx};
use crate::types::{EntityRef, EntityRefs, EntityType, UserId};

/// One record owning the number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmSearchHit {
    /// `CRM_ENTITY_TYPE` / `CRM_ENTITY_ID`.
    pub entity: EntityRef,
    /// `ASSIGNED_BY_ID`.
    pub assigned_by: UserId,
    /// `NAME`: the contact's name or the company's or lead's title; `None` when empty.
    pub name: Option<String>,
    /// The responsible user (`ASSIGNED_BY`), when that user exists.
    pub responsible: Option<User>,
}

impl<S: CrmStore> Engine<S> {
    /// At most one contact, one lead and one company owning `phone_number` (the lowest id of
    /// each), in that order. The records are found as register finds them (every tier the
    /// configuration enables; nothing for a number on the exclusion list); lead statuses are
    /// not applied, as in Bitrix.
    pub fn search_crm_entities(
        &self,
        phone_number: &str,
    ) -> Result<Vec<CrmSearchHit>, CallregError> {
        if phone_number.is_empty() {
            return Err(CallregError::PhoneNumberEmpty);
        }
        let keys = caller_keys(self.phones(), phone_number, None);
        self.read(|tx| {
            let criteria = Some(self.bitrix_criteria(phone_number, None));
            let mut found = EntityRefs::new();
            let searched =
                find_matching_records(tx, &keys, criteria, self.suffix_digits(), &mut found)?;
            if let Searched::Excluded = searched {
                return Ok(Vec::new());
            }
            let mut hits = Vec::new();
            for kind in [EntityType::Contact, EntityType::Lead, EntityType::Company] {
                let lowest = found.iter().filter(|e| e.kind == kind).map(|e| e.id).min();
                if let Some(id) = lowest
                    && let Some(hit) = search_hit(tx, EntityRef { kind, id })?
                {
                    hits.push(hit);
                }
            }
            Ok(hits)
        })
    }
}

fn search_hit(tx: &mut dyn StoreTx, entity: EntityRef) -> StoreResult<Option<CrmSearchHit>> {
    let (assigned_by, name) = match entity.kind {
        EntityType::Contact => match tx.contact(entity.id)? {
            Some(c) => (c.assigned_by, format!("{} {}", c.name, c.last_name).trim().to_string()),
            None => return Ok(None),
        },
        EntityType::Company => match tx.company(entity.id)? {
            Some(c) => (c.assigned_by, c.title),
            None => return Ok(None),
        },
        EntityType::Lead => match tx.lead(entity.id)? {
            Some(l) if !l.title.is_empty() => (l.assigned_by, l.title),
            Some(l) => (l.assigned_by, l.name),
            None => return Ok(None),
        },
        EntityType::Deal => return Ok(None),
    };
    let responsible = tx.user(assigned_by)?;
    Ok(Some(CrmSearchHit {
        entity,
        assigned_by,
        name: Some(name).filter(|n| !n.is_empty()),
        responsible,
    }))
}
