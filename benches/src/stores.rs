//! Engines over each store, filled with a phone book: one contact per number.

use crate::data::{Entry, FIRST_NAMES, LAST_NAMES, PhoneBook};
use callreg_core::model::{CallRecord, Contact};
use callreg_core::types::CallType;
use callreg_core::{
    Auth, CallId, CrmStore, Engine, EngineConfig, FinishRequest, NewContact, PhoneInput,
    RegisterRequest, UserId,
};
use callreg_store_memory::MemoryStore;
use callreg_store_sqlite::SqliteStore;
use chrono::Utc;
use std::path::Path;

/// The contact of the `index`-th number of a book.
pub fn new_contact(index: usize, entry: &Entry) -> NewContact {
    NewContact {
        name: FIRST_NAMES[index % FIRST_NAMES.len()].to_string(),
        last_name: LAST_NAMES[(index / FIRST_NAMES.len()) % LAST_NAMES.len()].to_string(),
        phones: vec![PhoneInput::work(entry.stored.clone())],
        ..NewContact::default()
    }
}

/// An engine over a new in-memory store holding the book's contacts (added one
/// `add_contact` at a time, as an application would).
pub fn memory_engine(book: &PhoneBook, config: EngineConfig) -> Engine<MemoryStore> {
    let engine = Engine::new(MemoryStore::new(), config).expect("engine");
    add_contacts(&engine, book);
    engine
}

/// Adds a contact per number of the book through the engine, one transaction each.
pub fn add_contacts<S: CrmStore>(engine: &Engine<S>, book: &PhoneBook) {
    for (index, entry) in book.entries.iter().enumerate() {
        engine.add_contact(&new_contact(index, entry)).expect("contact added");
    }
}

/// An engine over a SQLite database at `path` (created) holding the book's contacts. They are
/// written in one transaction (loading a million contacts one commit at a time would take
/// longer than every benchmark together); the engine normalizes their numbers as
/// `add_contact` does.
pub fn sqlite_engine(book: &PhoneBook, path: &Path, config: EngineConfig) -> Engine<SqliteStore> {
    let store = SqliteStore::open(path).expect("database");
    let engine = Engine::new(store, config).expect("engine");
    bulk_load(&engine, book);
    engine
}

/// Writes the book's contacts in one transaction.
pub fn bulk_load<S: CrmStore>(engine: &Engine<S>, book: &PhoneBook) {
    let now = Utc::now();
    let mut tx = engine.store().begin().expect("transaction");
    for (index, entry) in book.entries.iter().enumerate() {
        let contact = new_contact(index, entry);
        let record = Contact {
            id: 0,
            name: contact.name,
            last_name: contact.last_name,
            company_id: None,
            assigned_by: UserId(1),
            phones: engine.phones_with_keys(&contact.phones),
            created: now,
            modified: now,
        };
        tx.insert_contact(&record).expect("contact stored");
    }
    tx.commit().expect("committed");
}

/// Statistics rows of `count` finished calls, written in one transaction: a minute apart,
/// from 5,000 numbers, finished by seven users.
pub fn load_finished_calls<S: CrmStore>(engine: &Engine<S>, count: usize) {
    let first = Utc::now() - chrono::Duration::minutes(count as i64);
    let mut tx = engine.store().begin().expect("transaction");
    for i in 0..count {
        let number = format!("+7495{:07}", i % 5_000);
        let start = first + chrono::Duration::minutes(i as i64);
        let record = CallRecord {
            id: 0,
            call_id: CallId::new(format!("externalCall.{i:032x}.{}", start.timestamp())),
            external_call_id: None,
            portal_user_id: UserId(1 + i as u64 % 7),
            phone_number: number.clone(),
            caller_key: number,
            portal_number: "REST_APP:".into(),
            call_type: CallType::Incoming,
            duration: 60,
            start_date: start,
            call_status: 1,
            vote: 0,
            cost: 0.0,
            cost_currency: "RUB".into(),
            failed_code: "200".into(),
            failed_reason: String::new(),
            app_id: None,
            activity_id: None,
            record_url: None,
            primary: None,
            record_id: None,
            transcript_id: None,
            finished_at: start + chrono::Duration::seconds(60),
        };
        tx.insert_call_record(&record).expect("row stored");
    }
    tx.commit().expect("committed");
}

/// The webhook of the portal's administrator, who may register calls.
pub fn admin() -> Auth {
    Auth::webhook(1)
}

/// Registrations in steady state: batches of calls registered (timed), then finished and
/// their events consumed (not timed), as a PBX and an event consumer keep a CRM's live calls
/// and outbox bounded. Each call has its own `EXTERNAL_CALL_ID`, so none is a dedup hit.
#[derive(Debug)]
pub struct SteadyRegistrations<'a, S> {
    engine: &'a Engine<S>,
    numbers: Vec<Entry>,
    next: u64,
}

impl<'a, S: CrmStore> SteadyRegistrations<'a, S> {
    /// Calls from 4,096 numbers of the book, picked at random.
    pub fn new(engine: &'a Engine<S>, book: &PhoneBook) -> Self {
        SteadyRegistrations { engine, numbers: book.sample(4096, 7), next: 0 }
    }

    /// Registers `count` incoming calls and returns the time they took; then finishes them
    /// and acknowledges the outbox, untimed.
    pub fn batch(&mut self, count: usize) -> std::time::Duration {
        let requests: Vec<RegisterRequest> = (0..count)
            .map(|_| {
                self.next += 1;
                let entry = &self.numbers[self.next as usize % self.numbers.len()];
                RegisterRequest::incoming(1, entry.called.clone())
                    .external_call_id(format!("steady-{}", self.next))
            })
            .collect();
        let auth = admin();
        let mut call_ids = Vec::with_capacity(count);
        let start = std::time::Instant::now();
        for request in &requests {
            call_ids
                .push(std::hint::black_box(self.engine.register(&auth, request).unwrap()).call_id);
        }
        let elapsed = start.elapsed();
        for call_id in call_ids {
            self.engine.finish(&auth, &FinishRequest::new(call_id.as_str(), 1, 60)).unwrap();
        }
        loop {
            let ids: Vec<u64> =
                self.engine.pending_events(10_000).unwrap().iter().map(|e| e.id).collect();
            if ids.is_empty() {
                break;
            }
            self.engine.acknowledge_events(&ids).unwrap();
        }
        elapsed
    }
}
