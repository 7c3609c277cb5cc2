//! The floors (what the hardware and SQLite cost at the least for the same question) and the
//! naive baseline, each built from the same phone book as the store it is compared with.

use crate::data::{Entry, PhoneBook};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashMap;
use std::path::Path;

/// The floor of a memory lookup: a bare `HashMap<u64, u64>` (E.164 number to contact id) of
/// the same size, probed with numbers already normalized.
#[derive(Debug)]
pub struct HashMapFloor {
    map: HashMap<u64, u64>,
}

impl HashMapFloor {
    /// The map of a book.
    pub fn new(book: &PhoneBook) -> Self {
        let map = book.entries.iter().enumerate().map(|(i, e)| (e.e164, i as u64 + 1)).collect();
        HashMapFloor { map }
    }

    /// One probe.
    pub fn probe(&self, number: u64) -> Option<u64> {
        self.map.get(&number).copied()
    }
}

/// Opens a database with the settings of `callreg-store-sqlite`: WAL, `synchronous=NORMAL`,
/// the same page cache, and the query planner's stability guarantee (without it, a statement
/// whose plan could depend on a bound value is prepared again at every new value once
/// `ANALYZE` has run, which would triple a point `SELECT`).
pub fn open_like_the_store(path: &Path) -> Connection {
    let conn = Connection::open(path).expect("database");
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .expect("planner stability");
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
        .expect("WAL");
    conn.pragma_update(None, "synchronous", "NORMAL").expect("synchronous");
    let cache: i64 = callreg_store_sqlite::PAGE_CACHE_KIB;
    conn.pragma_update(None, "cache_size", -cache).expect("cache size");
    conn
}

/// Creates a table (`create`), fills it with `rows` through `insert` in one transaction,
/// then indexes it (`index`) and has SQLite gather its statistics.
fn load_indexed<P: rusqlite::Params>(
    conn: &Connection,
    create: &str,
    insert: &str,
    rows: impl Iterator<Item = P>,
    index: &str,
) {
    conn.execute_batch(&format!("{create}; BEGIN")).expect("table");
    {
        let mut insert = conn.prepare(insert).expect("insert");
        for row in rows {
            insert.execute(row).expect("row");
        }
    }
    conn.execute_batch(&format!("{index}; COMMIT; ANALYZE")).expect("index");
}

/// The floor of a SQLite lookup: a one-column table of the book's E.164 keys with an index,
/// probed by a point `SELECT` (a prepared, cached statement, in autocommit).
#[derive(Debug)]
pub struct SqliteFloor {
    conn: Connection,
}

impl SqliteFloor {
    /// The table of a book, in a new database at `path`.
    pub fn new(book: &PhoneBook, path: &Path) -> Self {
        let conn = open_like_the_store(path);
        load_indexed(
            &conn,
            "CREATE TABLE phone (key TEXT NOT NULL) STRICT",
            "INSERT INTO phone (key) VALUES (?1)",
            book.entries.iter().map(|entry| [entry.e164_text()]),
            "CREATE INDEX phone_by_key ON phone (key)",
        );
        SqliteFloor { conn }
    }

    /// One point `SELECT` of a key (`+74951234567`).
    pub fn probe(&self, key: &str) -> Option<i64> {
        let mut select =
            self.conn.prepare_cached("SELECT rowid FROM phone WHERE key = ?1").expect("select");
        select.query_row([key], |row| row.get(0)).optional().expect("probe")
    }
}

/// The naive lookup many CRMs ship: `LIKE '%<last 10 digits>'` over a text column of digits.
#[derive(Debug)]
pub struct LikeBaseline {
    conn: Connection,
}

impl LikeBaseline {
    /// The table of a book: each number's digits as typed (`84951234567`, `4930...`).
    pub fn new(book: &PhoneBook, path: &Path) -> Self {
        let conn = open_like_the_store(path);
        conn.execute_batch(
            "CREATE TABLE contact_phone (contact_id INTEGER NOT NULL, phone TEXT NOT NULL) \
             STRICT; BEGIN",
        )
        .expect("table");
        {
            let mut insert = conn
                .prepare("INSERT INTO contact_phone (contact_id, phone) VALUES (?1, ?2)")
                .expect("insert");
            for (i, entry) in book.entries.iter().enumerate() {
                let digits: String = entry.stored.chars().filter(char::is_ascii_digit).collect();
                insert.execute(params![i as i64 + 1, digits]).expect("row");
            }
        }
        conn.execute_batch("COMMIT").expect("commit");
        LikeBaseline { conn }
    }

    /// The owner of a raw number by its last 10 digits (all of them when fewer).
    pub fn lookup(&self, raw: &str) -> Option<i64> {
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        let tail = &digits[digits.len().saturating_sub(10)..];
        let mut select = self
            .conn
            .prepare_cached("SELECT contact_id FROM contact_phone WHERE phone LIKE ?1 LIMIT 1")
            .expect("select");
        select.query_row([format!("%{tail}")], |row| row.get(0)).optional().expect("lookup")
    }
}

/// The floor of a durable registration: one single-row `INSERT` committed on its own, in a
/// database with the store's settings.
#[derive(Debug)]
pub struct BareCommit {
    conn: Connection,
    next: i64,
}

impl BareCommit {
    /// A new database at `path` with one table, the page cache of the store's write
    /// connection, and SQLite's own checkpoints (run by the committing connection every
    /// 1,000 pages of log).
    pub fn new(path: &Path) -> Self {
        let conn = open_like_the_store(path);
        let cache: i64 = callreg_store_sqlite::WRITER_PAGE_CACHE_KIB;
        conn.pragma_update(None, "cache_size", -cache).expect("cache size");
        conn.execute_batch(
            "CREATE TABLE call (id INTEGER PRIMARY KEY, number TEXT NOT NULL) STRICT",
        )
        .expect("table");
        BareCommit { conn, next: 0 }
    }

    /// The same, with checkpoints off: the log only grows (for the length of a measurement).
    /// The cost of a commit alone, with no share of any checkpoint.
    pub fn without_checkpoints(path: &Path) -> Self {
        let bare = BareCommit::new(path);
        bare.conn.pragma_update(None, "wal_autocheckpoint", 0).expect("no checkpoints");
        bare
    }

    /// One transaction of one `INSERT`.
    pub fn commit_one(&mut self, number: &Entry) {
        self.next += 1;
        self.conn.prepare_cached("BEGIN IMMEDIATE").expect("begin").execute([]).expect("begin");
        self.conn
            .prepare_cached("INSERT INTO call (id, number) VALUES (?1, ?2)")
            .expect("insert")
            .execute(params![self.next, number.called])
            .expect("row");
        self.conn.prepare_cached("COMMIT").expect("commit").execute([]).expect("commit");
    }
}

/// The least a durable registration could cost on SQLite, whatever the schema: one
/// transaction that checks the data version (what any cache of the database needs), finds the
/// caller's owner and its deals by two indexed point reads, and appends the call with its
/// three events as one row, so that it writes a single B-tree page (two when the table's last
/// page fills). No dedup probe, no id lookup, no engine work: only the store's
/// inevitable part of a registration, in the store's settings (the write connection's page
/// cache, checkpoints on the store's thread).
#[derive(Debug)]
pub struct IdealRegistration {
    conn: Connection,
    _checkpoints: callreg_store_sqlite::Checkpointer,
    next_id: i64,
    call: String,
}

impl IdealRegistration {
    /// The phones of `book` (E.164 text, indexed), an empty deal table (indexed by owner) and
    /// the append-only table, in a new database at `path` with the write connection's page
    /// cache. `call` is the row each registration appends: the stored form of a call and its
    /// events.
    pub fn new(book: &PhoneBook, path: &Path, call: String) -> Self {
        let mut conn = open_like_the_store(path);
        let cache: i64 = callreg_store_sqlite::WRITER_PAGE_CACHE_KIB;
        conn.pragma_update(None, "cache_size", -cache).expect("cache size");
        let checkpoints =
            callreg_store_sqlite::Checkpointer::start(path, &mut conn).expect("checkpoints");
        conn.execute_batch(
            "CREATE TABLE deal (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL) STRICT;
             CREATE INDEX deal_by_owner ON deal (owner);
             CREATE TABLE journal (id INTEGER PRIMARY KEY, data TEXT NOT NULL) STRICT",
        )
        .expect("tables");
        load_indexed(
            &conn,
            "CREATE TABLE phone (key TEXT NOT NULL, owner INTEGER NOT NULL) STRICT",
            "INSERT INTO phone (key, owner) VALUES (?1, ?2)",
            book.entries.iter().enumerate().map(|(i, entry)| (entry.e164_text(), i as i64 + 1)),
            "CREATE INDEX phone_by_key ON phone (key)",
        );
        IdealRegistration { conn, _checkpoints: checkpoints, next_id: 0, call }
    }

    /// One registration of a call from `entry` (its E.164 form, as if already normalized).
    pub fn register(&mut self, entry: &Entry) {
        let conn = &self.conn;
        conn.prepare_cached("BEGIN IMMEDIATE").expect("begin").execute([]).expect("begin");
        let _version: i64 = conn
            .prepare_cached("PRAGMA data_version")
            .expect("pragma")
            .query_row([], |row| row.get(0))
            .expect("data version");
        let owner: Option<i64> = conn
            .prepare_cached("SELECT owner FROM phone WHERE key = ?1")
            .expect("select")
            .query_row([entry.e164_text()], |row| row.get(0))
            .optional()
            .expect("owner");
        let mut deals = conn.prepare_cached("SELECT id FROM deal WHERE owner = ?1").expect("deals");
        let deal_count =
            deals.query_map([owner], |row| row.get::<_, i64>(0)).expect("deals").count();
        std::hint::black_box(deal_count);
        self.next_id += 1;
        conn.prepare_cached("INSERT INTO journal (id, data) VALUES (?1, ?2)")
            .expect("insert")
            .execute(params![self.next_id, self.call])
            .expect("row");
        conn.prepare_cached("COMMIT").expect("commit").execute([]).expect("commit");
    }
}

/// The newest live call of the store at `path`: its columns joined by `|`, the events its
/// registration queued (kept in its row) included.
pub fn last_registration(path: &Path) -> String {
    let conn = Connection::open(path).expect("database");
    conn.query_row(
        "SELECT concat_ws('|', call_id, seq, app_key, user_id, caller_id, caller_key, \
         call_type, start_date, registered_at, portal_user_id, line_id, portal_number, \
         external_call_id, created_lead, entities, events_from, events_to, events) \
         FROM active_call WHERE events IS NOT NULL ORDER BY id DESC LIMIT 1",
        [],
        |row| row.get(0),
    )
    .expect("a live call that keeps its events")
}

/// The national number of a book entry, reversed (what tier 3 indexes).
fn reversed_national(entry: &Entry) -> Option<String> {
    let key = callreg_core::phone::PhoneKey::E164(callreg_core::phone::E164::from_u64(entry.e164)?);
    callreg_core::matching::national_suffix_index_key(&key)
}

/// The floor of a tier-3 memory lookup: a bare `BTreeMap<String, u64>` of reversed national
/// numbers, probed by one range of a reversed suffix.
#[derive(Debug)]
pub struct BTreeFloor {
    map: std::collections::BTreeMap<String, u64>,
}

impl BTreeFloor {
    /// The map of a book.
    pub fn new(book: &PhoneBook) -> Self {
        let map = book
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((reversed_national(e)?, i as u64 + 1)))
            .collect();
        BTreeFloor { map }
    }

    /// The first owner whose reversed national number starts with `reversed_suffix`.
    pub fn probe(&self, reversed_suffix: &str) -> Option<u64> {
        let upper = format!("{reversed_suffix}:");
        self.map.range(reversed_suffix.to_string()..upper).next().map(|(_, id)| *id)
    }
}

/// The floor of a tier-3 SQLite lookup: a one-column table of reversed national numbers with
/// an index, probed by one range `SELECT`.
#[derive(Debug)]
pub struct SqliteRangeFloor {
    conn: Connection,
}

impl SqliteRangeFloor {
    /// The table of a book, in a new database at `path`.
    pub fn new(book: &PhoneBook, path: &Path) -> Self {
        let conn = open_like_the_store(path);
        load_indexed(
            &conn,
            "CREATE TABLE phone (rev TEXT NOT NULL) STRICT",
            "INSERT INTO phone (rev) VALUES (?1)",
            book.entries.iter().filter_map(reversed_national).map(|rev| [rev]),
            "CREATE INDEX phone_by_rev ON phone (rev)",
        );
        SqliteRangeFloor { conn }
    }

    /// The first row whose text starts with `reversed_suffix`.
    pub fn probe(&self, reversed_suffix: &str) -> Option<i64> {
        let mut select = self
            .conn
            .prepare_cached("SELECT rowid FROM phone WHERE rev >= ?1 AND rev < ?2 LIMIT 1")
            .expect("select");
        select
            .query_row(params![reversed_suffix, format!("{reversed_suffix}:")], |row| row.get(0))
            .optional()
            .expect("probe")
    }
}

/// The reversed last 10 national digits of a raw number's digits (what the suffix floors
/// are probed with).
pub fn reversed_tail(raw: &str, digits: usize) -> String {
    let all: String = raw.chars().filter(char::is_ascii_digit).collect();
    all.chars().rev().take(digits).collect()
}
