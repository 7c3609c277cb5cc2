//! Finding the CRM records that own a caller's number, and choosing the primary one
//! (matching.md §3 and §5; Bitrix's `ActualEntitySelector` ranking).

use crate::model::Deal;
use crate::phone::{PhoneKey, PhoneNormalizer};
use crate::store::{StoreResult, StoreTx};
use crate::types::{EntityRef, EntityType};
use chrono::{DateTime, Utc};

/// The keys a caller's number is searched by: tier 1 (the default region) and, when the call
/// came in on a line of another country, tier 2 (the number read in the line's country).
pub fn caller_keys(
    phones: &PhoneNormalizer,
    raw: &str,
    line_number: Option<&str>,
) -> Vec<PhoneKey> {
    let mut keys = Vec::with_capacity(2);
    if let Some(key) = phones.key(raw) {
        keys.push(key);
    }
    if let Some(region) = line_number.and_then(|line| phones.region_of_line(line))
        && region != phones.default_region()
        && let Some(key) = phones.key_in_region(raw, region)
        && !keys.contains(&key)
    {
        keys.push(key);
    }
    keys
}

/// What a search by number found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnerMatch {
    /// The entity the call is bound to first (contact, else company, else an in-process lead).
    pub primary: Option<EntityRef>,
    /// Every entity kept with the call: the primary first, then the other matched contacts and
    /// companies (or in-process leads), then the primary's active deals, most recent first.
    pub bound: Vec<EntityRef>,
    /// Whether the number is on the exclusion list (then nothing matched).
    pub excluded: bool,
}

/// Searches the records owning any of `keys` and ranks them.
pub fn find_owners(tx: &mut dyn StoreTx, keys: &[PhoneKey]) -> StoreResult<OwnerMatch> {
    for key in keys {
        if tx.is_excluded(key)? {
            return Ok(OwnerMatch { excluded: true, ..OwnerMatch::default() });
        }
    }
    let mut found: Vec<EntityRef> = Vec::new();
    for key in keys {
        for entity in tx.find_entities_by_phone_key(key)? {
            if !found.contains(&entity) {
                found.push(entity);
            }
        }
    }
    let of_kind = |kind| found.iter().filter(move |e| e.kind == kind).map(|e| e.id);
    let mut contacts: Vec<u64> = of_kind(EntityType::Contact).collect();
    let mut companies: Vec<u64> = of_kind(EntityType::Company).collect();
    contacts.sort_unstable();
    companies.sort_unstable();

    let mut bound = Vec::new();
    let primary = if !contacts.is_empty() || !companies.is_empty() {
        let best_contact = best_client(tx, EntityType::Contact, &contacts)?;
        let best_company = best_client(tx, EntityType::Company, &companies)?;
        let primary = best_contact.or(best_company);
        bound.extend(primary);
        let others = contacts
            .iter()
            .map(|id| EntityRef::contact(*id))
            .chain(companies.iter().map(|id| EntityRef::company(*id)));
        for entity in others {
            if !bound.contains(&entity) {
                bound.push(entity);
            }
        }
        primary
    } else {
        let mut leads = Vec::new();
        for id in of_kind(EntityType::Lead) {
            if let Some(lead) = tx.lead(id)?
                && lead.in_process()
            {
                leads.push(lead);
            }
        }
        // Most recently modified first, then the highest id.
        leads.sort_by(|a, b| b.modified.cmp(&a.modified).then(b.id.cmp(&a.id)));
        bound.extend(leads.iter().map(|l| EntityRef::lead(l.id)));
        bound.first().copied()
    };
    if let Some(owner) = primary {
        bound.extend(active_deals_of(tx, owner)?);
    }
    Ok(OwnerMatch { primary, bound, excluded: false })
}

/// Among clients of one type: the one with the most recently modified active deal, else the
/// lowest id. `ids` must be sorted ascending.
fn best_client(
    tx: &mut dyn StoreTx,
    kind: EntityType,
    ids: &[u64],
) -> StoreResult<Option<EntityRef>> {
    let mut best: Option<(DateTime<Utc>, u64)> = None;
    for &id in ids {
        let entity = EntityRef { kind, id };
        let latest = tx.deals_of(entity)?.iter().filter(|d| d.active()).map(|d| d.modified).max();
        if let Some(modified) = latest
            && best.is_none_or(|(m, _)| modified > m)
        {
            best = Some((modified, id));
        }
    }
    let id = best.map(|(_, id)| id).or_else(|| ids.first().copied());
    Ok(id.map(|id| EntityRef { kind, id }))
}

/// The active deals of a contact or company, most recently modified first.
pub fn active_deals_of(tx: &mut dyn StoreTx, owner: EntityRef) -> StoreResult<Vec<EntityRef>> {
    if !matches!(owner.kind, EntityType::Contact | EntityType::Company) {
        return Ok(Vec::new());
    }
    let mut deals: Vec<Deal> = tx.deals_of(owner)?.into_iter().filter(Deal::active).collect();
    deals.sort_by(|a, b| b.modified.cmp(&a.modified).then(b.id.cmp(&a.id)));
    Ok(deals.iter().map(|d| EntityRef::deal(d.id)).collect())
}
