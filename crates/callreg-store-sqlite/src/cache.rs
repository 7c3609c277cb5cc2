//! What the writer connection remembers between transactions: the users and the exclusion
//! list, which every registration reads and almost nothing writes, the id the next outbox
//! event gets, and the live calls' secondary lookups ([`crate::live`]).
//!
//! The cache is only ever used inside a transaction, and checked at its start: SQLite's
//! `PRAGMA data_version` changes when any other connection (another store on the file,
//! another process) has committed since, and the cache is then emptied. The store's own
//! writes to users and exclusions empty those maps too, and a transaction that wrote them
//! neither reads nor fills them until it ends (a rollback could otherwise leave data behind
//! that was never committed). The live calls' lookups are kept otherwise: a transaction
//! updates them with its own writes and takes those back unless it commits (see
//! [`crate::live`]). So a cached answer is always the one SQL would give in that
//! transaction.

use crate::live::LiveCalls;
use callreg_core::model::User;
use callreg_core::types::UserId;
use std::collections::HashMap;

/// How many entries one map may hold before it is emptied (numbers looked up by callers are
/// unbounded; the users of a portal are not).
const MAX_ENTRIES: usize = 4_096;

/// Answers of earlier transactions, valid for the `data_version` they were read under.
#[derive(Debug, Default)]
pub(crate) struct ReadCache {
    /// The connection's `PRAGMA data_version` when the maps were last known valid.
    data_version: Option<i64>,
    /// `user(id)`, misses included.
    pub(crate) users: HashMap<u64, Option<User>>,
    /// `find_users_by_inner_phone(inner)`.
    pub(crate) by_inner_phone: HashMap<String, Vec<UserId>>,
    /// `find_users_by_phone_key(key)`, by the key's storage form.
    pub(crate) by_phone_key: HashMap<String, Vec<UserId>>,
    /// `find_users_by_telephony_code(code)`.
    pub(crate) by_telephony_code: HashMap<String, Vec<UserId>>,
    /// `is_excluded(key)`, by the key's storage form.
    pub(crate) excluded: HashMap<String, bool>,
    /// The id the next event gets (`statements::NEXT_EVENT_ID`), as of the end of this
    /// connection's last transaction that wrote events. Only a write can change it, so it
    /// holds while the data version does; a transaction that rolls back forgets it.
    pub(crate) next_event_id: Option<i64>,
    /// The live calls' lookups, once read. Unlike the maps above, a transaction keeps them
    /// up to date with its own writes; one that changed them and does not commit makes the
    /// session forget them.
    pub(crate) live: Option<LiveCalls>,
}

impl ReadCache {
    /// Keeps the maps if `data_version` is the one they were read under, else empties them.
    pub(crate) fn validate(&mut self, data_version: i64) {
        if self.data_version != Some(data_version) {
            self.clear_users();
            self.clear_exclusions();
            self.next_event_id = None;
            self.live = None;
            self.data_version = Some(data_version);
        }
    }

    /// Forgets every user answer.
    pub(crate) fn clear_users(&mut self) {
        self.users.clear();
        self.by_inner_phone.clear();
        self.by_phone_key.clear();
        self.by_telephony_code.clear();
    }

    /// Forgets every exclusion answer.
    pub(crate) fn clear_exclusions(&mut self) {
        self.excluded.clear();
    }

    /// Forgets everything, including the version (the next transaction re-reads it).
    pub(crate) fn clear(&mut self) {
        self.clear_users();
        self.clear_exclusions();
        self.next_event_id = None;
        self.live = None;
        self.data_version = None;
    }
}

/// Stores `value` under `key`, emptying `map` first when it is full.
pub(crate) fn remember<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, value: V) {
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
    map.insert(key, value);
}
