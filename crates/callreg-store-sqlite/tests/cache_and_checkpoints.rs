//! What a file store keeps besides SQLite's own state: the writer's cache of users and
//! exclusions (never stale, even when another store on the file writes), and the checkpoint
//! thread (the write-ahead log stays bounded under steady writes, and the thread stops with
//! the store).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use callreg_core::model::{EventJson, User};
use callreg_core::phone::PhoneKey;
use callreg_core::{
    Auth, CallregError, CrmStore, Engine, EngineConfig, FinishRequest, RegisterRequest, UserId,
};
use callreg_store_sqlite::{MAX_LOG_FRAMES, SqliteStore};
use std::collections::BTreeSet;

fn user(id: u64, inner: &str) -> User {
    User {
        id: UserId(id),
        active: true,
        email: String::new(),
        name: format!("User {id}"),
        last_name: String::new(),
        inner_phone: Some(inner.into()),
        phones: Vec::new(),
        admin: false,
        permissions: BTreeSet::new(),
    }
}

fn key(text: &str) -> PhoneKey {
    PhoneKey::from_storage(text).unwrap()
}

/// Answers the first store cached (a user missing, a number not excluded) change when a
/// second store on the same file writes: the cache is checked against SQLite's data version
/// at the start of every transaction.
#[test]
fn another_store_s_writes_are_seen_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let first = SqliteStore::open(&path).unwrap();
    let second = SqliteStore::open(&path).unwrap();
    let number = key("+74951234567");
    for _ in 0..2 {
        let mut tx = first.begin().unwrap();
        assert_eq!(tx.user(UserId(7)).unwrap(), None);
        assert!(tx.find_users_by_inner_phone("107").unwrap().is_empty());
        assert!(!tx.is_excluded(&number).unwrap());
        tx.commit().unwrap();
    }
    let mut tx = second.begin().unwrap();
    tx.insert_user(&user(7, "107")).unwrap();
    tx.insert_exclusion(&number).unwrap();
    tx.commit().unwrap();
    let mut tx = first.begin().unwrap();
    assert_eq!(tx.user(UserId(7)).unwrap().map(|u| u.name), Some("User 7".to_string()));
    assert_eq!(tx.find_users_by_inner_phone("107").unwrap(), vec![UserId(7)]);
    assert!(tx.is_excluded(&number).unwrap());
}

/// A transaction's own writes are what it reads, and what it wrote and rolled back is never
/// read again, by it or by later transactions.
#[test]
fn own_writes_are_read_and_rolled_back_ones_forgotten() {
    let store = SqliteStore::open_temporary().unwrap();
    let number = key("=112");
    let mut tx = store.begin().unwrap();
    assert_eq!(tx.user(UserId(8)).unwrap(), None);
    assert!(!tx.is_excluded(&number).unwrap());
    tx.commit().unwrap();

    let mut tx = store.begin().unwrap();
    assert_eq!(tx.user(UserId(8)).unwrap(), None);
    tx.insert_user(&user(8, "108")).unwrap();
    tx.insert_exclusion(&number).unwrap();
    assert!(tx.user(UserId(8)).unwrap().is_some());
    assert_eq!(tx.find_users_by_inner_phone("108").unwrap(), vec![UserId(8)]);
    assert!(tx.is_excluded(&number).unwrap());
    drop(tx); // rolled back

    let mut tx = store.begin().unwrap();
    assert_eq!(tx.user(UserId(8)).unwrap(), None);
    assert!(tx.find_users_by_inner_phone("108").unwrap().is_empty());
    assert!(!tx.is_excluded(&number).unwrap());
    tx.insert_user(&user(8, "108")).unwrap();
    tx.commit().unwrap();

    let mut tx = store.begin().unwrap();
    assert!(tx.user(UserId(8)).unwrap().is_some());
    assert_eq!(tx.find_users_by_inner_phone("108").unwrap(), vec![UserId(8)]);
}

/// Pushes two events in one transaction of `store`, committed or not; returns their ids.
fn push_two(store: &SqliteStore, commit: bool) -> Vec<u64> {
    let data = EventJson::object().text("CALL_ID", "externalCall.x.1").finish();
    let mut tx = store.begin().unwrap();
    let ids = tx.push_events(&[("ONE", &data), ("TWO", &data)], chrono::Utc::now()).unwrap();
    if commit {
        tx.commit().unwrap();
    }
    ids
}

/// The write connection remembers the next event's id between transactions; events pushed
/// meanwhile by another store on the file never make it hand out an id twice, and the ids of
/// a transaction rolled back are handed out again, as the outbox's own statement would.
#[test]
fn event_ids_stay_unique_across_stores_and_rollbacks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.db");
    let first = SqliteStore::open(&path).unwrap();
    let second = SqliteStore::open(&path).unwrap();
    let mut committed = Vec::new();
    committed.extend(push_two(&first, true));
    committed.extend(push_two(&first, true));
    committed.extend(push_two(&second, true));
    committed.extend(push_two(&first, true)); // after another store's events
    let rolled_back = push_two(&first, false);
    assert_eq!(rolled_back[0], committed[7] + 1, "{rolled_back:?} after {committed:?}");
    let reused = push_two(&first, true); // straight after its own rollback
    assert_eq!(reused, rolled_back, "ids never committed are taken again");
    committed.extend(reused);
    committed.extend(push_two(&second, true));
    committed.extend(push_two(&first, true)); // after another store's events
    assert!(committed.windows(2).all(|w| w[0] < w[1]), "increasing: {committed:?}");
    let mut tx = first.begin().unwrap();
    let stored: Vec<u64> = tx.pending_events(100).unwrap().iter().map(|e| e.id).collect();
    assert_eq!(stored, committed, "every committed event, none rolled back");
}

/// The engine over two stores on one file: a user added through one may take calls through
/// the other at once, though the other had cached that user as missing.
#[test]
fn a_user_added_elsewhere_can_take_calls_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portal.db");
    let a = Engine::new(SqliteStore::open(&path).unwrap(), EngineConfig::default()).unwrap();
    let b = Engine::new(SqliteStore::open(&path).unwrap(), EngineConfig::default()).unwrap();
    let request = RegisterRequest::incoming(2, "+7 495 123-45-67");
    let refused = a.register(&Auth::webhook(1), &request).unwrap_err();
    assert!(matches!(refused, CallregError::UserNotActive), "{refused}");
    let added = b.add_user(&callreg_core::engine::NewUser::default()).unwrap();
    assert_eq!(added, UserId(2));
    a.register(&Auth::webhook(1), &request).unwrap();
}

/// Size of the write-ahead log file, 0 when there is none.
fn wal_bytes(db: &std::path::Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

/// Thousands of commands in a row, far more pages than the log may hold: the log is
/// restarted from its beginning again and again instead of growing, every command is kept,
/// and dropping the store stops the checkpoint thread and leaves no log behind.
#[test]
fn the_log_stays_bounded_under_steady_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("steady.db");
    let engine = Engine::new(SqliteStore::open(&path).unwrap(), EngineConfig::default()).unwrap();
    let auth = Auth::webhook(1);
    let frame = 4096 + 24;
    // The committing connection checkpoints from WRITER_CHECKPOINT_FRAMES on; while the
    // checkpoint thread is busy, its attempt fails and the next commit's tries again, and
    // from MAX_LOG_FRAMES on it waits for the thread first: whatever the machine's load, the
    // log holds at most MAX_LOG_FRAMES pages and one transaction's (a registration or a
    // finish writes about ten; 100 is ample).
    let bound = (MAX_LOG_FRAMES as u64 + 100) * frame + 32;
    let mut largest = 0;
    let calls = 3_000;
    for n in 0..calls {
        let request = RegisterRequest::incoming(1, format!("+7 495 {:07}", 3_000_000 + n))
            .crm_create(true)
            .external_call_id(format!("steady-{n}"));
        let call = engine.register(&auth, &request).unwrap();
        engine.finish(&auth, &FinishRequest::new(call.call_id.as_str(), 1, 30)).unwrap();
        largest = largest.max(wal_bytes(&path));
    }
    // Some 30,000 pages are written in all (a registration and a finish write about ten).
    assert!(largest > 0);
    assert!(largest <= bound, "the log reached {largest} bytes (bound {bound})");
    assert_eq!(engine.call_records().unwrap().len(), calls as usize);
    drop(engine);
    assert_eq!(wal_bytes(&path), 0, "the last connection checkpoints and removes the log");
    let engine = Engine::new(SqliteStore::open(&path).unwrap(), EngineConfig::default()).unwrap();
    assert_eq!(engine.call_records().unwrap().len(), calls as usize);
}
