//! Opening files: the schema and its version, files this build must not touch, and how
//! SQLite's failures reach the caller.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use callreg_core::auth::AppId;
use callreg_core::conformance::kit::sample_active_call;
use callreg_core::model::{ActiveCall, Line};
use callreg_core::{CallId, CrmStore, StoreError, UserId};
use callreg_store_sqlite::{SCHEMA_VERSION, SqliteStore};
use chrono::Utc;
use rusqlite::Connection;
use std::path::Path;

fn user_version(path: &Path) -> i64 {
    let conn = Connection::open(path).unwrap();
    conn.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap()
}

#[test]
fn a_new_file_gets_the_whole_schema_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.path(), Some(path.as_path()));
    drop(store);
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    let conn = Connection::open(&path).unwrap();
    let mode: String = conn.pragma_query_value(None, "journal_mode", |row| row.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let tables: Vec<(String, String)> = conn
        .prepare(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(tables.len() >= 10, "{tables:?}");
    for (name, sql) in &tables {
        assert!(sql.trim_end().contains(") STRICT"), "table {name} is not STRICT: {sql}");
    }
    // Opening again migrates nothing and keeps the data.
    let store = SqliteStore::open(&path).unwrap();
    let mut tx = store.begin().unwrap();
    tx.set_meta("k", "v").unwrap();
    tx.commit().unwrap();
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.begin().unwrap().meta("k").unwrap().as_deref(), Some("v"));
}

#[test]
fn foreign_keys_are_enforced() {
    let store = SqliteStore::open_temporary().unwrap();
    let store_path = store.path().unwrap().to_path_buf();
    drop(store.begin().unwrap());
    let conn = Connection::open(&store_path).unwrap();
    conn.pragma_update(None, "foreign_keys", true).unwrap();
    let orphan = conn.execute(
        "INSERT INTO activity_binding (activity_id, position, entity_type, entity_id) \
         VALUES (12345, 0, 1, 1)",
        [],
    );
    assert!(orphan.is_err());
    // The store's own connection has them on too.
    let mut tx = store.begin().unwrap();
    let mut call = sample_call("externalCall.a.1");
    call.entities.push(callreg_core::model::CallEntity {
        entity: callreg_core::EntityRef::lead(1),
        primary: true,
        created: false,
    });
    tx.insert_active_call(&call).unwrap();
    assert!(tx.delete_active_call(&call.call_id).unwrap());
    assert!(!tx.delete_active_call(&call.call_id).unwrap());
}

/// Writes a database as a newer build would: a table this build does not know and a schema
/// version past [`SCHEMA_VERSION`].
fn write_newer_database(path: &Path, wal: bool) {
    let conn = Connection::open(path).unwrap();
    if wal {
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    }
    conn.execute_batch(
        "CREATE TABLE from_the_future (x INTEGER) STRICT; INSERT INTO from_the_future VALUES (42);",
    )
    .unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
}

#[test]
fn a_database_of_a_newer_build_is_refused_and_left_untouched() {
    for wal in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("newer.db");
        write_newer_database(&path, wal);
        let before = std::fs::read(&path).unwrap();
        let files_before = std::fs::read_dir(dir.path()).unwrap().count();
        match SqliteStore::open(&path) {
            Err(StoreError::NewerSchema { found, known }) => {
                assert_eq!((found, known), (999, SCHEMA_VERSION));
            }
            other => panic!("expected NewerSchema, got {other:?}"),
        }
        assert_eq!(std::fs::read(&path).unwrap(), before, "the file's bytes (wal: {wal})");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), files_before);
        assert_eq!(user_version(&path), 999);
        let error = SqliteStore::open(&path).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "the store was written by a newer version (schema 999, this build knows {SCHEMA_VERSION})"
            )
        );
    }
}

#[test]
fn a_file_that_is_not_a_database_is_corrupt_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    let text = "These are not the tables you are looking for.\n".repeat(100);
    std::fs::write(&path, &text).unwrap();
    let error = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
    let source = std::error::Error::source(&error).unwrap().to_string();
    assert!(source.contains("not a database"), "{source}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn a_file_that_cannot_be_opened_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let error = SqliteStore::open(dir.path().join("missing/dir/portal.db")).unwrap_err();
    assert!(matches!(error, StoreError::Io(_)), "{error:?}");
}

fn sample_call(id: &str) -> ActiveCall {
    ActiveCall { external_call_id: Some("ext".into()), ..sample_active_call(id) }
}

#[test]
fn uniqueness_violations_are_constraint_errors() {
    let store = SqliteStore::open_temporary().unwrap();
    let mut tx = store.begin().unwrap();
    let line = Line {
        id: 0,
        app_id: Some(AppId::new("app")),
        number: "100".into(),
        name: None,
        crm_auto_create: true,
        key: None,
    };
    tx.insert_line(&line).unwrap();
    let duplicate = tx.insert_line(&line).unwrap_err();
    assert!(matches!(duplicate, StoreError::Constraint(_)), "{duplicate:?}");
    tx.insert_line(&Line { app_id: None, ..line.clone() }).unwrap();

    tx.insert_active_call(&sample_call("externalCall.a.1")).unwrap();
    // The same CALL_ID, with another EXTERNAL_CALL_ID: the store refuses it.
    let same_id =
        ActiveCall { external_call_id: Some("other".into()), ..sample_call("externalCall.a.1") };
    let same_id = tx.insert_active_call(&same_id).unwrap_err();
    assert!(matches!(same_id, StoreError::Constraint(_)), "{same_id:?}");
    let same_external = tx.insert_active_call(&sample_call("externalCall.b.1")).unwrap_err();
    assert!(matches!(same_external, StoreError::Constraint(_)), "{same_external:?}");
    // The same EXTERNAL_CALL_ID is free for another application, and calls without one
    // never collide.
    let other_app =
        ActiveCall { app_id: Some(AppId::new("app")), ..sample_call("externalCall.c.1") };
    tx.insert_active_call(&other_app).unwrap();
    for id in ["externalCall.d.1", "externalCall.e.1"] {
        tx.insert_active_call(&ActiveCall { external_call_id: None, ..sample_call(id) }).unwrap();
    }
    // A failed statement does not end the transaction.
    tx.commit().unwrap();
    assert_eq!(store.begin().unwrap().list_active_calls().unwrap().len(), 4);
}

#[test]
fn a_store_in_memory_works_like_a_file() {
    let store = SqliteStore::open_in_memory().unwrap();
    assert_eq!(store.path(), None);
    let mut tx = store.begin().unwrap();
    tx.set_meta("k", "v").unwrap();
    tx.commit().unwrap();
    assert_eq!(store.begin().unwrap().meta("k").unwrap().as_deref(), Some("v"));
}

/// The SQL of migrations 1 to 6, in order.
const OLD_MIGRATIONS: [&str; 7] = [
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_national_suffix.sql"),
    include_str!("../migrations/0003_compact_calls_and_outbox.sql"),
    include_str!("../migrations/0004_bitrix_code.sql"),
    include_str!("../migrations/0005_live_call_lookups_in_memory.sql"),
    include_str!("../migrations/0006_appended_live_calls_and_telephony_codes.sql"),
    include_str!("../migrations/0007_record_downloads.sql"),
];

/// A new database at `path` as an older build left it: the schema of `version` (1 to 7) and
/// `rows`, inserted by SQL, with no backfill of what later versions compute.
fn old_database(path: &Path, version: usize, rows: &str) {
    let conn = Connection::open(path).unwrap();
    for sql in &OLD_MIGRATIONS[..version] {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", version as i64).unwrap();
    conn.execute_batch(rows).unwrap();
}

/// [`old_database`] of `version` (4 to 7, whose `active_call` has these columns) holding the
/// live calls of `rows`, each a parenthesized list of the columns' SQL values.
fn old_database_with_live_calls(path: &Path, version: usize, rows: &[String]) {
    let insert = format!(
        "INSERT INTO active_call (call_id, seq, app_key, user_id, caller_id, caller_key, \
             call_type, start_date, registered_at, portal_user_id, line_id, portal_number, \
             external_call_id, created_lead, entities) VALUES {};",
        rows.join(", ")
    );
    old_database(path, version, &insert);
}

/// A database of version 1 (before tier 3's index) gets the index on open, filled in for the
/// phones it already holds, and its version becomes the newest.
#[test]
fn version_one_databases_get_the_suffix_index_filled_in() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    old_database(
        &path,
        1,
        "INSERT INTO contact (id, name, last_name, company_id, assigned_by, created, modified) \
             VALUES (1, 'Old', '', NULL, 1, '2026-03-10T08:00:00.000000000Z', \
             '2026-03-10T08:00:00.000000000Z'); \
             INSERT INTO crm_phone (entity_type, entity_id, position, value, value_type, key) \
             VALUES (3, 1, 0, '+7 495 123-45-67', 'WORK', '+74951234567'), \
                    (3, 1, 1, '112', 'WORK', '=112'), \
                    (3, 1, 2, 'none', 'WORK', NULL);",
    );
    let store = SqliteStore::open(&path).unwrap();
    let mut tx = store.begin().unwrap();
    assert_eq!(
        tx.find_entities_by_national_suffix("7654321594", 10).unwrap(),
        vec![callreg_core::EntityRef::contact(1)]
    );
    assert!(tx.find_entities_by_national_suffix("211", 10).unwrap().is_empty());
    drop(tx);
    drop(store);
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    assert_eq!(SCHEMA_VERSION, 8);
    let conn = Connection::open(&path).unwrap();
    let revs: Vec<Option<String>> = conn
        .prepare("SELECT national_rev FROM crm_phone ORDER BY position")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(revs, vec![Some("7654321594".to_string()), None, None]);
}

/// A database of version 2 keeps its live calls (with their bindings, in order) and its
/// outbox (pending and claimed events) through migration 3, and no event id is reused.
#[test]
fn version_two_databases_keep_their_calls_and_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.db");
    old_database(
        &path,
        2,
        "INSERT INTO active_call (seq, call_id, app_key, user_id, caller_id, caller_key, \
                 call_type, start_date, registered_at, portal_user_id, line_id, portal_number, \
                 external_call_id, created_lead) \
             VALUES (1, 'externalCall.a.1', '', 1, '112', '=112', 1, \
                 '2026-03-10T08:00:00.000000000Z', '2026-03-10T08:00:00.000000000Z', NULL, \
                 NULL, 'REST_APP:', 'x-1', NULL), \
                    (2, 'externalCall.b.1', '@app', 1, '113', '=113', 2, \
                 '2026-03-10T08:00:01.000000000Z', '2026-03-10T08:00:01.000000000Z', NULL, \
                 NULL, 'REST_APP:app', NULL, 7); \
             INSERT INTO call_entity (call_id, position, entity_type, entity_id, is_primary, \
                 is_created) \
             VALUES ('externalCall.a.1', 1, 2, 5, 0, 0), ('externalCall.a.1', 0, 3, 9, 1, 0), \
                    ('externalCall.b.1', 0, 1, 7, 1, 1); \
             INSERT INTO event (id, name, data, created_at, process_id) \
             VALUES (1, 'A', '{}', '2026-03-10T08:00:00.000000000Z', NULL), \
                    (2, 'B', '{\"k\":\"v\"}', '2026-03-10T08:00:00.000000000Z', 'p1'), \
                    (3, 'C', '{}', '2026-03-10T08:00:00.000000000Z', NULL); \
             DELETE FROM event WHERE id = 3;",
    );
    let store = SqliteStore::open(&path).unwrap();
    let mut tx = store.begin().unwrap();
    let a = tx.active_call(&CallId::new("externalCall.a.1")).unwrap().unwrap();
    let bindings: Vec<_> = a.entities.iter().map(|e| (e.entity, e.primary, e.created)).collect();
    assert_eq!(
        bindings,
        vec![
            (callreg_core::EntityRef::contact(9), true, false),
            (callreg_core::EntityRef::deal(5), false, false)
        ]
    );
    assert_eq!(a.external_call_id.as_deref(), Some("x-1"));
    let b = tx.find_active_call_by_external_id(Some(&AppId::new("app")), "x-1").unwrap();
    assert!(b.is_none());
    let b = tx.find_active_calls_by_caller(Some(&AppId::new("app")), "=113").unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].created_lead, Some(7));
    assert!(b[0].entities[0].created);
    let pending: Vec<u64> = tx.pending_events(10).unwrap().iter().map(|e| e.id).collect();
    assert_eq!(pending, vec![1]);
    let claimed = tx.claimed_events("p1").unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!((claimed[0].id, claimed[0].process_id.as_deref()), (2, Some("p1")));
    assert_eq!(claimed[0].data.get("k").map(|v| v.to_string()), Some("\"v\"".into()));
    // Event 3 was deleted under AUTOINCREMENT: the next event is 4, not 3.
    let next = tx.push_event("D", &Default::default(), Utc::now()).unwrap();
    assert_eq!(next, 4);
    tx.commit().unwrap();
    drop(store);
    assert_eq!(user_version(&path), SCHEMA_VERSION);
}

/// A database of version 3 (before the Bitrix-code index) gets the index on open, filled in
/// for the phones it already holds (NULL for a value without digits), and the Bitrix-code
/// tier then finds those phones.
#[test]
fn version_three_databases_get_the_bitrix_code_index_filled_in() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v3.db");
    old_database(
        &path,
        3,
        "INSERT INTO contact (id, name, last_name, company_id, assigned_by, created, modified) \
             VALUES (1, 'Old', '', NULL, 1, '2026-03-10T08:00:00.000000000Z', \
             '2026-03-10T08:00:00.000000000Z'); \
             INSERT INTO crm_phone (entity_type, entity_id, position, value, value_type, key, \
                 national_rev) \
             VALUES (3, 1, 0, '8 (495) 123-45-67', 'WORK', '+74951234567', '7654321594'), \
                    (3, 1, 1, '0812 555 44 33', 'WORK', '+78125554433', '3344555218'), \
                    (3, 1, 2, 'none', 'WORK', NULL, NULL);",
    );
    let store = SqliteStore::open(&path).unwrap();
    let mut tx = store.begin().unwrap();
    let contact = vec![callreg_core::EntityRef::contact(1)];
    assert_eq!(tx.find_entities_by_bitrix_code("74951234567").unwrap(), contact);
    assert_eq!(tx.find_entities_by_bitrix_code("8125554433").unwrap(), contact);
    assert!(tx.find_entities_by_bitrix_code("84951234567").unwrap().is_empty());
    assert!(tx.find_entities_by_bitrix_code("").unwrap().is_empty());
    drop(tx);
    drop(store);
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    let conn = Connection::open(&path).unwrap();
    let codes: Vec<Option<String>> = conn
        .prepare("SELECT bitrix_code FROM crm_phone ORDER BY position")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // `8 (495) 123-45-67` is found by its key: only the code its key does not tell is kept.
    assert_eq!(codes, vec![None, Some("8125554433".into()), None]);
}

/// A database of version 4 loses the two indexes of its live calls, and the store answers
/// both lookups from memory: the calls it holds are found by `EXTERNAL_CALL_ID` and by caller
/// in `seq` order, an `EXTERNAL_CALL_ID` in use is still refused, and a caller's next call
/// comes after its latest.
#[test]
fn version_four_databases_find_their_live_calls_without_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v4.db");
    let row = |call_id: &str, seq: i64, app: &str, caller: &str, external: &str| {
        format!(
            "('{call_id}', {seq}, '{app}', 1, '{caller}', '{caller}', 2, \
             '2026-03-10T08:00:00.000000000Z', '2026-03-10T08:00:00.000000000Z', NULL, NULL, \
             'REST_APP:', {external}, NULL, '')"
        )
    };
    // The caller's calls in `seq` order are not in CALL_ID order.
    let rows = [
        row("externalCall.a.1", 2, "", "=112", "NULL"),
        row("externalCall.c.1", 1, "", "=112", "'x-1'"),
        row("externalCall.b.1", 1, "@app", "=112", "'x-1'"),
        row("externalCall.d.1", 7, "", "=113", "'x-2'"),
    ];
    old_database_with_live_calls(&path, 4, &rows);
    let store = SqliteStore::open(&path).unwrap();
    let mut tx = store.begin().unwrap();
    let ids = |calls: Vec<ActiveCall>| -> Vec<String> {
        calls.into_iter().map(|c| c.call_id.as_str().to_string()).collect()
    };
    let found = tx.find_active_call_by_external_id(None, "x-1").unwrap().unwrap();
    assert_eq!(found.call_id.as_str(), "externalCall.c.1");
    let app = AppId::new("app");
    let found = tx.find_active_call_by_external_id(Some(&app), "x-1").unwrap().unwrap();
    assert_eq!(found.call_id.as_str(), "externalCall.b.1");
    assert!(tx.find_active_call_by_external_id(Some(&app), "x-2").unwrap().is_none());
    assert_eq!(
        ids(tx.find_active_calls_by_caller(None, "=112").unwrap()),
        ["externalCall.c.1", "externalCall.a.1"]
    );
    let taken = ActiveCall {
        external_call_id: Some("x-2".into()),
        caller_key: "=113".into(),
        ..sample_call("externalCall.e.1")
    };
    let refused = tx.insert_active_call(&taken).unwrap_err();
    assert!(matches!(refused, StoreError::Constraint(_)), "{refused:?}");
    let next = ActiveCall { external_call_id: None, ..taken };
    tx.insert_active_call(&next).unwrap();
    tx.commit().unwrap();
    drop(store);
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    let conn = Connection::open(&path).unwrap();
    let indexes: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'active_call' \
             AND name NOT LIKE 'sqlite_autoindex%'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(indexes, 0);
    let seq: i64 = conn
        .query_row("SELECT seq FROM active_call WHERE call_id = 'externalCall.e.1'", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(seq, 8);
}

/// A read-only open reads the newest schema and writes nothing; it refuses what it cannot
/// read without writing: an empty file, an older schema (left for a writing open to
/// migrate), a newer one.
#[test]
fn a_read_only_store_reads_and_never_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portal.db");
    let store = SqliteStore::open(&path).unwrap();
    let mut tx = store.begin().unwrap();
    tx.insert_active_call(&sample_call("externalCall.1.1")).unwrap();
    tx.commit().unwrap();
    drop(store);

    let reader = SqliteStore::open_read_only(&path).unwrap();
    let mut calls = Vec::new();
    let (mut found, mut missing) = (None, None);
    reader
        .read_only(&mut |tx| {
            calls = tx.list_active_calls()?;
            // Without the writer's maps, by a scan of the live calls.
            found = tx.active_call(&CallId::new("externalCall.1.1"))?;
            missing = tx.active_call(&CallId::new("externalCall.2.1"))?;
            Ok(())
        })
        .unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(found.map(|call| call.call_id), Some(CallId::new("externalCall.1.1")));
    assert!(missing.is_none());
    assert!(reader.begin().is_err(), "no write transaction");
    drop(reader);
    assert_eq!(user_version(&path), SCHEMA_VERSION);

    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let refused = SqliteStore::open_read_only(&empty).map(drop).unwrap_err();
    assert!(refused.to_string().contains("no callreg database"), "{refused}");
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0);

    let old = dir.path().join("old.db");
    old_database(&old, 4, "");
    let refused = SqliteStore::open_read_only(&old).map(drop).unwrap_err();
    assert!(refused.to_string().contains("upgrades it"), "{refused}");
    assert_eq!(user_version(&old), 4, "not migrated");

    let newer = dir.path().join("newer.db");
    write_newer_database(&newer, true);
    let refused = SqliteStore::open_read_only(&newer).map(drop).unwrap_err();
    assert!(matches!(refused, StoreError::NewerSchema { .. }), "{refused}");
    assert!(SqliteStore::open_read_only(dir.path().join("missing.db")).is_err());
    assert!(!dir.path().join("missing.db").exists());
}

/// A database of version 5 keeps its live calls through migration 6, in the order they were
/// registered; the store finds, deletes and refuses them by `CALL_ID` as before, and a new
/// live call is appended after them.
#[test]
fn version_five_databases_keep_their_live_calls_in_registration_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v5.db");
    let row = |call_id: &str, at: &str, external: &str| {
        format!(
            "('{call_id}', 1, '', 1, '+{at}', '+{at}', 2, '2026-03-10T08:00:0{at}.000000000Z', \
             '2026-03-10T08:00:0{at}.000000000Z', NULL, NULL, 'REST_APP:', {external}, NULL, '')"
        )
    };
    // CALL_ID order is not registration order.
    let rows = [
        row("externalCall.c.1", "1", "'x-1'"),
        row("externalCall.a.1", "2", "NULL"),
        row("externalCall.b.1", "3", "NULL"),
    ];
    old_database_with_live_calls(&path, 5, &rows);
    let store = SqliteStore::open(&path).unwrap();
    let mut tx = store.begin().unwrap();
    let found = tx.active_call(&CallId::new("externalCall.a.1")).unwrap().unwrap();
    assert_eq!(found.caller_id, "+2");
    assert!(tx.active_call(&CallId::new("externalCall.z.1")).unwrap().is_none());
    let found = tx.find_active_call_by_external_id(None, "x-1").unwrap().unwrap();
    assert_eq!(found.call_id.as_str(), "externalCall.c.1");
    let refused = tx.insert_active_call(&sample_call("externalCall.b.1")).unwrap_err();
    assert!(matches!(refused, StoreError::Constraint(_)), "{refused:?}");
    assert!(tx.delete_active_call(&CallId::new("externalCall.a.1")).unwrap());
    assert!(!tx.delete_active_call(&CallId::new("externalCall.a.1")).unwrap());
    tx.insert_active_call(&sample_call("externalCall.0.1")).unwrap();
    tx.commit().unwrap();
    drop(store);
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    let conn = Connection::open(&path).unwrap();
    let order: Vec<(i64, String)> = conn
        .prepare("SELECT id, call_id FROM active_call ORDER BY id")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected = [(1, "externalCall.c.1"), (3, "externalCall.b.1"), (4, "externalCall.0.1")];
    assert_eq!(order, expected.map(|(id, call)| (id, call.to_string())));
    let indexes: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'active_call'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(indexes, 0);
}

/// A database of version 5 gets the telephony forms of its users' phones filled in by
/// migration 6, so employees written before it are found by them.
#[test]
fn version_five_databases_get_their_employees_telephony_forms() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v5-users.db");
    old_database(
        &path,
        5,
        "INSERT INTO user (id, active, email, name, last_name, inner_phone, admin) \
             VALUES (7, 1, '', 'Eva', '', NULL, 0); \
         INSERT INTO user_phone (user_id, position, value, value_type, key) \
             VALUES (7, 0, '16502530000', 'PERSONAL_MOBILE', '+4916502530000'), \
                    (7, 1, '101', 'WORK_PHONE', '=101');",
    );
    let store = SqliteStore::open(&path).unwrap();
    let mut tx = store.begin().unwrap();
    assert_eq!(tx.find_users_by_telephony_code("16502530000").unwrap(), [UserId(7)]);
    assert!(tx.find_users_by_telephony_code("101").unwrap().is_empty(), "under ten characters");
    drop(tx);
    drop(store);
    let conn = Connection::open(&path).unwrap();
    let forms: Vec<Option<String>> = conn
        .prepare("SELECT telephony_code FROM user_phone ORDER BY position")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(forms, [Some("16502530000".to_string()), None]);
}

/// A version-6 file gets the queue of record downloads, and its data stays as it was.
#[test]
fn version_six_databases_get_the_record_download_queue() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v6.db");
    old_database(
        &path,
        6,
        "INSERT INTO contact (id, name, last_name, company_id, assigned_by, created, modified) \
             VALUES (1, 'Old', '', NULL, 1, '2026-03-10T08:00:00.000000000Z', \
             '2026-03-10T08:00:00.000000000Z');",
    );
    let store = SqliteStore::open(&path).unwrap();
    let at = chrono::DateTime::parse_from_rfc3339("2026-03-10T08:01:00Z").unwrap().to_utc();
    let download = callreg_core::model::RecordDownload {
        call_id: callreg_core::CallId::new("externalCall.1"),
        url: "https://pbx.example.com/rec/1.mp3".into(),
        due: at,
    };
    let mut tx = store.begin().unwrap();
    assert_eq!(tx.contact(1).unwrap().map(|c| c.name), Some("Old".to_string()));
    tx.insert_record_download(&download).unwrap();
    tx.commit().unwrap();
    let mut tx = store.begin().unwrap();
    let early = at - chrono::Duration::seconds(1);
    assert!(tx.due_record_downloads(early, 10).unwrap().is_empty());
    assert_eq!(tx.due_record_downloads(at, 10).unwrap(), vec![download.clone()]);
    assert_eq!(tx.take_record_download(&download.call_id).unwrap(), Some(download));
    drop(tx);
    drop(store);
    assert_eq!(user_version(&path), SCHEMA_VERSION);
}

/// A database of version 7 keeps its live calls and pending events; a new registration keeps
/// its events in its live call's row, after the old ids.
#[test]
fn version_seven_databases_keep_their_live_calls_and_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v7.db");
    let at = "'2026-03-10T08:00:00.123456789Z'";
    old_database_with_live_calls(
        &path,
        7,
        &[format!(
            "('externalCall.old.1', 1, '', 1, '112', '=112', 2, {at}, {at}, NULL, NULL, \
             'REST_APP:', NULL, NULL, '')"
        )],
    );
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(&format!(
        "INSERT INTO event (id, name, data, created_at) VALUES (5, 'OLD', '{{}}', {at})"
    ))
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    let ids = |store: &SqliteStore| -> Vec<u64> {
        let mut tx = store.begin().unwrap();
        tx.pending_events(10).unwrap().iter().map(|e| e.id).collect()
    };
    assert_eq!(ids(&store), vec![5]);
    let call = sample_call("externalCall.new.1");
    let data = callreg_core::model::EventJson::object().text("CALL_ID", "x").finish();
    let mut tx = store.begin().unwrap();
    let new = tx
        .insert_active_call_with_events(&call, &[("A", &data), ("B", &data)], call.registered_at)
        .unwrap();
    assert_eq!(new, vec![6, 7]);
    assert!(tx.delete_active_call(&CallId::new("externalCall.old.1")).unwrap());
    tx.commit().unwrap();
    assert_eq!(ids(&store), vec![5, 6, 7]);
    drop(store);
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    let conn = Connection::open(&path).unwrap();
    let kept: (String, i64, i64) = conn
        .query_row("SELECT call_id, events_from, events_to FROM active_call", [], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .unwrap();
    assert_eq!(kept, ("externalCall.new.1".into(), 6, 7));
    let stored: i64 = conn.query_row("SELECT count(*) FROM event", [], |row| row.get(0)).unwrap();
    assert_eq!(stored, 1, "only the old event is in `event`");
}
