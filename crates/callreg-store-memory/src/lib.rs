//! An in-memory [`CrmStore`]: every record in hash maps, B-trees and vectors, every lookup
//! an index probe, one lock per store.
//!
//! Contacts, companies and leads are kept compact (module `rows`) and their phones indexed
//! by key, by Bitrix code (those whose key does not tell it) and by reversed national number
//! (module `phone_index`): a million contacts with a phone each take about 230 to 260 bytes
//! apiece (the more phones written in national forms, the more), and finding a number's
//! owners is one hash probe.
//!
//! Write transactions are serialized by a mutex held for the transaction's whole life, which
//! is what makes the engine's read-then-write commands race-free. Atomicity comes from an undo
//! log: every write records its inverse, and a transaction dropped without commit replays the
//! log backwards.
//!
//! ```
//! use callreg_core::{Auth, Engine, EngineConfig, RegisterRequest};
//! use callreg_store_memory::MemoryStore;
//!
//! let engine = Engine::new(MemoryStore::new(), EngineConfig::default()).unwrap();
//! let call = engine
//!     .register(&Auth::webhook(1), &RegisterRequest::incoming(1, "+7 495 123-45-67").crm_create(true))
//!     .unwrap();
//! assert!(call.created_lead.is_some());
//! ```

mod active;
mod events;
mod phone_index;
mod rows;

use crate::active::ActiveCalls;
use crate::events::{EventLog, EventNames, StoredEvent};
use crate::phone_index::{PackedRef, PhoneIndex};
use crate::rows::{
    CompanyRow, ContactRow, LeadRow, Row, Rows, ValueTypes, has_phone_with_code,
    phone_code_index_keys, phone_keys,
};
use callreg_core::auth::AppId;
use callreg_core::matching::{bitrix_code_e164, national_suffix_index_key, telephony_code};
use callreg_core::model::{
    ActiveCall, Activity, CallAudio, CallRecord, Company, Contact, Deal, EventData, EventJson,
    Lead, Line, MissedCall, OutboxEvent, PendingUpload, Phone, RecordDownload, Source, Transcript,
    User,
};
use callreg_core::phone::PhoneKey;
use callreg_core::store::{
    ActivityFilter, CallRecordFilter, CrmStore, Page, StoreError, StoreResult, StoreTx,
    latest_first,
};
use callreg_core::types::{CallId, EntityRef, EntityRefs, EntityType, UserId};
use chrono::{DateTime, Utc};
use foldhash::{HashMap, HashSet};
use std::collections::{BTreeMap, BTreeSet};
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

/// The in-memory store. Create one per portal; share it (or the engine over it) by reference.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store (the engine seeds it as a new portal).
    pub fn new() -> Self {
        MemoryStore::default()
    }
}

impl CrmStore for MemoryStore {
    fn begin(&self) -> StoreResult<Box<dyn StoreTx + '_>> {
        // A panic while a transaction was open has already rolled it back in `Drop`, so the
        // state behind a poisoned lock is consistent and can be used.
        let state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(Box::new(MemoryTx { state, undo: Vec::new() }))
    }

    fn read_only(
        &self,
        read: &mut dyn FnMut(&mut dyn StoreTx) -> StoreResult<()>,
    ) -> StoreResult<()> {
        // As `begin`, without the box: the transaction lives on the stack.
        let state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut tx = MemoryTx { state, undo: Vec::new() };
        read(&mut tx)
    }
}

type AppKey = Option<AppId>;

/// Every table and index.
#[derive(Debug, Default)]
struct State {
    meta: HashMap<String, String>,
    users: BTreeMap<u64, User>,
    last_user: u64,
    users_by_inner: HashMap<String, BTreeSet<u64>>,
    users_by_phone: HashMap<PhoneKey, BTreeSet<u64>>,
    /// Users by their phones' Bitrix telephony form (`matching::telephony_code`).
    users_by_telephony_code: HashMap<String, BTreeSet<u64>>,
    contacts: Rows<ContactRow>,
    companies: Rows<CompanyRow>,
    leads: Rows<LeadRow>,
    value_types: ValueTypes,
    deals: BTreeMap<u64, Deal>,
    last_deal: u64,
    phones: PhoneIndex,
    deals_by_owner: HashMap<EntityRef, BTreeSet<u64>>,
    sources: BTreeMap<String, Source>,
    exclusions: HashSet<PhoneKey>,
    lines: BTreeMap<u64, Line>,
    last_line: u64,
    lines_by_number: HashMap<(AppKey, String), u64>,
    lines_by_key: HashMap<PhoneKey, BTreeSet<u64>>,
    active_calls: ActiveCalls,
    events: EventLog,
    /// The names events were pushed with (a handful), each kept once.
    event_names: EventNames,
    /// Where event data is serialized before it is stored at its exact size.
    json_scratch: Vec<u8>,
    last_event: u64,
    call_records: BTreeMap<u64, CallRecord>,
    last_call_record: u64,
    call_records_by_call: HashMap<CallId, u64>,
    activities: BTreeMap<u64, Activity>,
    last_activity: u64,
    missed_calls: BTreeMap<u64, MissedCall>,
    last_missed_call: u64,
    open_missed_by_caller: HashMap<String, BTreeSet<u64>>,
    audio: BTreeMap<u64, CallAudio>,
    last_audio: u64,
    uploads: HashMap<String, PendingUpload>,
    /// Pending record downloads by call (a small queue: scanned for the due ones).
    record_downloads: HashMap<CallId, RecordDownload>,
    transcripts: BTreeMap<u64, Transcript>,
    last_transcript: u64,
}

/// Selects one id-keyed table of the state.
type Table<V> = fn(&mut State) -> &mut BTreeMap<u64, V>;
/// Selects the last id assigned in a table.
type LastId = fn(&mut State) -> &mut u64;

/// The inverse of one write. The writes of every registration have a variant of their own
/// (no allocation); the rest are closures.
enum Undo {
    /// Removes the last outbox event and sets the last event id back to `before`.
    PushEvent { before: u64 },
    /// Takes back an inserted active call.
    InsertActiveCall(u64),
    /// Puts a deleted active call back.
    DeleteActiveCall(active::Deleted),
    /// Anything else.
    Closure(Box<dyn FnOnce(&mut State) + Send>),
}

impl Undo {
    fn apply(self, state: &mut State) {
        match self {
            Undo::PushEvent { before } => {
                state.events.undo_push();
                state.last_event = before;
            }
            Undo::InsertActiveCall(handle) => state.active_calls.undo_insert(handle),
            Undo::DeleteActiveCall(deleted) => state.active_calls.undo_delete(deleted),
            Undo::Closure(undo) => undo(state),
        }
    }
}

struct MemoryTx<'a> {
    state: MutexGuard<'a, State>,
    undo: Vec<Undo>,
}

impl Drop for MemoryTx<'_> {
    fn drop(&mut self) {
        while let Some(undo) = self.undo.pop() {
            undo.apply(&mut self.state);
        }
    }
}

fn constraint(message: String) -> StoreError {
    StoreError::Constraint(message.into())
}

/// Adds `value` under `key` in a set index.
fn index_insert<K: Hash + Eq, V: Ord>(index: &mut HashMap<K, BTreeSet<V>>, key: K, value: V) {
    index.entry(key).or_default().insert(value);
}

/// Removes `value` from `key`'s set, dropping the set when it empties.
fn index_remove<K: Hash + Eq, V: Ord>(index: &mut HashMap<K, BTreeSet<V>>, key: &K, value: &V) {
    if let Some(set) = index.get_mut(key) {
        set.remove(value);
        if set.is_empty() {
            index.remove(key);
        }
    }
}

/// The distinct Bitrix telephony forms of a user's phones (those of ten characters or more).
fn user_telephony_codes(phones: &[Phone]) -> Vec<String> {
    let mut codes: Vec<String> = phones.iter().filter_map(|p| telephony_code(&p.value)).collect();
    codes.sort();
    codes.dedup();
    codes
}

fn user_phone_keys(phones: &[Phone]) -> Vec<PhoneKey> {
    let mut keys: Vec<PhoneKey> = phones.iter().filter_map(|p| p.key.clone()).collect();
    keys.sort();
    keys.dedup();
    keys
}

impl MemoryTx<'_> {
    /// Appends an event whose data is JSON text already; returns its id.
    fn push_json(&mut self, name: &str, json: Box<[u8]>, at: DateTime<Utc>) -> u64 {
        let state = &mut *self.state;
        let event = StoredEvent {
            name: state.event_names.intern(name),
            data: json,
            created_at: at,
            process_id: None,
        };
        let before = state.last_event;
        let id = before + 1;
        state.last_event = id;
        state.events.push(id, event);
        self.undo.push(Undo::PushEvent { before });
        id
    }

    fn on_rollback(&mut self, undo: impl FnOnce(&mut State) + Send + 'static) {
        self.undo.push(Undo::Closure(Box::new(undo)));
    }

    /// Inserts a row under the next id of its table.
    fn insert_row<V: Send + 'static>(
        &mut self,
        table: Table<V>,
        last: LastId,
        make: impl FnOnce(u64) -> V,
    ) -> u64 {
        let before = *last(&mut self.state);
        let id = before + 1;
        *last(&mut self.state) = id;
        table(&mut self.state).insert(id, make(id));
        self.on_rollback(move |s| {
            table(s).remove(&id);
            *last(s) = before;
        });
        id
    }

    /// Replaces an existing row; `false` when there is none.
    fn replace_row<V: Send + 'static>(&mut self, table: Table<V>, id: u64, value: V) -> bool {
        let Some(slot) = table(&mut self.state).get_mut(&id) else {
            return false;
        };
        let old = std::mem::replace(slot, value);
        self.on_rollback(move |s| {
            table(s).insert(id, old);
        });
        true
    }

    /// Removes a row, returning a copy of it.
    fn remove_row<V: Clone + Send + 'static>(&mut self, table: Table<V>, id: u64) -> Option<V> {
        let old = table(&mut self.state).remove(&id)?;
        let copy = old.clone();
        self.on_rollback(move |s| {
            table(s).insert(id, old);
        });
        Some(copy)
    }

    /// Stores a contact, company or lead in its rows, indexes its phones, and registers the
    /// undo of both.
    fn insert_crm_row<R: Row + Send + 'static>(
        &mut self,
        rows: fn(&mut State) -> &mut Rows<R>,
        entity: fn(u64) -> EntityRef,
        row: R,
    ) -> StoreResult<u64> {
        let keys = phone_keys(&row);
        let codes = phone_code_index_keys(&row);
        let id = rows(&mut self.state).push(row);
        let Some(owner) = PackedRef::new(entity(id)) else {
            rows(&mut self.state).pop();
            return Err(constraint(format!("{} is out of this store's range", entity(id))));
        };
        let indexed: Vec<(PhoneKey, Option<String>)> = keys
            .into_iter()
            .map(|key| {
                let reversed = national_suffix_index_key(&key);
                (key, reversed)
            })
            .collect();
        for (key, reversed) in &indexed {
            self.state.phones.insert(key, reversed.as_deref(), owner);
        }
        for code in &codes {
            self.state.phones.insert_code(code, owner);
        }
        self.on_rollback(move |s| {
            for (key, reversed) in &indexed {
                s.phones.remove(key, reversed.as_deref(), owner);
            }
            for code in &codes {
                s.phones.remove_code(code, owner);
            }
            rows(s).pop();
        });
        Ok(id)
    }

    /// Sets a contact's, company's or lead's responsible user; `false` when there is none.
    fn reassign_row<R: Row + Send + 'static>(
        &mut self,
        rows: fn(&mut State) -> &mut Rows<R>,
        id: u64,
        user: UserId,
        modified: DateTime<Utc>,
    ) -> bool {
        let Some(row) = rows(&mut self.state).get_mut(id) else {
            return false;
        };
        let (old_user, old_modified) = row.reassign(user, modified);
        self.on_rollback(move |s| {
            if let Some(row) = rows(s).get_mut(id) {
                row.reassign(old_user, old_modified);
            }
        });
        true
    }
}

impl StoreTx for MemoryTx<'_> {
    fn commit(mut self: Box<Self>) -> StoreResult<()> {
        self.undo.clear();
        self.state.events.compact();
        Ok(())
    }

    fn meta(&mut self, key: &str) -> StoreResult<Option<String>> {
        Ok(self.state.meta.get(key).cloned())
    }

    fn set_meta(&mut self, key: &str, value: &str) -> StoreResult<()> {
        let old = self.state.meta.insert(key.to_string(), value.to_string());
        let key = key.to_string();
        self.on_rollback(move |s| {
            match old {
                Some(old) => s.meta.insert(key, old),
                None => s.meta.remove(&key),
            };
        });
        Ok(())
    }

    fn insert_user(&mut self, user: &User) -> StoreResult<UserId> {
        let wanted = user.id.0;
        let id = if wanted != 0 {
            if self.state.users.contains_key(&wanted) {
                return Err(constraint(format!("user {wanted} already exists")));
            }
            wanted
        } else {
            self.state.last_user + 1
        };
        let last_before = self.state.last_user;
        self.state.last_user = last_before.max(id);
        let mut record = user.clone();
        record.id = UserId(id);
        let inner = record.inner_phone.clone();
        let keys = user_phone_keys(&record.phones);
        let codes = user_telephony_codes(&record.phones);
        if let Some(inner) = &inner {
            index_insert(&mut self.state.users_by_inner, inner.clone(), id);
        }
        for key in &keys {
            index_insert(&mut self.state.users_by_phone, key.clone(), id);
        }
        for code in &codes {
            index_insert(&mut self.state.users_by_telephony_code, code.clone(), id);
        }
        self.state.users.insert(id, record);
        self.on_rollback(move |s| {
            s.users.remove(&id);
            s.last_user = last_before;
            if let Some(inner) = &inner {
                index_remove(&mut s.users_by_inner, inner, &id);
            }
            for key in &keys {
                index_remove(&mut s.users_by_phone, key, &id);
            }
            for code in &codes {
                index_remove(&mut s.users_by_telephony_code, code, &id);
            }
        });
        Ok(UserId(id))
    }

    fn user(&mut self, id: UserId) -> StoreResult<Option<User>> {
        Ok(self.state.users.get(&id.0).cloned())
    }

    fn list_users(&mut self) -> StoreResult<Vec<User>> {
        Ok(self.state.users.values().cloned().collect())
    }

    fn find_users_by_inner_phone(&mut self, inner: &str) -> StoreResult<Vec<UserId>> {
        Ok(self
            .state
            .users_by_inner
            .get(inner)
            .into_iter()
            .flatten()
            .map(|id| UserId(*id))
            .collect())
    }

    fn find_users_by_phone_key(&mut self, key: &PhoneKey) -> StoreResult<Vec<UserId>> {
        Ok(self.state.users_by_phone.get(key).into_iter().flatten().map(|id| UserId(*id)).collect())
    }

    fn find_users_by_telephony_code(&mut self, code: &str) -> StoreResult<Vec<UserId>> {
        let users = self.state.users_by_telephony_code.get(code);
        Ok(users.into_iter().flatten().map(|id| UserId(*id)).collect())
    }

    fn insert_contact(&mut self, contact: &Contact) -> StoreResult<u64> {
        let row = ContactRow::new(contact, &mut self.state.value_types);
        self.insert_crm_row(|s| &mut s.contacts, EntityRef::contact, row)
    }

    fn insert_company(&mut self, company: &Company) -> StoreResult<u64> {
        let row = CompanyRow::new(company, &mut self.state.value_types);
        self.insert_crm_row(|s| &mut s.companies, EntityRef::company, row)
    }

    fn insert_lead(&mut self, lead: &Lead) -> StoreResult<u64> {
        let row = LeadRow::new(lead, &mut self.state.value_types);
        self.insert_crm_row(|s| &mut s.leads, EntityRef::lead, row)
    }

    fn insert_deal(&mut self, deal: &Deal) -> StoreResult<u64> {
        let record = deal.clone();
        let id =
            self.insert_row(|s| &mut s.deals, |s| &mut s.last_deal, |id| Deal { id, ..record });
        let owners: Vec<EntityRef> = deal
            .contact_id
            .map(EntityRef::contact)
            .into_iter()
            .chain(deal.company_id.map(EntityRef::company))
            .collect();
        for owner in &owners {
            index_insert(&mut self.state.deals_by_owner, *owner, id);
        }
        self.on_rollback(move |s| {
            for owner in &owners {
                index_remove(&mut s.deals_by_owner, owner, &id);
            }
        });
        Ok(id)
    }

    fn contact(&mut self, id: u64) -> StoreResult<Option<Contact>> {
        let s = &self.state;
        Ok(s.contacts.get(id).map(|row| row.to_model(id, &s.value_types)))
    }

    fn company(&mut self, id: u64) -> StoreResult<Option<Company>> {
        let s = &self.state;
        Ok(s.companies.get(id).map(|row| row.to_model(id, &s.value_types)))
    }

    fn lead(&mut self, id: u64) -> StoreResult<Option<Lead>> {
        let s = &self.state;
        Ok(s.leads.get(id).map(|row| row.to_model(id, &s.value_types)))
    }

    fn deal(&mut self, id: u64) -> StoreResult<Option<Deal>> {
        Ok(self.state.deals.get(&id).cloned())
    }

    fn find_entities_by_phone_key(&mut self, key: &PhoneKey) -> StoreResult<EntityRefs> {
        Ok(self.state.phones.find(key))
    }

    fn find_entities_by_national_suffix(
        &mut self,
        reversed_suffix: &str,
        limit: usize,
    ) -> StoreResult<Vec<EntityRef>> {
        Ok(self.state.phones.find_by_suffix(reversed_suffix, limit))
    }

    fn find_entities_by_bitrix_code(&mut self, code: &str) -> StoreResult<Vec<EntityRef>> {
        if code.is_empty() {
            return Ok(Vec::new());
        }
        let s = &self.state;
        // The phones whose code their key tells are under that key; the others under the
        // code's hash, which codes of another text can share: only the records really having
        // a phone of this code stay.
        let mut found = s.phones.find_by_code_hash(code).into_vec();
        if let Some(key) = bitrix_code_e164(code) {
            found.extend(s.phones.find(&key));
            found.sort_unstable_by_key(|e| (e.kind.search_rank(), e.id));
            found.dedup();
        }
        found.retain(|entity| match entity.kind {
            EntityType::Contact => {
                s.contacts.get(entity.id).is_some_and(|r| has_phone_with_code(r, code))
            }
            EntityType::Company => {
                s.companies.get(entity.id).is_some_and(|r| has_phone_with_code(r, code))
            }
            EntityType::Lead => {
                s.leads.get(entity.id).is_some_and(|r| has_phone_with_code(r, code))
            }
            EntityType::Deal => false,
        });
        Ok(found)
    }

    fn deals_of(&mut self, owner: EntityRef) -> StoreResult<Vec<Deal>> {
        let state = &self.state;
        Ok(state
            .deals_by_owner
            .get(&owner)
            .into_iter()
            .flatten()
            .filter_map(|id| state.deals.get(id).cloned())
            .collect())
    }

    fn list_entities(&mut self, kind: EntityType) -> StoreResult<Vec<u64>> {
        let s = &self.state;
        Ok(match kind {
            EntityType::Contact => s.contacts.ids(),
            EntityType::Company => s.companies.ids(),
            EntityType::Lead => s.leads.ids(),
            EntityType::Deal => s.deals.keys().copied().collect(),
        })
    }

    fn set_responsible(
        &mut self,
        entity: EntityRef,
        user: UserId,
        modified: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let id = entity.id;
        Ok(match entity.kind {
            EntityType::Contact => self.reassign_row(|s| &mut s.contacts, id, user, modified),
            EntityType::Company => self.reassign_row(|s| &mut s.companies, id, user, modified),
            EntityType::Lead => self.reassign_row(|s| &mut s.leads, id, user, modified),
            EntityType::Deal => {
                let Some(mut record) = self.state.deals.get(&id).cloned() else {
                    return Ok(false);
                };
                record.assigned_by = user;
                record.modified = modified;
                self.replace_row(|s| &mut s.deals, id, record)
            }
        })
    }

    fn upsert_source(&mut self, source: &Source) -> StoreResult<()> {
        let old = self.state.sources.insert(source.id.clone(), source.clone());
        let id = source.id.clone();
        self.on_rollback(move |s| {
            match old {
                Some(old) => s.sources.insert(id, old),
                None => s.sources.remove(&id),
            };
        });
        Ok(())
    }

    fn source_exists(&mut self, id: &str) -> StoreResult<bool> {
        Ok(self.state.sources.contains_key(id))
    }

    fn list_sources(&mut self) -> StoreResult<Vec<Source>> {
        let mut sources: Vec<Source> = self.state.sources.values().cloned().collect();
        sources.sort_by(|a, b| a.sort.cmp(&b.sort).then_with(|| a.id.cmp(&b.id)));
        Ok(sources)
    }

    fn insert_exclusion(&mut self, key: &PhoneKey) -> StoreResult<()> {
        if self.state.exclusions.insert(key.clone()) {
            let key = key.clone();
            self.on_rollback(move |s| {
                s.exclusions.remove(&key);
            });
        }
        Ok(())
    }

    fn is_excluded(&mut self, key: &PhoneKey) -> StoreResult<bool> {
        // An empty set is the usual case: no need to hash the key.
        let exclusions = &self.state.exclusions;
        Ok(!exclusions.is_empty() && exclusions.contains(key))
    }

    fn exclusion_list_is_empty(&mut self) -> StoreResult<bool> {
        Ok(self.state.exclusions.is_empty())
    }

    fn insert_line(&mut self, line: &Line) -> StoreResult<u64> {
        let number_key = (line.app_id.clone(), line.number.clone());
        if self.state.lines_by_number.contains_key(&number_key) {
            return Err(constraint(format!("line {} already exists", line.number)));
        }
        let id = self.state.last_line + 1;
        self.state.last_line = id;
        let mut record = line.clone();
        record.id = id;
        let key = record.key.clone();
        self.state.lines.insert(id, record);
        self.state.lines_by_number.insert(number_key.clone(), id);
        if let Some(key) = &key {
            index_insert(&mut self.state.lines_by_key, key.clone(), id);
        }
        self.on_rollback(move |s| {
            s.lines.remove(&id);
            s.last_line = id - 1;
            s.lines_by_number.remove(&number_key);
            if let Some(key) = &key {
                index_remove(&mut s.lines_by_key, key, &id);
            }
        });
        Ok(id)
    }

    fn find_line(&mut self, app: Option<&AppId>, number: &str) -> StoreResult<Option<Line>> {
        let id = self.state.lines_by_number.get(&(app.cloned(), number.to_string()));
        Ok(id.and_then(|id| self.state.lines.get(id)).cloned())
    }

    fn find_lines_by_key(&mut self, key: &PhoneKey) -> StoreResult<Vec<Line>> {
        let state = &self.state;
        Ok(state
            .lines_by_key
            .get(key)
            .into_iter()
            .flatten()
            .filter_map(|id| state.lines.get(id).cloned())
            .collect())
    }

    fn update_line(&mut self, line: &Line) -> StoreResult<bool> {
        let Some(mut record) = self.state.lines.get(&line.id).cloned() else {
            return Ok(false);
        };
        record.name = line.name.clone();
        record.crm_auto_create = line.crm_auto_create;
        Ok(self.replace_row(|s| &mut s.lines, line.id, record))
    }

    fn delete_line(&mut self, id: u64) -> StoreResult<bool> {
        let Some(line) = self.remove_row(|s| &mut s.lines, id) else {
            return Ok(false);
        };
        let number_key = (line.app_id.clone(), line.number.clone());
        self.state.lines_by_number.remove(&number_key);
        if let Some(key) = &line.key {
            index_remove(&mut self.state.lines_by_key, key, &id);
        }
        self.on_rollback(move |s| {
            s.lines_by_number.insert(number_key, id);
            if let Some(key) = line.key {
                index_insert(&mut s.lines_by_key, key, id);
            }
        });
        Ok(true)
    }

    fn list_lines(&mut self, app: Option<&AppId>) -> StoreResult<Vec<Line>> {
        Ok(self.state.lines.values().filter(|l| l.app_id.as_ref() == app).cloned().collect())
    }

    fn insert_active_call(&mut self, call: &ActiveCall) -> StoreResult<()> {
        let calls = &mut self.state.active_calls;
        if calls.contains(&call.call_id) {
            return Err(constraint(format!("call {} already exists", call.call_id)));
        }
        if let Some(external) = &call.external_call_id
            && calls.by_external_id(call.app_id.as_ref(), external).is_some()
        {
            return Err(constraint(format!(
                "an active call already has EXTERNAL_CALL_ID {external}"
            )));
        }
        let handle = calls.insert(call);
        self.undo.push(Undo::InsertActiveCall(handle));
        Ok(())
    }

    fn active_call(&mut self, call_id: &CallId) -> StoreResult<Option<ActiveCall>> {
        Ok(self.state.active_calls.get(call_id).cloned())
    }

    fn find_active_call_by_external_id(
        &mut self,
        app: Option<&AppId>,
        external_call_id: &str,
    ) -> StoreResult<Option<ActiveCall>> {
        Ok(self.state.active_calls.by_external_id(app, external_call_id).cloned())
    }

    fn find_active_calls_by_caller(
        &mut self,
        app: Option<&AppId>,
        caller_key: &str,
    ) -> StoreResult<Vec<ActiveCall>> {
        Ok(self.state.active_calls.by_caller(app, caller_key).cloned().collect())
    }

    fn list_active_calls(&mut self) -> StoreResult<Vec<ActiveCall>> {
        let mut calls: Vec<ActiveCall> = self.state.active_calls.all().cloned().collect();
        calls.sort_by(|a, b| {
            a.registered_at.cmp(&b.registered_at).then_with(|| a.call_id.cmp(&b.call_id))
        });
        Ok(calls)
    }

    fn delete_active_call(&mut self, call_id: &CallId) -> StoreResult<bool> {
        let Some(deleted) = self.state.active_calls.delete(call_id) else {
            return Ok(false);
        };
        self.undo.push(Undo::DeleteActiveCall(deleted));
        Ok(true)
    }

    fn insert_call_record(&mut self, record: &CallRecord) -> StoreResult<u64> {
        if self.state.call_records_by_call.contains_key(&record.call_id) {
            return Err(constraint(format!("call {} is already finished", record.call_id)));
        }
        let row = record.clone();
        let id = self.insert_row(
            |s| &mut s.call_records,
            |s| &mut s.last_call_record,
            |id| CallRecord { id, ..row },
        );
        let call_id = record.call_id.clone();
        self.state.call_records_by_call.insert(call_id.clone(), id);
        self.on_rollback(move |s| {
            s.call_records_by_call.remove(&call_id);
        });
        Ok(id)
    }

    fn call_record(&mut self, call_id: &CallId) -> StoreResult<Option<CallRecord>> {
        let id = self.state.call_records_by_call.get(call_id);
        Ok(id.and_then(|id| self.state.call_records.get(id)).cloned())
    }

    fn update_call_record(&mut self, record: &CallRecord) -> StoreResult<bool> {
        let same_call =
            self.state.call_records.get(&record.id).is_some_and(|r| r.call_id == record.call_id);
        if !same_call {
            return Ok(false);
        }
        Ok(self.replace_row(|s| &mut s.call_records, record.id, record.clone()))
    }

    fn list_call_records(&mut self) -> StoreResult<Vec<CallRecord>> {
        Ok(self.state.call_records.values().cloned().collect())
    }

    fn call_records_page(
        &mut self,
        filter: &CallRecordFilter,
        start: usize,
        limit: usize,
    ) -> StoreResult<Page<CallRecord>> {
        let state = &self.state;
        let rows: Box<dyn Iterator<Item = &CallRecord>> = match &filter.call_id {
            // A CALL_ID is looked up by its index.
            Some(call_id) => Box::new(
                state
                    .call_records_by_call
                    .get(call_id)
                    .and_then(|id| state.call_records.get(id))
                    .into_iter(),
            ),
            None => Box::new(state.call_records.values()),
        };
        Ok(Page::from_rows(
            rows.filter(|record| filter.matches(record)),
            start,
            limit,
            Clone::clone,
        ))
    }

    fn latest_call_records(&mut self, limit: usize) -> StoreResult<Vec<CallRecord>> {
        let mut rows: Vec<&CallRecord> = self.state.call_records.values().collect();
        if limit < rows.len() {
            rows.select_nth_unstable_by(limit, |a, b| latest_first(a, b));
            rows.truncate(limit);
        }
        rows.sort_by(|a, b| latest_first(a, b));
        Ok(rows.into_iter().cloned().collect())
    }

    fn insert_activity(&mut self, activity: &Activity) -> StoreResult<u64> {
        let row = activity.clone();
        Ok(self.insert_row(
            |s| &mut s.activities,
            |s| &mut s.last_activity,
            |id| Activity { id, ..row },
        ))
    }

    fn activity(&mut self, id: u64) -> StoreResult<Option<Activity>> {
        Ok(self.state.activities.get(&id).cloned())
    }

    fn update_activity(&mut self, activity: &Activity) -> StoreResult<bool> {
        Ok(self.replace_row(|s| &mut s.activities, activity.id, activity.clone()))
    }

    fn list_activities(&mut self) -> StoreResult<Vec<Activity>> {
        Ok(self.state.activities.values().cloned().collect())
    }

    fn activities_page(
        &mut self,
        filter: &ActivityFilter,
        start: usize,
        limit: usize,
    ) -> StoreResult<Page<Activity>> {
        let rows = self.state.activities.values().filter(|activity| filter.matches(activity));
        Ok(Page::from_rows(rows, start, limit, Clone::clone))
    }

    fn insert_missed_call(&mut self, missed: &MissedCall) -> StoreResult<u64> {
        let row = missed.clone();
        let id = self.insert_row(
            |s| &mut s.missed_calls,
            |s| &mut s.last_missed_call,
            |id| MissedCall { id, ..row },
        );
        if missed.called_back_by.is_none() {
            let key = missed.caller_key.clone();
            index_insert(&mut self.state.open_missed_by_caller, key.clone(), id);
            self.on_rollback(move |s| index_remove(&mut s.open_missed_by_caller, &key, &id));
        }
        Ok(id)
    }

    fn open_missed_calls(&mut self, caller_key: &str) -> StoreResult<Vec<MissedCall>> {
        let state = &self.state;
        let ids = state.open_missed_by_caller.get(caller_key);
        Ok(ids.into_iter().flatten().filter_map(|id| state.missed_calls.get(id).cloned()).collect())
    }

    fn mark_called_back(&mut self, missed_id: u64, by_record: u64) -> StoreResult<bool> {
        let Some(mut missed) = self.state.missed_calls.get(&missed_id).cloned() else {
            return Ok(false);
        };
        let key = missed.caller_key.clone();
        missed.called_back_by = Some(by_record);
        self.replace_row(|s| &mut s.missed_calls, missed_id, missed);
        index_remove(&mut self.state.open_missed_by_caller, &key, &missed_id);
        self.on_rollback(move |s| index_insert(&mut s.open_missed_by_caller, key, missed_id));
        Ok(true)
    }

    fn list_missed_calls(&mut self) -> StoreResult<Vec<MissedCall>> {
        Ok(self.state.missed_calls.values().cloned().collect())
    }

    fn insert_audio(&mut self, audio: &CallAudio) -> StoreResult<u64> {
        let row = audio.clone();
        Ok(self.insert_row(|s| &mut s.audio, |s| &mut s.last_audio, |id| CallAudio { id, ..row }))
    }

    fn audio(&mut self, id: u64) -> StoreResult<Option<CallAudio>> {
        Ok(self.state.audio.get(&id).cloned())
    }

    fn delete_audio(&mut self, id: u64) -> StoreResult<bool> {
        Ok(self.remove_row(|s| &mut s.audio, id).is_some())
    }

    fn insert_upload(&mut self, upload: &PendingUpload) -> StoreResult<()> {
        if self.state.uploads.contains_key(&upload.token) {
            return Err(constraint(format!("upload token {} already exists", upload.token)));
        }
        let token = upload.token.clone();
        self.state.uploads.insert(token.clone(), upload.clone());
        self.on_rollback(move |s| {
            s.uploads.remove(&token);
        });
        Ok(())
    }

    fn take_upload(&mut self, token: &str) -> StoreResult<Option<PendingUpload>> {
        let Some(upload) = self.state.uploads.remove(token) else {
            return Ok(None);
        };
        let copy = upload.clone();
        self.on_rollback(move |s| {
            s.uploads.insert(upload.token.clone(), upload);
        });
        Ok(Some(copy))
    }

    fn insert_record_download(&mut self, download: &RecordDownload) -> StoreResult<()> {
        let call_id = download.call_id.clone();
        let previous = self.state.record_downloads.insert(call_id.clone(), download.clone());
        self.on_rollback(move |s| match previous {
            Some(previous) => {
                s.record_downloads.insert(call_id, previous);
            }
            None => {
                s.record_downloads.remove(&call_id);
            }
        });
        Ok(())
    }

    fn due_record_downloads(
        &mut self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<RecordDownload>> {
        let mut due: Vec<&RecordDownload> =
            self.state.record_downloads.values().filter(|d| d.due <= now).collect();
        due.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.call_id.cmp(&b.call_id)));
        Ok(due.into_iter().take(limit).cloned().collect())
    }

    fn take_record_download(&mut self, call_id: &CallId) -> StoreResult<Option<RecordDownload>> {
        let Some(download) = self.state.record_downloads.remove(call_id) else {
            return Ok(None);
        };
        let copy = download.clone();
        self.on_rollback(move |s| {
            s.record_downloads.insert(download.call_id.clone(), download);
        });
        Ok(Some(copy))
    }

    fn insert_transcript(&mut self, transcript: &Transcript) -> StoreResult<u64> {
        let row = transcript.clone();
        Ok(self.insert_row(
            |s| &mut s.transcripts,
            |s| &mut s.last_transcript,
            |id| Transcript { id, ..row },
        ))
    }

    fn transcript(&mut self, id: u64) -> StoreResult<Option<Transcript>> {
        Ok(self.state.transcripts.get(&id).cloned())
    }

    fn push_event(&mut self, name: &str, data: &EventData, at: DateTime<Utc>) -> StoreResult<u64> {
        let state = &mut *self.state;
        state.json_scratch.clear();
        serde_json::to_writer(&mut state.json_scratch, data)
            .map_err(|e| StoreError::Other(Box::new(e)))?;
        let json: Box<[u8]> = state.json_scratch.as_slice().into();
        Ok(self.push_json(name, json, at))
    }

    fn push_events(
        &mut self,
        events: &[(&str, &EventJson)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<u64>> {
        Ok(events
            .iter()
            .map(|(name, json)| self.push_json(name, json.as_str().as_bytes().into(), at))
            .collect())
    }

    fn pending_events(&mut self, limit: usize) -> StoreResult<Vec<OutboxEvent>> {
        let unclaimed = self.state.events.iter().filter(|(_, e)| e.process_id.is_none());
        unclaimed.take(limit).map(|(id, e)| e.to_model(id)).collect()
    }

    fn outbox_events(&mut self, limit: usize) -> StoreResult<Vec<OutboxEvent>> {
        self.state.events.iter().take(limit).map(|(id, e)| e.to_model(id)).collect()
    }

    fn claim_events(&mut self, ids: &[u64], process_id: &str) -> StoreResult<()> {
        for &id in ids {
            if let Some(event) = self.state.events.get_mut(id) {
                let old = event.process_id.replace(process_id.into());
                self.on_rollback(move |s| {
                    if let Some(event) = s.events.get_mut(id) {
                        event.process_id = old;
                    }
                });
            }
        }
        Ok(())
    }

    fn claimed_events(&mut self, process_id: &str) -> StoreResult<Vec<OutboxEvent>> {
        let claimed =
            self.state.events.iter().filter(|(_, e)| e.process_id.as_deref() == Some(process_id));
        claimed.map(|(id, e)| e.to_model(id)).collect()
    }

    fn delete_events(&mut self, ids: &[u64]) -> StoreResult<usize> {
        let mut removed = 0;
        for &id in ids {
            if let Some(event) = self.state.events.remove(id) {
                removed += 1;
                self.on_rollback(move |s| s.events.restore(id, event));
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_exclusion_list_is_empty_until_a_number_is_added() {
        callreg_core::conformance::kit::assert_exclusion_list_emptiness_is_exact(
            &MemoryStore::new(),
        );
    }

    /// Two codes can share a hash in the code index: the store keeps only the records that
    /// really have a phone of the code asked for.
    #[test]
    fn codes_sharing_a_hash_are_told_apart() {
        let store = MemoryStore::new();
        let now = Utc::now();
        let mut tx = store.begin().unwrap();
        let id = tx
            .insert_contact(&Contact {
                id: 0,
                name: "C".into(),
                last_name: String::new(),
                company_id: None,
                assigned_by: UserId(1),
                phones: vec![Phone {
                    value: "8 (495) 123-45-67".into(),
                    value_type: "WORK".into(),
                    key: PhoneKey::from_storage("+74951234567"),
                }],
                created: now,
                modified: now,
            })
            .unwrap();
        tx.commit().unwrap();
        let contact = EntityRef::contact(id);
        // What a collision looks like: the contact also sits under the slot of another code.
        let owner = PackedRef::new(contact).unwrap();
        store.state.lock().unwrap().phones.insert_code("301234567", owner);
        let mut tx = store.begin().unwrap();
        assert_eq!(tx.find_entities_by_bitrix_code("74951234567").unwrap(), vec![contact]);
        assert!(tx.find_entities_by_bitrix_code("301234567").unwrap().is_empty());
    }
}
