//! Tests of the adapter's internals: query plans and the statement cache.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::SqliteStore;
use crate::statements::{self, LOOKUPS};
use callreg_core::model::{Contact, Lead, Phone};
use callreg_core::phone::PhoneKey;
use callreg_core::store::CrmStore;
use callreg_core::types::{EntityRef, UserId};
use chrono::{TimeZone, Utc};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, StatementStatus};

/// The `detail` column of `EXPLAIN QUERY PLAN` for a statement (parameters left unbound).
fn query_plan(conn: &Connection, statement: &str) -> Vec<String> {
    let mut explain = conn.prepare(&format!("EXPLAIN QUERY PLAN {statement}")).unwrap();
    let mut rows = explain.raw_query();
    let mut details = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        details.push(row.get::<_, String>(3).unwrap());
    }
    details
}

#[test]
fn every_lookup_is_answered_from_an_index() {
    let store = SqliteStore::open_temporary().unwrap();
    store.with_connection(|conn| {
        for statement in LOOKUPS {
            let plan = query_plan(conn, statement);
            for step in &plan {
                // `SCAN CONSTANT ROW` is the outer `SELECT EXISTS (...)`, not a table.
                assert!(
                    !step.starts_with("SCAN") || step == "SCAN CONSTANT ROW",
                    "{statement}\nscans a table: {step}\nwhole plan: {plan:#?}"
                );
                // A sorter costs a lookup more than its index search: rows come in index
                // order, and what else is wanted is done by the caller. Tier 3's range keeps
                // its `DISTINCT`, so that its `LIMIT` counts records, not phones.
                let distinct_range = *statement == statements::FIND_ENTITIES_BY_NATIONAL_SUFFIX
                    && step == "USE TEMP B-TREE FOR DISTINCT";
                assert!(
                    !step.starts_with("USE TEMP B-TREE") || distinct_range,
                    "{statement}\nsorts: {step}\nwhole plan: {plan:#?}"
                );
            }
            let reads_a_table = !statement.starts_with("INSERT");
            if reads_a_table {
                assert!(
                    plan.iter().any(|step| step.starts_with("SEARCH")),
                    "{statement}\nhas no index search: {plan:#?}"
                );
            }
        }
    });
}

#[test]
fn the_exclusion_list_is_empty_until_a_number_is_added() {
    let store = SqliteStore::open_temporary().unwrap();
    callreg_core::conformance::kit::assert_exclusion_list_emptiness_is_exact(&store);
}

#[test]
fn the_list_statements_are_the_only_scans() {
    // Whole-table reads are the inspection methods, which the engine does not call while
    // registering, and the live-call lookups that the writer answers from memory (the read
    // connection, which has no such maps, scans the live calls; `NEXT_CALLER_SEQ` too, though
    // SQLite words its walk of the table's key as a search); everything else is in LOOKUPS
    // or writes.
    let store = SqliteStore::open_temporary().unwrap();
    store.with_connection(|conn| {
        for statement in [
            statements::LIST_CONTACTS,
            statements::LIST_ACTIVE_CALLS,
            statements::LIST_SOURCES,
            statements::PENDING_EVENTS,
            statements::OUTBOX_EVENTS,
            statements::NO_EXCLUSIONS,
            statements::LIVE_CALL_KEYS,
            statements::FIND_ACTIVE_CALL_BY_EXTERNAL_ID,
            statements::FIND_ACTIVE_CALLS_BY_CALLER,
        ] {
            let plan = query_plan(conn, statement);
            assert!(plan.iter().any(|s| s.starts_with("SCAN")), "{statement}: {plan:?}");
        }
    });
}

fn phone(value: &str, key: PhoneKey) -> Phone {
    Phone { value: value.into(), value_type: "WORK".into(), key: Some(key) }
}

fn digits_key(n: u32) -> PhoneKey {
    PhoneKey::from_storage(&format!("={n}")).unwrap()
}

/// A store with skewed data and SQLite's statistics on it (`ANALYZE`, with STAT4 compiled
/// in), which is what makes SQLite re-prepare statements whose plan could depend on a bound
/// value, unless query-planner stability is on.
fn analyzed_store() -> SqliteStore {
    let store = SqliteStore::open_temporary().unwrap();
    let at = Utc.with_ymd_and_hms(2026, 3, 10, 8, 0, 0).unwrap();
    {
        let mut tx = store.begin().unwrap();
        for n in 0..300u32 {
            // Key 0 is shared by half of the leads; the others are unique.
            let key = if n % 2 == 0 { digits_key(0) } else { digits_key(n) };
            let lead = Lead {
                id: 0,
                title: format!("Lead {n}"),
                name: String::new(),
                status_id: "NEW".into(),
                source_id: "CALL".into(),
                source_description: String::new(),
                assigned_by: UserId(1),
                phones: vec![phone(&n.to_string(), key)],
                created: at,
                modified: at,
            };
            tx.insert_lead(&lead).unwrap();
        }
        tx.commit().unwrap();
    }
    store.with_connection(|conn| conn.execute_batch("ANALYZE").unwrap());
    store
}

#[test]
fn a_thousand_lookups_reuse_one_prepared_statement() {
    let store = analyzed_store();
    store.with_connection(|conn| {
        assert!(conn.db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG).unwrap());
    });
    {
        let mut tx = store.begin().unwrap();
        for n in 0..1000u32 {
            let found = tx.find_entities_by_phone_key(&digits_key(n % 300)).unwrap();
            if n % 300 == 0 {
                assert_eq!(found.len(), 150);
            }
            tx.lead(u64::from(n % 300) + 1).unwrap().unwrap();
        }
        tx.commit().unwrap();
    }
    store.with_connection(|conn| {
        for statement in [statements::FIND_ENTITIES_BY_PHONE_KEY, statements::SELECT_LEAD] {
            let cached = conn.prepare_cached(statement).unwrap();
            // One statement handle ran all 1,000 lookups: it was prepared once.
            assert_eq!(cached.get_status(StatementStatus::Run), 1000, "{statement}");
            assert_eq!(cached.get_status(StatementStatus::RePrepare), 0, "{statement}");
        }
    });
}

#[test]
fn without_planner_stability_sqlite_would_re_prepare() {
    // The control for the test above: the same lookups on a connection without QPSG.
    let store = analyzed_store();
    let conn = Connection::open(store.path().unwrap()).unwrap();
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, false).unwrap();
    let mut lookup = conn.prepare_cached(statements::FIND_ENTITIES_BY_PHONE_KEY).unwrap();
    for n in 0..100u32 {
        let found: Vec<(i64, i64)> = lookup
            .query_map([digits_key(n).to_storage()], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        if n % 2 == 1 {
            assert_eq!(found, vec![(1, i64::from(n) + 1)]);
        }
    }
    assert!(lookup.get_status(StatementStatus::RePrepare) > 0);
}

#[test]
fn an_entity_found_by_two_phones_is_listed_once_and_types_come_in_order() {
    let store = SqliteStore::open_temporary().unwrap();
    let at = Utc.with_ymd_and_hms(2026, 3, 10, 8, 0, 0).unwrap();
    let key = digits_key(42);
    let mut tx = store.begin().unwrap();
    let lead = Lead {
        id: 0,
        title: "Lead".into(),
        name: String::new(),
        status_id: "NEW".into(),
        source_id: "CALL".into(),
        source_description: String::new(),
        assigned_by: UserId(1),
        phones: vec![phone("42", key.clone()), phone("4-2", key.clone())],
        created: at,
        modified: at,
    };
    let lead_id = tx.insert_lead(&lead).unwrap();
    let contact = Contact {
        id: 0,
        name: "Contact".into(),
        last_name: String::new(),
        company_id: None,
        assigned_by: UserId(1),
        phones: vec![phone("42", key.clone())],
        created: at,
        modified: at,
    };
    let contact_id = tx.insert_contact(&contact).unwrap();
    assert_eq!(
        tx.find_entities_by_phone_key(&key).unwrap(),
        vec![EntityRef::contact(contact_id), EntityRef::lead(lead_id)]
    );
}

#[test]
fn the_statement_cache_holds_every_statement() {
    // An evicted statement would be prepared again on its next use.
    let constants = include_str!("statements.rs").matches(": &str =").count();
    // BEGIN IMMEDIATE, BEGIN, COMMIT, ROLLBACK, PRAGMA data_version
    let transaction_control = 5;
    assert!(constants + transaction_control <= statements::CACHE_CAPACITY);
}

/// `statements::ALL` names every statement of the module, and they fit the statement cache
/// with the rest, so warming a store up prepares each one and nothing evicts them.
#[test]
fn every_statement_is_prepared_when_warming_up() {
    let source = include_str!("statements.rs");
    let declared: Vec<&str> = source
        .lines()
        .filter_map(|line| line.strip_prefix("pub(crate) const "))
        .filter_map(|rest| rest.split_once(": &str"))
        .map(|(name, _)| name)
        .collect();
    assert!(declared.len() > 50, "{declared:?}");
    let listed = source.split("pub(crate) const ALL: &[&str] = &[").nth(1).unwrap();
    let listed = listed.split("];").next().unwrap();
    for name in &declared {
        assert!(listed.contains(&format!("    {name},")), "{name} is missing from ALL");
    }
    assert_eq!(declared.len(), statements::ALL.len());
    let extra = statements::MAX_EVENTS_AT_ONCE + statements::APPEND_POINTS.len() + 4;
    assert!(statements::ALL.len() + extra <= statements::CACHE_CAPACITY);
    let store = SqliteStore::open_temporary().unwrap();
    store.with_connection(|conn| {
        for statement in statements::ALL.iter().chain(statements::APPEND_POINTS) {
            conn.prepare(statement).unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
    });
}

/// Limits the file of `store` to `pages` pages, or to the pages it has now (`None`).
fn set_max_pages(store: &SqliteStore, pages: Option<i64>) {
    store.with_connection(|conn| {
        let pages = pages
            .unwrap_or_else(|| conn.query_row("PRAGMA page_count", [], |row| row.get(0)).unwrap());
        conn.pragma_update(None, "max_page_count", pages).unwrap();
    });
}

/// A lead too large for a file that may not grow.
fn oversized_lead() -> Lead {
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    Lead {
        id: 0,
        title: "x".repeat(50_000),
        name: String::new(),
        status_id: "NEW".into(),
        source_id: "CALL".into(),
        source_description: String::new(),
        assigned_by: UserId(1),
        phones: Vec::new(),
        created: at,
        modified: at,
    }
}

/// The next event id the write connection remembers is forgotten when SQLite itself rolls a
/// transaction back (here: the file may not grow, a full disk), so the next event takes the
/// first free id again, exactly what the outbox's own statement gives.
#[test]
fn a_transaction_sqlite_rolled_back_forgets_the_next_event_id() {
    use callreg_core::model::EventJson;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("full.db")).unwrap();
    let data = EventJson::object().text("CALL_ID", "externalCall.x.1").finish();
    let push = |count: usize| {
        let events: Vec<(&str, &EventJson)> = (0..count).map(|_| ("E", &data)).collect();
        let mut tx = store.begin()?;
        let ids = tx.push_events(&events, Utc::now())?;
        tx.commit()?;
        Ok::<_, callreg_core::store::StoreError>(ids)
    };
    assert_eq!(push(2).unwrap(), vec![1, 2]);
    // No page more than the file has: the next insert that needs a new page fails, and
    // SQLite rolls the whole transaction back on its own.
    set_max_pages(&store, None);
    let failed = {
        let mut tx = store.begin().unwrap();
        tx.push_events(&[("A", &data), ("B", &data), ("C", &data)], Utc::now()).unwrap();
        // Another write that needs pages the file may not have.
        tx.insert_lead(&oversized_lead())
    };
    assert!(failed.is_err(), "the file could not grow");
    set_max_pages(&store, Some(1_000_000));
    assert_eq!(push(2).unwrap(), vec![3, 4], "ids 3.. were never committed");
}

/// After SQLite has rolled a transaction back on its own, the transaction refuses further
/// statements (each would be committed alone), and the live-call maps, which held the
/// rolled-back call, are read again: an `EXTERNAL_CALL_ID` is stored once, not twice.
#[test]
fn a_transaction_sqlite_rolled_back_runs_nothing_more_and_forgets_its_live_calls() {
    use callreg_core::model::ActiveCall;
    use callreg_core::store::StoreError;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("full.db")).unwrap();
    let call = |id: &str| ActiveCall {
        external_call_id: Some("x".into()),
        ..callreg_core::conformance::kit::sample_active_call(id)
    };
    // No page more than the file has: the next insert that needs a new page fails, and
    // SQLite rolls the whole transaction back on its own.
    set_max_pages(&store, None);
    {
        let mut tx = store.begin().unwrap();
        tx.insert_active_call(&call("externalCall.a.1")).unwrap();
        assert!(tx.insert_lead(&oversized_lead()).is_err(), "the file could not grow");
        // The call is gone with the transaction; a caller that carries on is stopped.
        let refused = tx.insert_active_call(&call("externalCall.b.1")).unwrap_err();
        assert!(matches!(refused, StoreError::Other(_)), "{refused:?}");
        assert!(tx.commit().is_err());
    }
    set_max_pages(&store, Some(1_000_000));
    let mut tx = store.begin().unwrap();
    assert!(tx.find_active_call_by_external_id(None, "x").unwrap().is_none());
    tx.insert_active_call(&call("externalCall.c.1")).unwrap();
    let again = tx.insert_active_call(&call("externalCall.d.1")).unwrap_err();
    assert!(matches!(again, StoreError::Constraint(_)), "{again:?}");
    tx.commit().unwrap();
    assert_eq!(store.begin().unwrap().list_active_calls().unwrap().len(), 1);
}

/// The append points are each one descent of a B-tree (the id counters' table is one page).
#[test]
fn append_points_are_read_without_scans() {
    let store = SqliteStore::open_temporary().unwrap();
    store.with_connection(|conn| {
        for statement in statements::APPEND_POINTS.iter().filter(|s| !s.contains("sqlite_sequence"))
        {
            let plan = query_plan(conn, statement);
            assert!(plan.iter().all(|step| !step.starts_with("SCAN")), "{statement}: {plan:?}");
        }
    });
}
