//! A database small enough to be read whole when an engine starts is also checked then: damage
//! is reported by `Engine::new` as `StoreError::Corrupt`, not met later by a registration.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use callreg_core::{CallregError, Engine, EngineConfig, NewContact, PhoneInput, StoreError};
use callreg_store_sqlite::SqliteStore;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

/// A file store with 300 contacts, closed (its log checkpointed into the file).
fn small_crm(path: &Path) {
    let engine = Engine::new(SqliteStore::open(path).unwrap(), EngineConfig::default()).unwrap();
    for i in 0..300 {
        let contact = NewContact {
            name: format!("Contact {i}"),
            phones: vec![PhoneInput::work(format!("+7 495 100-{:02}-{:02}", i / 100, i % 100))],
            ..NewContact::default()
        };
        engine.add_contact(&contact).unwrap();
    }
}

/// The first page of the B-tree `name` (from `sqlite_schema`) and the page size.
fn root_page(path: &Path, name: &str) -> (u64, u64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let root: i64 = conn
        .query_row("SELECT rootpage FROM sqlite_schema WHERE name = ?1", [name], |row| row.get(0))
        .unwrap();
    let size: i64 = conn.query_row("PRAGMA page_size", [], |row| row.get(0)).unwrap();
    (root as u64, size as u64)
}

#[test]
fn a_healthy_small_database_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    small_crm(&path);
    let engine = Engine::new(SqliteStore::open(&path).unwrap(), EngineConfig::default());
    let engine = engine.expect("a healthy database passes the check");
    let found = engine.find_owners_of_number("84951000001", None).unwrap();
    assert!(found.primary.is_some(), "its data is there");
}

#[test]
fn a_damaged_index_page_fails_the_engine_s_start_with_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    small_crm(&path);
    let (page, size) = root_page(&path, "crm_phone_by_key");
    {
        // The phone index's page overwritten: the schema (page 1) still reads, so the file
        // opens, but the index is no B-tree page any more.
        let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.seek(SeekFrom::Start((page - 1) * size)).unwrap();
        file.write_all(&vec![0xA5; size as usize]).unwrap();
        file.sync_all().unwrap();
    }
    let store = SqliteStore::open(&path).expect("the file still opens");
    match Engine::new(store, EngineConfig::default()) {
        Err(CallregError::Store(StoreError::Corrupt(message))) => {
            assert!(message.to_string().contains("integrity check"), "{message}");
        }
        Err(other) => panic!("expected a corrupt store, got {other}"),
        Ok(_) => panic!("a damaged database started an engine"),
    }
}
