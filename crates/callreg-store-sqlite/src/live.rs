//! The live calls' lookups, kept in memory by the writer connection instead of in SQL
//! indexes: a live call's row by its `CALL_ID` (schema 6), a live call by `(application,
//! EXTERNAL_CALL_ID)`, for the dedup of contract D4 and its uniqueness, and the live calls of
//! one caller in registration order (`seq`), for the dedup window and the next `seq`
//! (schema 5).
//!
//! An SQL index is one more B-tree page written, and logged, by every registration and every
//! finish; these maps cost a hash probe. Keyed by a row id one more than the largest (a
//! finished call's id may be taken again), a new live call lands on the table's last page,
//! where a key of random `CALL_ID`s put it on any page; a row is read or deleted by its id
//! and its `CALL_ID` together, so a map that went stale would find nothing rather than
//! another call. The maps hold a few words per live call: as many as there
//! are calls in progress, plus those a PBX never finished (which stay live, as in Bitrix24,
//! until finished).
//!
//! The maps are always what SQL would answer in the transaction that uses them:
//! - they are read from `active_call` the first time a transaction needs them;
//! - they live in the session's [`ReadCache`](crate::cache::ReadCache), which forgets them
//!   when `PRAGMA data_version` says that another connection (another store on the file,
//!   another process) has committed since;
//! - the store's own inserts and deletes change them right after their statement succeeds;
//! - a transaction that does not commit undoes its changes in them, or makes the session
//!   forget them when they were read after its first change (they then hold changes that
//!   are gone from the database), when SQLite ended the transaction itself, or when its
//!   `COMMIT` failed (which leaves uncertain what the database holds).

use crate::error::Result;
use rusqlite::Connection;
use std::collections::HashMap;

/// The key columns of one live call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LiveKeys {
    /// `CALL_ID`.
    pub(crate) call_id: String,
    /// The call's position among its caller's live calls.
    pub(crate) seq: i64,
    /// The application's key (`statements` stores no application as `''`).
    pub(crate) app_key: String,
    /// The caller's dedup key.
    pub(crate) caller_key: String,
    /// `EXTERNAL_CALL_ID`.
    pub(crate) external_call_id: Option<String>,
    /// The row's id in `active_call`.
    pub(crate) row: i64,
}

impl LiveKeys {
    /// The keys from a row of `call_id, seq, app_key, caller_key, external_call_id, id` (what
    /// `LIVE_CALL_KEYS` selects and `DELETE_ACTIVE_CALL` returns).
    pub(crate) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<LiveKeys> {
        Ok(LiveKeys {
            call_id: row.get(0)?,
            seq: row.get(1)?,
            app_key: row.get(2)?,
            caller_key: row.get(3)?,
            external_call_id: row.get(4)?,
            row: row.get(5)?,
        })
    }
}

/// Every live call's row, by its `CALL_ID`, and its `CALL_ID` by its two secondary keys.
#[derive(Debug, Default)]
pub(crate) struct LiveCalls {
    /// `CALL_ID` → the row's id.
    rows: HashMap<String, i64>,
    /// Application key → `EXTERNAL_CALL_ID` → `CALL_ID`.
    by_external_id: HashMap<String, HashMap<String, String>>,
    /// Application key → caller key → `(seq, CALL_ID)`, lowest `seq` first.
    by_caller: HashMap<String, HashMap<String, Vec<(i64, String)>>>,
}

impl LiveCalls {
    /// The maps of every live call in the database.
    pub(crate) fn load(conn: &Connection) -> Result<LiveCalls> {
        let mut select = conn.prepare_cached(crate::statements::LIVE_CALL_KEYS)?;
        let mut rows = select.query([])?;
        let mut live = LiveCalls::default();
        while let Some(row) = rows.next()? {
            live.insert(LiveKeys::from_row(row)?);
        }
        Ok(live)
    }

    /// The row of the live call with this `CALL_ID`.
    pub(crate) fn row_of(&self, call_id: &str) -> Option<i64> {
        self.rows.get(call_id).copied()
    }

    /// The live call of application `app_key` with this `EXTERNAL_CALL_ID`.
    pub(crate) fn by_external_id(&self, app_key: &str, external_call_id: &str) -> Option<&str> {
        self.by_external_id.get(app_key)?.get(external_call_id).map(String::as_str)
    }

    /// The `CALL_ID`s of the caller's live calls of application `app_key`, oldest
    /// registration (lowest `seq`) first.
    pub(crate) fn of_caller(&self, app_key: &str, caller_key: &str) -> &[(i64, String)] {
        self.by_caller
            .get(app_key)
            .and_then(|callers| callers.get(caller_key))
            .map_or(&[], Vec::as_slice)
    }

    /// The `seq` a new live call of this caller takes: one more than the caller's latest.
    pub(crate) fn next_seq(&self, app_key: &str, caller_key: &str) -> i64 {
        self.of_caller(app_key, caller_key).last().map_or(1, |(seq, _)| seq.saturating_add(1))
    }

    /// Adds a call just stored.
    pub(crate) fn insert(&mut self, call: LiveKeys) {
        self.rows.insert(call.call_id.clone(), call.row);
        if let Some(external) = call.external_call_id {
            self.by_external_id
                .entry(call.app_key.clone())
                .or_default()
                .insert(external, call.call_id.clone());
        }
        let calls =
            self.by_caller.entry(call.app_key).or_default().entry(call.caller_key).or_default();
        // Kept in `seq` order (a new call's `seq` is its caller's highest, so it goes last;
        // calls read from the table come in row order, which a migrated table need not keep).
        let at = calls.partition_point(|(seq, _)| *seq <= call.seq);
        calls.insert(at, (call.seq, call.call_id));
    }

    /// Removes a call just deleted.
    pub(crate) fn remove(&mut self, call: &LiveKeys) {
        self.rows.remove(&call.call_id);
        if let Some(external) = &call.external_call_id
            && let Some(ids) = self.by_external_id.get_mut(&call.app_key)
            && ids.get(external) == Some(&call.call_id)
        {
            ids.remove(external);
            if ids.is_empty() {
                self.by_external_id.remove(&call.app_key);
            }
        }
        if let Some(callers) = self.by_caller.get_mut(&call.app_key)
            && let Some(calls) = callers.get_mut(&call.caller_key)
        {
            calls.retain(|(_, id)| *id != call.call_id);
            if calls.is_empty() {
                callers.remove(&call.caller_key);
                if callers.is_empty() {
                    self.by_caller.remove(&call.app_key);
                }
            }
        }
    }

    /// How many live calls the maps hold (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_caller.values().flat_map(HashMap::values).map(Vec::len).sum()
    }
}

/// One change a transaction made to the maps.
#[derive(Debug)]
pub(crate) enum LiveChange {
    /// A call stored.
    Inserted(LiveKeys),
    /// A call deleted.
    Removed(LiveKeys),
}

/// What a transaction changed of the live calls, so that a rollback can take it back.
#[derive(Debug, Default)]
pub(crate) struct LiveUndo {
    /// The transaction wrote the live calls.
    pub(crate) changed: bool,
    /// The maps were read from the database after the transaction's first write.
    pub(crate) loaded_after_change: bool,
    /// The changes made to the maps, in order.
    pub(crate) applied: Vec<LiveChange>,
}

impl LiveUndo {
    /// Takes back, in `live`, the changes of a transaction that did not commit.
    pub(crate) fn undo(self, live: &mut Option<LiveCalls>) {
        if !self.changed {
            return;
        }
        if self.loaded_after_change {
            *live = None;
            return;
        }
        let Some(maps) = live.as_mut() else { return };
        for change in self.applied.into_iter().rev() {
            match change {
                LiveChange::Inserted(keys) => maps.remove(&keys),
                LiveChange::Removed(keys) => maps.insert(keys),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// A live call whose row id is the first byte of its `CALL_ID`.
    fn call(call_id: &str, seq: i64, app: &str, caller: &str, external: Option<&str>) -> LiveKeys {
        LiveKeys {
            call_id: call_id.into(),
            seq,
            app_key: app.into(),
            caller_key: caller.into(),
            external_call_id: external.map(Into::into),
            row: call_id.bytes().next().map_or(0, i64::from),
        }
    }

    #[test]
    fn calls_are_found_by_both_keys_until_removed() {
        let mut live = LiveCalls::default();
        assert_eq!(live.next_seq("", "+1"), 1);
        let a = call("a", 1, "", "+1", Some("x"));
        let b = call("b", 2, "", "+1", None);
        let c = call("c", 1, "app", "+1", Some("x"));
        for keys in [&a, &b, &c] {
            live.insert(keys.clone());
        }
        assert_eq!(live.by_external_id("", "x"), Some("a"));
        assert_eq!(live.by_external_id("app", "x"), Some("c"));
        assert_eq!(live.by_external_id("other", "x"), None);
        assert_eq!(
            (live.row_of("a"), live.row_of("c"), live.row_of("d")),
            (Some(97), Some(99), None)
        );
        assert_eq!(live.of_caller("", "+1"), &[(1, "a".to_string()), (2, "b".to_string())]);
        assert_eq!(live.next_seq("", "+1"), 3);
        assert_eq!(live.next_seq("app", "+1"), 2);
        live.remove(&a);
        assert_eq!(live.row_of("a"), None);
        assert_eq!(live.by_external_id("", "x"), None);
        assert_eq!(live.of_caller("", "+1"), &[(2, "b".to_string())]);
        assert_eq!(live.next_seq("", "+1"), 3);
        live.remove(&b);
        live.remove(&c);
        assert_eq!(live.len(), 0);
        assert!(live.by_external_id.is_empty() && live.by_caller.is_empty());
        assert!(live.rows.is_empty());
    }

    #[test]
    fn undo_takes_back_a_transaction_s_changes_in_reverse() {
        let mut live = LiveCalls::default();
        let a = call("a", 1, "", "+1", Some("x"));
        live.insert(a.clone());
        // A transaction deletes `a`, then stores `b` with the same external id.
        let b = call("b", 1, "", "+1", Some("x"));
        live.remove(&a);
        live.insert(b.clone());
        let undo = LiveUndo {
            changed: true,
            loaded_after_change: false,
            applied: vec![LiveChange::Removed(a), LiveChange::Inserted(b)],
        };
        let mut maps = Some(live);
        undo.undo(&mut maps);
        let live = maps.unwrap();
        assert_eq!(live.by_external_id("", "x"), Some("a"));
        assert_eq!(live.of_caller("", "+1"), &[(1, "a".to_string())]);
        assert_eq!(live.row_of("a"), Some(97));
        assert_eq!(live.row_of("b"), None);
        // Maps read after the transaction's first change are forgotten instead.
        let mut maps = Some(live);
        LiveUndo { changed: true, loaded_after_change: true, applied: vec![] }.undo(&mut maps);
        assert!(maps.is_none());
    }

    #[test]
    fn removing_a_call_leaves_another_calls_external_id() {
        let mut live = LiveCalls::default();
        live.insert(call("a", 1, "", "+1", Some("x")));
        // Not the call that holds "x": the entry stays.
        live.remove(&call("z", 5, "", "+1", Some("x")));
        assert_eq!(live.by_external_id("", "x"), Some("a"));
        assert_eq!(live.len(), 1);
    }
}
