//! Many stores on one file, in threads and in processes: each store has its own connection,
//! so they contend on SQLite's file lock, and still create one lead per number with no
//! busy error reaching the caller.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use callreg_core::{Auth, Engine, EngineConfig, EntityType, RegisterRequest};
use callreg_store_sqlite::SqliteStore;
use std::collections::HashMap;
use std::path::Path;

const NUMBERS: usize = 50;
const ROUNDS: usize = 3;

fn number(n: usize) -> String {
    format!("+7 900 200-{:02}-{:02}", n / 10, n % 10 + 10)
}

/// Registers every number `ROUNDS` times with `CRM_CREATE=1` through a store of its own.
fn register_all_numbers(path: &Path) {
    let store = SqliteStore::open(path).unwrap_or_else(|e| panic!("open failed: {e}"));
    let engine = Engine::new(store, EngineConfig::default()).unwrap();
    for _ in 0..ROUNDS {
        for n in 0..NUMBERS {
            let request = RegisterRequest::incoming(1, number(n)).crm_create(true);
            if let Err(e) = engine.register(&Auth::webhook(1), &request) {
                panic!("register of {} failed: {e} ({:?})", number(n), e.kind());
            }
        }
    }
}

/// Exactly one lead per number, and every call of a number bound to it.
fn assert_one_lead_per_number(path: &Path) {
    let engine = Engine::new(SqliteStore::open(path).unwrap(), EngineConfig::default()).unwrap();
    let leads = engine.entity_ids(EntityType::Lead).unwrap();
    assert_eq!(leads.len(), NUMBERS, "one lead per number");
    for n in 0..NUMBERS {
        let owners = engine.entities_with_number(&number(n)).unwrap();
        assert_eq!(owners.len(), 1, "{}: {owners:?}", number(n));
    }
    let mut lead_of_caller: HashMap<String, Vec<_>> = HashMap::new();
    for call in engine.active_calls().unwrap() {
        lead_of_caller.entry(call.caller_key.clone()).or_default().push(call.primary());
    }
    assert_eq!(lead_of_caller.len(), NUMBERS);
    for (caller, leads) in lead_of_caller {
        assert!(leads.iter().all(|l| l.is_some() && *l == leads[0]), "{caller}: {leads:?}");
    }
}

#[test]
fn eight_stores_in_threads_create_one_lead_per_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portal.db");
    // Every thread opens the (missing) file itself: creation, migration and seeding race too.
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| register_all_numbers(&path));
        }
    });
    assert_one_lead_per_number(&path);
}

#[test]
fn two_processes_create_one_lead_per_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portal.db");
    let children: Vec<_> = (0..2)
        .map(|seed| {
            support::child("child_process", "register", &path, seed).spawn().expect("child starts")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
        assert!(stdout.contains("REGISTERED ALL"), "the child ran the registrations:\n{stdout}");
    }
    assert_one_lead_per_number(&path);
}

/// The other process of `two_processes_create_one_lead_per_number`; a no-op in a plain run.
#[test]
fn child_process() {
    let Some((role, path, _)) = support::child_role() else { return };
    assert_eq!(role, "register");
    register_all_numbers(&path);
    println!("REGISTERED ALL");
}

/// A reader in the same process does not wait for a writer: while a write transaction is
/// open, a read on another thread completes and sees the last committed state.
#[test]
fn reads_do_not_wait_for_an_open_write_transaction() {
    use callreg_core::store::CrmStore;
    use std::sync::mpsc;
    let store = callreg_store_sqlite::SqliteStore::open_temporary().unwrap();
    let engine = callreg_core::Engine::new(store, callreg_core::EngineConfig::default()).unwrap();
    let store = engine.store();
    let mut writer = store.begin().unwrap();
    let user = callreg_core::model::User {
        id: callreg_core::UserId(0),
        active: true,
        email: String::new(),
        name: "uncommitted".into(),
        last_name: String::new(),
        inner_phone: None,
        phones: Vec::new(),
        admin: false,
        permissions: Default::default(),
    };
    writer.insert_user(&user).unwrap();
    let (done, finished) = mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut names = Vec::new();
            let read = store.read_only(&mut |tx| {
                names = tx.list_users()?.into_iter().map(|u| u.name).collect();
                Ok(())
            });
            let _ = done.send((read.is_ok(), names));
        });
        // Generous: only a reader blocked behind the writer would take this long. The writer
        // is released before judging, so that a blocked reader fails the test, not hangs it.
        let answer = finished.recv_timeout(std::time::Duration::from_secs(60));
        drop(writer);
        let (ok, names) = answer.expect("the read finished while the write was open");
        assert!(ok);
        assert_eq!(names, vec!["Admin".to_string()], "the uncommitted user is not seen");
    });
}
