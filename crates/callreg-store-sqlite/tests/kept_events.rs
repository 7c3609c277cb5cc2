//! The events a registration queues are written in its live call's row (schema 8): one row
//! per registration. They move to `event` when claimed or when the call ends, and their ids
//! are never given again, also after the store is reopened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callreg_core::conformance::kit::sample_active_call;
use callreg_core::model::{EventJson, OutboxEvent};
use callreg_core::{CallId, CrmStore};
use callreg_store_sqlite::SqliteStore;
use rusqlite::Connection;
use std::path::Path;

fn data(call: &str) -> EventJson {
    EventJson::object().text("CALL_ID", call).text("USER_ID", "1").finish()
}

/// Registers call `id` with three events; returns their ids.
fn register(store: &SqliteStore, id: &str) -> Vec<u64> {
    let call = sample_active_call(id);
    let json = data(id);
    let mut tx = store.begin().unwrap();
    let ids = tx
        .insert_active_call_with_events(
            &call,
            &[("INIT", &json), ("START", &json), ("CARD", &json)],
            call.registered_at,
        )
        .unwrap();
    tx.commit().unwrap();
    ids
}

fn pending(store: &SqliteStore) -> Vec<(u64, String, String)> {
    let mut tx = store.begin().unwrap();
    let events: Vec<OutboxEvent> = tx.pending_events(100).unwrap();
    events
        .into_iter()
        .map(|e| (e.id, e.name, e.data.get("CALL_ID").unwrap().as_str().unwrap().to_string()))
        .collect()
}

/// A live call's `call_id`, `events_from` and `events_to`.
type LiveRow = (String, Option<i64>, Option<i64>);

/// The ids of `event`'s rows, and the live calls' rows.
fn stored(path: &Path) -> (Vec<i64>, Vec<LiveRow>) {
    let conn = Connection::open(path).unwrap();
    let events = conn
        .prepare("SELECT id FROM event ORDER BY id")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let calls = conn
        .prepare("SELECT call_id, events_from, events_to FROM active_call ORDER BY id")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (events, calls)
}

#[test]
fn a_registration_writes_its_events_in_the_call_row_and_they_outlive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kept.db");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(register(&store, "externalCall.a.1"), vec![1, 2, 3]);
    assert_eq!(register(&store, "externalCall.b.1"), vec![4, 5, 6]);
    let (events, calls) = stored(&path);
    assert!(events.is_empty(), "nothing appended to `event`: {events:?}");
    assert_eq!(
        calls,
        vec![
            ("externalCall.a.1".into(), Some(1), Some(3)),
            ("externalCall.b.1".into(), Some(4), Some(6))
        ]
    );
    drop(store);

    // Reopened: the events are there, and the next ids follow them.
    let store = SqliteStore::open(&path).unwrap();
    let names: Vec<(u64, String, String)> = pending(&store);
    assert_eq!(names.len(), 6);
    assert_eq!(names[0], (1, "INIT".into(), "externalCall.a.1".into()));
    assert_eq!(names[5], (6, "CARD".into(), "externalCall.b.1".into()));
    assert_eq!(register(&store, "externalCall.c.1"), vec![7, 8, 9]);

    // All of the newest call's events deleted: the row forgets them, and their ids stay taken.
    let mut tx = store.begin().unwrap();
    assert_eq!(tx.delete_events(&[7, 8, 9]).unwrap(), 3);
    tx.commit().unwrap();
    let (events, calls) = stored(&path);
    assert!(events.is_empty());
    assert_eq!(calls[2], ("externalCall.c.1".into(), None, None));
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(register(&store, "externalCall.d.1"), vec![10, 11, 12]);

    // One event claimed: all of its call's move to `event` (ids kept), the row forgets them.
    let mut tx = store.begin().unwrap();
    tx.claim_events(&[2], "reader").unwrap();
    tx.commit().unwrap();
    let (events, calls) = stored(&path);
    assert_eq!(events, vec![1, 3]);
    assert_eq!(calls[0], ("externalCall.a.1".into(), None, None));
    // A call that ends moves its events to `event`.
    let mut tx = store.begin().unwrap();
    assert!(tx.delete_active_call(&CallId::new("externalCall.b.1")).unwrap());
    tx.commit().unwrap();
    let (events, calls) = stored(&path);
    assert_eq!(events, vec![1, 3, 4, 5, 6]);
    assert_eq!(calls.len(), 3);
    let ids: Vec<u64> = pending(&store).iter().map(|(id, _, _)| *id).collect();
    assert_eq!(ids, vec![1, 3, 4, 5, 6, 10, 11, 12]);
    let mut tx = store.begin().unwrap();
    assert_eq!(tx.claimed_events("reader").unwrap().len(), 1);
}

/// The events of a live call are read from its row alone: a row whose events cannot be read
/// is reported as damage, not skipped.
#[test]
fn damaged_kept_events_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.db");
    let store = SqliteStore::open(&path).unwrap();
    register(&store, "externalCall.a.1");
    drop(store);
    let conn = Connection::open(&path).unwrap();
    conn.execute("UPDATE active_call SET events_to = 4", []).unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    let mut tx = store.begin().unwrap();
    let error = tx.pending_events(10).unwrap_err();
    assert!(matches!(error, callreg_core::StoreError::Corrupt(_)), "{error:?}");
}
