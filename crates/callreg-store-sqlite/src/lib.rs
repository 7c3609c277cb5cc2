//! A SQLite [`CrmStore`] (through rusqlite, SQLite bundled): one database file per portal.
//!
//! ```
//! use callreg_core::{Auth, Engine, EngineConfig, RegisterRequest};
//! use callreg_store_sqlite::SqliteStore;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("portal.db");
//! // Creates the file and its schema when missing; upgrades an older schema.
//! let store = SqliteStore::open(&path)?;
//! let engine = Engine::new(store, EngineConfig::default())?;
//! let call = engine.register(
//!     &Auth::webhook(1),
//!     &RegisterRequest::incoming(1, "+7 495 123-45-67").crm_create(true),
//! )?;
//! assert!(call.created_lead.is_some());
//! # Ok(()) }
//! ```
//!
//! # Durability
//!
//! The database runs in WAL mode with `synchronous=NORMAL`. A transaction the engine has
//! committed (a command that returned `Ok`) survives a crash of the process, however abrupt
//! (`SIGKILL` included): the next open finds every committed command and no trace of the
//! one that was running. After a crash of the operating system or a power loss, the last
//! few committed transactions may be rolled back (WAL frames not yet synced to disk), but
//! the database is never corrupt and never holds half a command. Where losing even those is
//! unacceptable, the cost is an fsync per command (`synchronous=FULL`), which this adapter
//! does not do.
//!
//! # Concurrency
//!
//! A file [`SqliteStore`] has a write connection, behind a mutex, and a read connection.
//! [`CrmStore::begin`] locks the first and runs `BEGIN IMMEDIATE`, which takes SQLite's write
//! lock on the file at once; the transaction keeps both until it commits or is dropped (rolled
//! back). So transactions are serialized between the threads sharing one store *and* between
//! stores (in this or other processes) opened on the same file, which is what makes the
//! engine's read-then-write commands race-free. A writer waits for the lock up to a busy
//! timeout of 5 seconds, and `BEGIN IMMEDIATE` is retried a few more times with backoff after
//! that, so contention shows as latency; only a lock held for tens of seconds surfaces as
//! [`StoreError::Busy`]. [`CrmStore::read_only`] runs on the read connection (`query_only`),
//! in a deferred transaction: a snapshot of the last commit that never waits for a writer.
//!
//! Share one store (or the engine over it) between the threads of a process: a second store
//! on the same file works, but contends on the file lock instead of the cheaper mutex, and
//! after each commit of the other, a store reads its maps of the live calls again (below).
//!
//! # What the store keeps in memory
//!
//! * The write connection caches users and the exclusion list (every registration reads
//!   them), and the id the next outbox event gets. At the start of every transaction the
//!   cache is checked against SQLite's `PRAGMA data_version`, which changes when any other
//!   connection has committed, so another store's writes are seen at once; the store's own
//!   writes to those tables empty it, and a rolled-back transaction goes back to the next id
//!   it found (read again after a failed `COMMIT`, whose outcome is not certain).
//! * The events a registration queues are written in its live call's row (schema 8), not
//!   appended to the outbox's table: one row, and so one page, per registration. The outbox's
//!   listings merge them in by id; claiming one moves all of the call's events to the outbox's
//!   table, deleting all of them clears them from the row, and they move there when the
//!   call ends.
//! * It also keeps the live calls' lookups by `EXTERNAL_CALL_ID` and by caller, which the
//!   dedup of every registration asks, in memory instead of SQL indexes (schema 5): an index
//!   would be one more page written by every registration and every finish. So is a live
//!   call's row by its `CALL_ID` (schema 6): the table is keyed by a row id one more than the
//!   largest, so that a new call lands on its last page, where the random
//!   `CALL_ID`s of contract D11 put each on any page. The maps are read from
//!   the live calls when a transaction first needs them and again after another connection
//!   has committed (the same data-version check), and kept up to date by the store's own
//!   inserts and deletes; a transaction that does not commit takes its changes back (or,
//!   when SQLite ended it or its `COMMIT` failed, makes the store read them again). The
//!   uniqueness of `CALL_ID`, and of `EXTERNAL_CALL_ID` per application, is checked against
//!   them, so every process writing the file must run a build with schema 6. Reading them
//!   costs about 0.7 µs per live call. The read connection has no such maps: its lookups of live calls
//!   (inspection; the engine's registration and finish run on the writer) scan them.
//! * After a write transaction rolls back, SQLite has dropped from its page cache every page
//!   the transaction wrote; the store reads back the id counters and the last pages of the
//!   tables whose new rows go at the end (records, events, statistics), so that the next
//!   command does not read them from the file.
//! * Its page cache is [`WRITER_PAGE_CACHE_KIB`]; the read connection's, [`PAGE_CACHE_KIB`].
//! * A thread with its own connection checkpoints the write-ahead log in the background (see
//!   [`CHECKPOINT_FRAMES`], [`WRITER_CHECKPOINT_FRAMES`] and [`MAX_LOG_FRAMES`]); dropping the
//!   store stops it.
//! * [`CrmStore::warm_up`] (run by `Engine::new`) prepares every statement on both
//!   connections and reads a database that fits the write connection's page cache into it,
//!   by `PRAGMA quick_check`: damage that check finds fails `Engine::new` with
//!   [`StoreError::Corrupt`] instead of surfacing in a later command.
//!
//! # Schema
//!
//! Numbered migrations (`migrations/0001_initial.sql`, ...) are applied in order, in one
//! transaction, when a store is opened; the version is kept in `PRAGMA user_version`. A
//! database written by a newer build is refused with [`StoreError::NewerSchema`] and left
//! untouched. Every table is `STRICT`, foreign keys are enforced, and every lookup of the
//! engine is an index probe or, for the live calls, a probe of the write connection's maps.

mod cache;
mod checkpoint;
mod codec;
mod error;
mod live;
mod rows;
mod schema;
mod statements;
mod tx;

pub use checkpoint::{CHECKPOINT_FRAMES, Checkpointer, MAX_LOG_FRAMES, WRITER_CHECKPOINT_FRAMES};
pub use schema::SCHEMA_VERSION;

use crate::cache::ReadCache;
use crate::error::{SqliteError, is_busy};
use crate::tx::{SqliteTx, run};
use callreg_core::store::{CrmStore, StoreError, StoreResult, StoreTx};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// The page cache of the read connection, in KiB (SQLite's default is 2 MiB): enough for
/// the phone indexes of a million phones, so that lookups stay in memory as the CRM grows.
pub const PAGE_CACHE_KIB: i64 = 64 * 1024;

/// The page cache of the write connection, in KiB. Smaller than the reader's: when a commit
/// follows a B-tree rebalance that swapped two pages (through a temporary page number past the
/// end of the file), SQLite walks its whole page-cache hash table to drop that number, a walk
/// as long as the cache is large. With 64 MiB it cost registrations more than the misses
/// of a small cache do (those are reads from the operating system's cache of the file).
pub const WRITER_PAGE_CACHE_KIB: i64 = 4 * 1024;

/// How long SQLite itself waits for another connection's lock before reporting busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How many more times `BEGIN IMMEDIATE` is tried after SQLite reported busy.
const BUSY_RETRIES: u32 = 6;
/// The first pause between those tries; it doubles each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(10);

/// A CRM store in a SQLite database. Cheap to share between threads (`&SqliteStore` or an
/// `Arc`); see the [crate docs](crate) for durability and concurrency.
#[derive(Debug)]
pub struct SqliteStore {
    /// The connection every write transaction runs on, with its cache of users and
    /// exclusions.
    writer: Mutex<Session>,
    /// A second connection for read-only transactions of a file store, so that a reader in
    /// this process never waits for a writer (WAL readers see the last committed state).
    /// Without a cache: every commit of the writer would empty it. `None` in memory, where
    /// reads use the writer's connection.
    reader: Option<Mutex<Session>>,
    /// The thread that checkpoints a file store's write-ahead log; `None` in memory. Dropped
    /// (stopped and joined) before the temporary directory below.
    #[allow(dead_code)] // held for its `Drop`
    checkpointer: Option<Checkpointer>,
    /// The database file; `None` in memory.
    path: Option<PathBuf>,
    /// The directory of a temporary store, deleted on drop (after the connection closes:
    /// fields drop in order).
    temp_dir: Option<tempfile::TempDir>,
}

impl SqliteStore {
    /// Opens the database at `path`, creating the file and its schema when missing and
    /// applying the migrations an older file lacks.
    ///
    /// # Errors
    /// [`StoreError::NewerSchema`] for a file written by a newer build (the file is not
    /// modified), [`StoreError::Corrupt`] for a file that is not a SQLite database,
    /// [`StoreError::Io`] when the file cannot be opened or created.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let given = path.as_ref();
        let path = &file_path(given);
        let mut conn = open_connection(path)?;
        let reader = open_reader(path)?;
        let checkpointer = Some(Checkpointer::start(path, &mut conn)?);
        Ok(SqliteStore {
            writer: Mutex::new(Session::cached(conn)),
            reader: Some(Mutex::new(Session { conn: reader, cache: None })),
            checkpointer,
            path: Some(given.to_path_buf()),
            temp_dir: None,
        })
    }

    /// Opens an existing database for reading only, as inspection tools need: no file is
    /// created, nothing is migrated or written, and no write lock is ever taken (in WAL mode
    /// readers do not wait for writers). [`CrmStore::read_only`] works; [`CrmStore::begin`]
    /// fails.
    ///
    /// # Errors
    /// [`StoreError::Io`] when the file cannot be opened, [`StoreError::Corrupt`] for a file
    /// that is not a SQLite database, [`StoreError::NewerSchema`] for a file of a newer build,
    /// and [`StoreError::Other`] for a file without the schema (an empty file) or with an older
    /// one (opening it with [`SqliteStore::open`] migrates it).
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let given = path.as_ref();
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(file_path(given), flags).map_err(SqliteError::from)?;
        configure_reader(&conn)?;
        let version = schema::stored_version(&conn)?;
        schema::check_not_newer(version)?;
        if version == 0 {
            return Err(StoreError::other("the file holds no callreg database yet"));
        }
        if version < schema::SCHEMA_VERSION {
            return Err(StoreError::other(format!(
                "the database has schema {version}, this build reads {}: a command that writes \
                 (exec, import) upgrades it",
                schema::SCHEMA_VERSION
            )));
        }
        Ok(SqliteStore {
            writer: Mutex::new(Session { conn, cache: None }),
            reader: None,
            checkpointer: None,
            path: Some(given.to_path_buf()),
            temp_dir: None,
        })
    }

    /// A store in memory, gone when dropped. Same schema and behaviour as a file, without
    /// the durability.
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_in_memory().map_err(SqliteError::from)?;
        configure(&conn)?;
        Ok(SqliteStore {
            writer: Mutex::new(Session::cached(conn)),
            reader: None,
            checkpointer: None,
            path: None,
            temp_dir: None,
        })
    }

    /// A new, empty store in a file of a fresh temporary directory; the directory is deleted
    /// when the store is dropped. For tests that must run against a real file.
    pub fn open_temporary() -> Result<SqliteStore, StoreError> {
        let dir = tempfile::Builder::new()
            .prefix("callreg-sqlite-")
            .tempdir()
            .map_err(SqliteError::TempDir)?;
        let mut store = SqliteStore::open(dir.path().join("callreg.db"))?;
        store.temp_dir = Some(dir);
        Ok(store)
    }

    /// The database file, `None` for a store in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The writer connection, locked. A panic while it was held has already rolled its
    /// transaction back (in the transaction's `Drop`), so a poisoned lock is safe to use.
    fn lock(&self) -> std::sync::MutexGuard<'_, Session> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the locked connection outside any transaction (for tests).
    #[cfg(test)]
    pub(crate) fn with_connection<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        f(&self.lock().conn)
    }
}

/// A connection and what it remembers between transactions.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) conn: Connection,
    /// `None` for a connection whose reads are not cached.
    pub(crate) cache: Option<ReadCache>,
}

impl Session {
    fn cached(conn: Connection) -> Session {
        Session { conn, cache: Some(ReadCache::default()) }
    }

    /// Checks the cache (if any) against the database's `data_version`, inside a
    /// transaction that has just begun; empties the whole cache when that fails.
    pub(crate) fn validate_cache(&mut self) -> Result<(), SqliteError> {
        let Some(cache) = self.cache.as_mut() else { return Ok(()) };
        let version = self
            .conn
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut pragma| pragma.query_row([], |row| row.get::<_, i64>(0)));
        match version {
            Ok(version) => {
                cache.validate(version);
                Ok(())
            }
            Err(e) => {
                cache.clear();
                Err(e.into())
            }
        }
    }
}

impl CrmStore for SqliteStore {
    fn begin(&self) -> StoreResult<Box<dyn StoreTx + '_>> {
        let mut session = self.lock();
        if session.conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(StoreError::other("the store was opened read-only"));
        }
        if !session.conn.is_autocommit() {
            // A transaction whose ROLLBACK failed in `Drop`: finish rolling it back.
            run(&session.conn, "ROLLBACK").map_err(SqliteError::from)?;
        }
        begin_immediate(&session.conn)?;
        if let Err(e) = session.validate_cache() {
            let _ = run(&session.conn, "ROLLBACK");
            return Err(e.into());
        }
        Ok(Box::new(SqliteTx::new(session)))
    }

    fn read_only(
        &self,
        read: &mut dyn FnMut(&mut dyn StoreTx) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let session = match &self.reader {
            Some(reader) => reader.lock().unwrap_or_else(PoisonError::into_inner),
            None => self.lock(),
        };
        if !session.conn.is_autocommit() {
            run(&session.conn, "ROLLBACK").map_err(SqliteError::from)?;
        }
        // A deferred transaction: a read snapshot, without the file's write lock (readers do
        // not wait for writers in WAL mode). Rolled back when the transaction drops.
        run(&session.conn, "BEGIN").map_err(SqliteError::from)?;
        let mut tx = SqliteTx::new(session);
        tx.validate_cache()?;
        read(&mut tx)
    }

    /// Prepares every statement on both connections, and reads every page of a database
    /// that fits the writer's page cache into it (by `PRAGMA quick_check`, which walks every
    /// B-tree), so that the first commands after opening cost what later ones do. A larger
    /// database is left to be read as it is used: it could not stay in the cache anyway.
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`] with the check's findings when `quick_check` finds the small
    /// database damaged (damage in a larger one is reported by the commands that meet it).
    fn warm_up(&self) -> StoreResult<()> {
        if let Some(reader) = &self.reader {
            prepare_all(&reader.lock().unwrap_or_else(PoisonError::into_inner).conn);
        }
        let session = self.lock();
        let conn = &session.conn;
        prepare_all(conn);
        let fits = conn
            .pragma_query_value(None, "page_count", |row| row.get::<_, i64>(0))
            .and_then(|pages| {
                let size: i64 = conn.pragma_query_value(None, "page_size", |row| row.get(0))?;
                Ok(pages.saturating_mul(size) <= WRITER_PAGE_CACHE_KIB * 1024)
            });
        if matches!(fits, Ok(true)) && conn.is_autocommit() {
            quick_check(conn)?;
        }
        Ok(())
    }
}

/// `PRAGMA quick_check`'s verdict: [`StoreError::Corrupt`] with its findings unless it says
/// `ok`. A failure to run it that is not damage (the file locked, say) is left to the
/// commands.
fn quick_check(conn: &Connection) -> StoreResult<()> {
    let findings = conn.prepare("PRAGMA quick_check").and_then(|mut check| {
        check.query_map([], |row| row.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()
    });
    match findings {
        Ok(lines) if lines.iter().all(|line| line == "ok") => Ok(()),
        Ok(lines) => Err(StoreError::Corrupt(
            format!("the database failed its integrity check: {}", lines.join("; ")).into(),
        )),
        Err(error) => match StoreError::from(SqliteError::from(error)) {
            corrupt @ StoreError::Corrupt(_) => Err(corrupt),
            _ => Ok(()),
        },
    }
}

/// Prepares every statement of the adapter into `conn`'s statement cache (errors are left
/// for the commands to report).
fn prepare_all(conn: &Connection) {
    let sizes = 2..=statements::MAX_EVENTS_AT_ONCE;
    let fixed = statements::ALL.iter().chain(statements::APPEND_POINTS).copied();
    for statement in fixed.chain(sizes.map(statements::insert_events)) {
        let _ = conn.prepare_cached(statement);
    }
}

/// `path` as SQLite must be given it to open that very file: a relative path gets a leading
/// `./`, so that `:memory:` or `file:x?mode=memory` name files, not a database in memory
/// (whose data would be lost without a word) or a URI.
fn file_path(path: &Path) -> PathBuf {
    if path.is_relative() { Path::new(".").join(path) } else { path.to_path_buf() }
}

/// Opens and prepares a file database: refuses a newer schema before anything is written,
/// then sets the connection up and migrates.
fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(SqliteError::from)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(SqliteError::from)?;
    // Reading the version writes nothing, so a newer file is refused untouched (switching
    // it to WAL below would rewrite its header).
    schema::check_not_newer(schema::stored_version(&conn)?)?;
    // WAL is a property of the file, set once and outside any transaction.
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .map_err(SqliteError::from)?;
    if !mode.eq_ignore_ascii_case("wal") {
        let now = retry_busy(|| {
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
                .map_err(SqliteError::from)
        })?;
        // SQLite keeps the old mode, without an error, where WAL cannot work (a file system
        // without shared memory, a VFS without it): the store's promises need WAL.
        if !now.eq_ignore_ascii_case("wal") {
            return Err(StoreError::other(format!(
                "the database cannot be switched to WAL (its journal mode stays {now})"
            )));
        }
    }
    configure(&conn)?;
    Ok(conn)
}

/// The read connection of a file store, opened after the writer has migrated the schema:
/// the same settings, and `query_only` so that nothing can write through it.
fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(SqliteError::from)?;
    configure_reader(&conn)?;
    Ok(conn)
}

/// The settings of a connection that only reads: the busy timeout, the page cache,
/// `query_only`, the planner's stability guarantee, the statement cache.
fn configure_reader(conn: &Connection) -> Result<(), StoreError> {
    let setup = || -> Result<(), SqliteError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "cache_size", -PAGE_CACHE_KIB)?;
        conn.pragma_update(None, "query_only", true)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        conn.set_prepared_statement_cache_capacity(statements::CACHE_CAPACITY);
        Ok(())
    };
    Ok(setup()?)
}

/// Per-connection settings, then the schema.
fn configure(conn: &Connection) -> Result<(), StoreError> {
    let setup = || -> Result<(), SqliteError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "cache_size", -WRITER_PAGE_CACHE_KIB)?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // Query-planner stability: a cached statement keeps its plan instead of being
        // re-prepared when SQLite's statistics suggest another one for new parameters.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        conn.set_prepared_statement_cache_capacity(statements::CACHE_CAPACITY);
        Ok(())
    };
    setup()?;
    migrate(conn)
}

/// Brings the schema up to [`SCHEMA_VERSION`] in one immediate transaction, re-reading the
/// version under the write lock so that concurrent openers migrate once.
fn migrate(conn: &Connection) -> Result<(), StoreError> {
    begin_immediate(conn)?;
    let migrated = (|| {
        let found = schema::stored_version(conn)?;
        schema::check_not_newer(found)?;
        if found < SCHEMA_VERSION {
            schema::migrate(conn, found)?;
        } else {
            // The version, rewritten unchanged: this commit then starts the write-ahead log
            // (writes and syncs its header, ~1 ms), which would otherwise be the first
            // command's cost after every restart.
            conn.pragma_update(None, "user_version", found).map_err(SqliteError::from)?;
        }
        run(conn, "COMMIT").map_err(SqliteError::from)?;
        Ok(())
    })();
    if migrated.is_err() && !conn.is_autocommit() {
        let _ = run(conn, "ROLLBACK");
    }
    migrated
}

/// `BEGIN IMMEDIATE`: takes the write lock now, so that a transaction that reads and then
/// writes never fails halfway with SQLITE_BUSY. Retried with backoff when SQLite's own busy
/// timeout ran out.
fn begin_immediate(conn: &Connection) -> Result<(), StoreError> {
    retry_busy(|| run(conn, "BEGIN IMMEDIATE").map_err(SqliteError::from))
}

/// Runs `attempt` until it succeeds, fails with anything but busy, or has been busy
/// [`BUSY_RETRIES`] more times.
fn retry_busy<T>(mut attempt: impl FnMut() -> Result<T, SqliteError>) -> Result<T, StoreError> {
    let mut pause = FIRST_BACKOFF;
    let mut retries = 0;
    loop {
        match attempt() {
            Err(e) if is_busy(&e) && retries < BUSY_RETRIES => {
                retries += 1;
                std::thread::sleep(pause + jitter(pause));
                pause *= 2;
            }
            result => return Ok(result?),
        }
    }
}

/// Up to `pause` more, so that waiting writers do not retry in lockstep.
fn jitter(pause: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let max = u32::try_from(pause.as_micros()).unwrap_or(u32::MAX).max(1);
    Duration::from_micros(u64::from(nanos % max))
}

#[cfg(test)]
mod tests;
