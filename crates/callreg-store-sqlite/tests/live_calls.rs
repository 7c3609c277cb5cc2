//! The writer keeps the live calls' lookups by `EXTERNAL_CALL_ID` and by caller in memory
//! (schema 5). Whatever two stores on one file do, committed or rolled back, every
//! transaction's answers are those of SQL: the same as the read connection's, which scans
//! the table, and the same as a model of the committed calls.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callreg_core::conformance::kit::sample_active_call;
use callreg_core::model::ActiveCall;
use callreg_core::store::{StoreError, StoreTx};
use callreg_core::{AppId, CallId, CrmStore};
use callreg_store_sqlite::SqliteStore;
use proptest::prelude::*;

const APPS: [Option<&str>; 2] = [None, Some("pbx")];
const CALLERS: [&str; 3] = ["+74951234567", "+74951234568", "=112"];
const EXTERNAL_IDS: [&str; 3] = ["x-1", "x-2", "x-3"];

#[derive(Debug, Clone)]
enum Step {
    /// A new call.
    Insert { app: usize, caller: usize, external: Option<usize> },
    /// The `pick`-th live call (modulo their number) deleted.
    Delete { pick: usize },
    /// A new call with the `CALL_ID` of the `pick`-th live call: refused.
    SameCallId { pick: usize },
}

#[derive(Debug, Clone)]
enum Op {
    /// A transaction of store `store`: its steps, then a check of its own view (or not),
    /// then a commit (or a rollback).
    Transaction { store: usize, steps: Vec<Step>, check_inside: bool, commit: bool },
    /// A write of store `store` that changes no live call (the other store's maps are
    /// still read again after it).
    Unrelated { store: usize },
    /// Both lookups checked on store `store`'s writer and read connection.
    Check { store: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..APPS.len(), 0..CALLERS.len(), proptest::option::of(0..EXTERNAL_IDS.len()))
            .prop_map(|(app, caller, external)| Step::Insert { app, caller, external }),
        2 => any::<usize>().prop_map(|pick| Step::Delete { pick }),
        1 => any::<usize>().prop_map(|pick| Step::SameCallId { pick }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..2usize, proptest::collection::vec(step(), 1..4), any::<bool>(), proptest::bool::weighted(0.7))
            .prop_map(|(store, steps, check_inside, commit)| Op::Transaction { store, steps, check_inside, commit }),
        1 => (0..2usize).prop_map(|store| Op::Unrelated { store }),
        2 => (0..2usize).prop_map(|store| Op::Check { store }),
    ]
}

/// A committed live call of the model: its id, application, caller and external id.
#[derive(Debug, Clone)]
struct Live {
    call_id: String,
    app: usize,
    caller: usize,
    external: Option<usize>,
}

fn app(index: usize) -> Option<AppId> {
    APPS[index].map(AppId::new)
}

fn call(n: usize, app_index: usize, caller: usize, external: Option<usize>) -> ActiveCall {
    ActiveCall {
        app_id: app(app_index),
        caller_id: CALLERS[caller].trim_start_matches('=').into(),
        caller_key: CALLERS[caller].into(),
        external_call_id: external.map(|e| EXTERNAL_IDS[e].to_string()),
        ..sample_active_call(&format!("externalCall.{n:032x}.1773130779"))
    }
}

fn ids(calls: Vec<ActiveCall>) -> Vec<String> {
    calls.into_iter().map(|c| c.call_id.as_str().to_string()).collect()
}

/// Every lookup's answer in `tx`, against the model: each call by its `CALL_ID`, each
/// caller's calls in registration order, and the call of each external id.
fn check(tx: &mut dyn StoreTx, model: &[Live]) -> Result<(), TestCaseError> {
    for live in model {
        let found = tx.active_call(&CallId::new(live.call_id.clone())).unwrap();
        let found = found.map(|c| (c.app_id, c.caller_key, c.external_call_id));
        let expected = call(0, live.app, live.caller, live.external);
        let expected = (expected.app_id, expected.caller_key, expected.external_call_id);
        prop_assert_eq!(found, Some(expected), "{}", live.call_id);
    }
    prop_assert!(tx.active_call(&CallId::new("externalCall.none.1")).unwrap().is_none());
    for a in 0..APPS.len() {
        for (c, caller) in CALLERS.iter().enumerate() {
            let expected: Vec<String> = model
                .iter()
                .filter(|l| l.app == a && l.caller == c)
                .map(|l| l.call_id.clone())
                .collect();
            let found = ids(tx.find_active_calls_by_caller(app(a).as_ref(), caller).unwrap());
            prop_assert_eq!(found, expected, "app {} caller {}", a, c);
        }
        for (e, external) in EXTERNAL_IDS.iter().enumerate() {
            let expected = model
                .iter()
                .find(|l| l.app == a && l.external == Some(e))
                .map(|l| l.call_id.clone());
            let found = tx
                .find_active_call_by_external_id(app(a).as_ref(), external)
                .unwrap()
                .map(|c| c.call_id.as_str().to_string());
            prop_assert_eq!(found, expected, "app {} external {}", a, external);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_lookups_answer_what_sql_answers(ops in proptest::collection::vec(op(), 1..32)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.db");
        let stores = [SqliteStore::open(&path).unwrap(), SqliteStore::open(&path).unwrap()];
        let mut model: Vec<Live> = Vec::new();
        let mut n = 0;
        for op in ops {
            match op {
                Op::Transaction { store, steps, check_inside, commit } => {
                    let mut tx = stores[store].begin().unwrap();
                    let mut seen = model.clone();
                    for step in steps {
                        n += 1;
                        apply(tx.as_mut(), &mut seen, step, n)?;
                    }
                    // The transaction reads its own writes.
                    if check_inside {
                        check(tx.as_mut(), &seen)?;
                    }
                    if commit {
                        tx.commit().unwrap();
                        model = seen;
                    }
                }
                Op::Unrelated { store } => {
                    let mut tx = stores[store].begin().unwrap();
                    n += 1;
                    tx.set_meta("unrelated", &n.to_string()).unwrap();
                    tx.commit().unwrap();
                }
                Op::Check { store } => {
                    check(stores[store].begin().unwrap().as_mut(), &model)?;
                    let mut outcome = Ok(());
                    stores[store]
                        .read_only(&mut |tx| {
                            outcome = check(tx, &model);
                            Ok(())
                        })
                        .unwrap();
                    outcome?;
                }
            }
        }
        // In the end both writers and both read connections see the committed calls.
        for store in &stores {
            check(store.begin().unwrap().as_mut(), &model)?;
        }
    }
}

/// Runs one step in `tx`, against `seen` (the calls live in that transaction); `n` numbers
/// a new call.
fn apply(
    tx: &mut dyn StoreTx,
    seen: &mut Vec<Live>,
    step: Step,
    n: usize,
) -> Result<(), TestCaseError> {
    match step {
        Step::Insert { app: a, caller, external } => {
            let new = call(n, a, caller, external);
            let taken =
                external.is_some_and(|e| seen.iter().any(|l| l.app == a && l.external == Some(e)));
            match tx.insert_active_call(&new) {
                Err(StoreError::Constraint(_)) => prop_assert!(taken, "refused: {new:?}"),
                Err(e) => return Err(TestCaseError::fail(e.to_string())),
                Ok(()) => {
                    prop_assert!(!taken, "an EXTERNAL_CALL_ID in use was taken again");
                    seen.push(Live {
                        call_id: new.call_id.as_str().into(),
                        app: a,
                        caller,
                        external,
                    });
                }
            }
        }
        Step::Delete { pick } => {
            if seen.is_empty() {
                return Ok(());
            }
            let index = pick % seen.len();
            let call_id = CallId::new(seen[index].call_id.clone());
            prop_assert!(tx.delete_active_call(&call_id).unwrap());
            prop_assert!(!tx.delete_active_call(&call_id).unwrap());
            prop_assert!(tx.active_call(&call_id).unwrap().is_none());
            seen.remove(index);
        }
        Step::SameCallId { pick } => {
            if seen.is_empty() {
                return Ok(());
            }
            let taken = seen[pick % seen.len()].call_id.clone();
            let again = ActiveCall { call_id: CallId::new(taken), ..call(n, 0, 0, None) };
            let refused = tx.insert_active_call(&again);
            prop_assert!(matches!(refused, Err(StoreError::Constraint(_))), "{:?}", refused);
        }
    }
    Ok(())
}

/// A caller's next call takes the `seq` after its latest live call, whichever store
/// registered that one.
#[test]
fn seq_follows_the_latest_call_of_either_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seq.db");
    let stores = [SqliteStore::open(&path).unwrap(), SqliteStore::open(&path).unwrap()];
    for n in 0..6 {
        let mut tx = stores[n % 2].begin().unwrap();
        tx.insert_active_call(&call(n, 0, 0, None)).unwrap();
        tx.commit().unwrap();
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let seqs: Vec<i64> = conn
        .prepare("SELECT seq FROM active_call ORDER BY call_id")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
}

/// A transaction that writes live calls before it first reads their lookups (another store
/// committed since its store last did), then reads them, then rolls back: what it read holds
/// its own writes, which are gone, so the store reads the lookups again.
#[test]
fn lookups_read_after_a_write_are_forgotten_on_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rollback.db");
    let (a, b) = (SqliteStore::open(&path).unwrap(), SqliteStore::open(&path).unwrap());
    let kept = call(1, 0, 0, Some(0));
    let mut tx = a.begin().unwrap();
    tx.insert_active_call(&kept).unwrap();
    tx.commit().unwrap();
    let mut tx = b.begin().unwrap();
    tx.set_meta("elsewhere", "1").unwrap();
    tx.commit().unwrap();
    let mut tx = a.begin().unwrap();
    assert!(tx.delete_active_call(&kept.call_id).unwrap());
    // The insert reads the lookups, the delete already in them.
    tx.insert_active_call(&call(2, 0, 0, Some(1))).unwrap();
    drop(tx);
    let mut tx = a.begin().unwrap();
    let found = tx.find_active_call_by_external_id(None, EXTERNAL_IDS[0]).unwrap();
    assert_eq!(found.map(|c| c.call_id), Some(kept.call_id.clone()));
    assert!(tx.find_active_call_by_external_id(None, EXTERNAL_IDS[1]).unwrap().is_none());
    assert_eq!(
        ids(tx.find_active_calls_by_caller(None, CALLERS[0]).unwrap()),
        [kept.call_id.as_str()]
    );
}
