//! Contacts, companies and leads as the store keeps them: compact rows (boxed strings,
//! interned phone types, keys in 16 bytes) in vectors indexed by id, converted to and from
//! the model's records at the trait's boundary. A million contacts with a phone each take
//! about 250 bytes apiece, indexes included.

use callreg_core::model::{Company, Contact, Lead, Phone};
use callreg_core::phone::{E164, PhoneKey};
use callreg_core::types::UserId;
use chrono::{DateTime, Utc};
use foldhash::HashMap;

/// A phone's key in 16 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum StoredKey {
    /// An E.164 number, or `0` for a phone without a key.
    Number(u64),
    /// The digits of a number that is not E.164.
    Digits(Box<str>),
}

impl StoredKey {
    fn new(key: Option<&PhoneKey>) -> Self {
        match key {
            None => StoredKey::Number(0),
            Some(PhoneKey::E164(e)) => StoredKey::Number(e.as_u64()),
            Some(PhoneKey::Digits(d)) => StoredKey::Digits(d.as_str().into()),
        }
    }

    fn key(&self) -> Option<PhoneKey> {
        match self {
            StoredKey::Number(n) => E164::from_u64(*n).map(PhoneKey::E164),
            StoredKey::Digits(d) => Some(PhoneKey::Digits(d.to_string())),
        }
    }
}

/// One phone of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredPhone {
    value: Box<str>,
    key: StoredKey,
    /// Index into the store's [`ValueTypes`].
    value_type: u32,
}

/// The `VALUE_TYPE`s seen (`WORK`, `MOBILE`, ...), each stored once. Only ever grows: an
/// entry added by a transaction that rolls back is harmless.
#[derive(Debug, Default)]
pub(crate) struct ValueTypes {
    names: Vec<Box<str>>,
    ids: HashMap<Box<str>, u32>,
}

impl ValueTypes {
    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }

    fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", |name| name)
    }
}

/// Phones as stored.
pub(crate) fn store_phones(phones: &[Phone], types: &mut ValueTypes) -> Box<[StoredPhone]> {
    phones
        .iter()
        .map(|p| StoredPhone {
            value: p.value.as_str().into(),
            key: StoredKey::new(p.key.as_ref()),
            value_type: types.intern(&p.value_type),
        })
        .collect()
}

/// Phones as the model has them.
fn model_phones(phones: &[StoredPhone], types: &ValueTypes) -> Vec<Phone> {
    phones
        .iter()
        .map(|p| Phone {
            value: p.value.to_string(),
            value_type: types.name(p.value_type).to_string(),
            key: p.key.key(),
        })
        .collect()
}

/// A contact, company or lead as stored.
pub(crate) trait Row {
    /// The record's phones.
    fn phones(&self) -> &[StoredPhone];
    /// Sets `ASSIGNED_BY_ID` and `DATE_MODIFY`, returning the old values.
    fn reassign(&mut self, user: UserId, modified: DateTime<Utc>) -> (UserId, DateTime<Utc>);
}

/// What a row's phones are indexed under for the Bitrix-code tier
/// ([`bitrix_code_index_key`](callreg_core::matching::bitrix_code_index_key)), each once.
pub(crate) fn phone_code_index_keys(row: &impl Row) -> Vec<String> {
    let mut codes: Vec<String> = row
        .phones()
        .iter()
        .filter_map(|p| {
            callreg_core::matching::bitrix_code_index_key(&p.value, p.key.key().as_ref())
        })
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// Whether one of a row's phones has the Bitrix code `code`.
pub(crate) fn has_phone_with_code(row: &impl Row, code: &str) -> bool {
    row.phones().iter().any(|p| callreg_core::matching::bitrix_code(&p.value) == code)
}

/// The keys of a row's phones, each once.
pub(crate) fn phone_keys(row: &impl Row) -> Vec<PhoneKey> {
    let mut keys: Vec<PhoneKey> = row.phones().iter().filter_map(|p| p.key.key()).collect();
    keys.sort();
    keys.dedup();
    keys
}

macro_rules! reassign_impl {
    () => {
        fn phones(&self) -> &[StoredPhone] {
            &self.phones
        }

        fn reassign(&mut self, user: UserId, modified: DateTime<Utc>) -> (UserId, DateTime<Utc>) {
            let old = (self.assigned_by, self.modified);
            self.assigned_by = user;
            self.modified = modified;
            old
        }
    };
}

/// A contact as stored.
#[derive(Debug, Clone)]
pub(crate) struct ContactRow {
    name: Box<str>,
    last_name: Box<str>,
    company_id: Option<u64>,
    assigned_by: UserId,
    created: DateTime<Utc>,
    modified: DateTime<Utc>,
    phones: Box<[StoredPhone]>,
}

impl Row for ContactRow {
    reassign_impl!();
}

impl ContactRow {
    pub(crate) fn new(contact: &Contact, types: &mut ValueTypes) -> Self {
        ContactRow {
            name: contact.name.as_str().into(),
            last_name: contact.last_name.as_str().into(),
            company_id: contact.company_id,
            assigned_by: contact.assigned_by,
            created: contact.created,
            modified: contact.modified,
            phones: store_phones(&contact.phones, types),
        }
    }

    pub(crate) fn to_model(&self, id: u64, types: &ValueTypes) -> Contact {
        Contact {
            id,
            name: self.name.to_string(),
            last_name: self.last_name.to_string(),
            company_id: self.company_id,
            assigned_by: self.assigned_by,
            phones: model_phones(&self.phones, types),
            created: self.created,
            modified: self.modified,
        }
    }
}

/// A company as stored.
#[derive(Debug, Clone)]
pub(crate) struct CompanyRow {
    title: Box<str>,
    assigned_by: UserId,
    created: DateTime<Utc>,
    modified: DateTime<Utc>,
    phones: Box<[StoredPhone]>,
}

impl Row for CompanyRow {
    reassign_impl!();
}

impl CompanyRow {
    pub(crate) fn new(company: &Company, types: &mut ValueTypes) -> Self {
        CompanyRow {
            title: company.title.as_str().into(),
            assigned_by: company.assigned_by,
            created: company.created,
            modified: company.modified,
            phones: store_phones(&company.phones, types),
        }
    }

    pub(crate) fn to_model(&self, id: u64, types: &ValueTypes) -> Company {
        Company {
            id,
            title: self.title.to_string(),
            assigned_by: self.assigned_by,
            phones: model_phones(&self.phones, types),
            created: self.created,
            modified: self.modified,
        }
    }
}

/// A lead as stored.
#[derive(Debug, Clone)]
pub(crate) struct LeadRow {
    title: Box<str>,
    name: Box<str>,
    status_id: Box<str>,
    source_id: Box<str>,
    source_description: Box<str>,
    assigned_by: UserId,
    created: DateTime<Utc>,
    modified: DateTime<Utc>,
    phones: Box<[StoredPhone]>,
}

impl Row for LeadRow {
    reassign_impl!();
}

impl LeadRow {
    pub(crate) fn new(lead: &Lead, types: &mut ValueTypes) -> Self {
        LeadRow {
            title: lead.title.as_str().into(),
            name: lead.name.as_str().into(),
            status_id: lead.status_id.as_str().into(),
            source_id: lead.source_id.as_str().into(),
            source_description: lead.source_description.as_str().into(),
            assigned_by: lead.assigned_by,
            created: lead.created,
            modified: lead.modified,
            phones: store_phones(&lead.phones, types),
        }
    }

    pub(crate) fn to_model(&self, id: u64, types: &ValueTypes) -> Lead {
        Lead {
            id,
            title: self.title.to_string(),
            name: self.name.to_string(),
            status_id: self.status_id.to_string(),
            source_id: self.source_id.to_string(),
            source_description: self.source_description.to_string(),
            assigned_by: self.assigned_by,
            phones: model_phones(&self.phones, types),
            created: self.created,
            modified: self.modified,
        }
    }
}

/// Rows of one type in a vector: id `n` at index `n - 1`. Ids are assigned in order and
/// records are never deleted; a rolled-back insert pops its row again.
#[derive(Debug)]
pub(crate) struct Rows<R> {
    rows: Vec<R>,
}

impl<R> Default for Rows<R> {
    fn default() -> Self {
        Rows { rows: Vec::new() }
    }
}

impl<R> Rows<R> {
    /// Stores a row under the next id; returns the id.
    pub(crate) fn push(&mut self, row: R) -> u64 {
        self.rows.push(row);
        self.rows.len() as u64
    }

    /// Removes the row of the last id (the undo of [`push`](Self::push)).
    pub(crate) fn pop(&mut self) -> Option<R> {
        self.rows.pop()
    }

    pub(crate) fn get(&self, id: u64) -> Option<&R> {
        let index = usize::try_from(id).ok()?.checked_sub(1)?;
        self.rows.get(index)
    }

    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut R> {
        let index = usize::try_from(id).ok()?.checked_sub(1)?;
        self.rows.get_mut(index)
    }

    /// Every id, ascending.
    pub(crate) fn ids(&self) -> Vec<u64> {
        (1..=self.rows.len() as u64).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rows_stay_small() {
        assert!(std::mem::size_of::<StoredKey>() <= 16);
        assert!(std::mem::size_of::<StoredPhone>() <= 40);
        assert!(std::mem::size_of::<ContactRow>() <= 96);
    }

    #[test]
    fn phones_round_trip() {
        let mut types = ValueTypes::default();
        let phones = vec![
            Phone {
                value: "+7 495 123-45-67".into(),
                value_type: "WORK".into(),
                key: PhoneKey::from_storage("+74951234567"),
            },
            Phone {
                value: "112".into(),
                value_type: "CUSTOM".into(),
                key: PhoneKey::from_storage("=112"),
            },
            Phone { value: "none".into(), value_type: "WORK".into(), key: None },
        ];
        let stored = store_phones(&phones, &mut types);
        assert_eq!(model_phones(&stored, &types), phones);
        assert_eq!(types.names.len(), 2);
    }
}
