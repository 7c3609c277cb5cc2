//! WAL checkpoints, mostly on a thread of their own.
//!
//! A checkpoint copies the pages of the write-ahead log back into the database file and syncs
//! it: milliseconds of I/O. SQLite runs it by default on whichever connection commits the
//! transaction that makes the log reach 1,000 pages, so every few hundred commands one of
//! them waits for it. A file store instead:
//!
//! * from [`CHECKPOINT_FRAMES`] pages of log on, asks a thread of its own (with its own
//!   connection) to checkpoint after each commit: passive checkpoints, which never wait for
//!   the writer or readers and copy what they can, so commands only append to the log;
//! * from [`WRITER_CHECKPOINT_FRAMES`] pages on, checkpoints on the committing connection,
//!   right after its commit. Only the pages the thread has not copied yet remain (a few hundred
//!   at most), and this makes the log empty at a moment no write is in progress, so that the
//!   next transaction starts it again from the beginning. Under steady writes the thread alone
//!   would never see the log empty: each of its checkpoints ends after a few more commits.
//! * from [`MAX_LOG_FRAMES`] pages on, the committing connection first waits (at most the
//!   busy timeout) for a checkpoint the thread is running: on a loaded machine a checkpoint and
//!   its sync can last long enough for thousands of pages to be committed meanwhile, every
//!   attempt of the committing connection failing while the thread holds the checkpoint.
//!
//! The log file is thus written again from its start every few thousand pages, and stays under
//! [`MAX_LOG_FRAMES`] pages and one transaction's, instead of growing (writing into an existing file is cheaper than extending one). A read transaction
//! that stays open (on this store's read connection or in another process) holds both kinds
//! of checkpoint back at the page it started from, as it would SQLite's own: the log grows
//! until the reader ends. Checkpoints never change what a transaction sees or stores: they
//! move committed pages from one file to the other, coordinated by SQLite with readers and
//! writers.

use crate::error::SqliteError;
use callreg_core::store::StoreResult;
use rusqlite::hooks::Wal;
use rusqlite::wal::CheckpointMode;
use rusqlite::{Connection, MAIN_DB};
use std::ffi::c_int;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// Log size, in pages, from which a commit asks the checkpoint thread to run.
pub const CHECKPOINT_FRAMES: c_int = 1_000;
/// Log size, in pages, from which the committing connection checkpoints itself.
pub const WRITER_CHECKPOINT_FRAMES: c_int = 4_000;
/// Log size, in pages, from which the committing connection first waits for a checkpoint the
/// thread is running (under load, a thread's checkpoint and its sync can take long enough for
/// thousands of pages more to be committed meanwhile), then checkpoints itself: the log stays
/// under about twice [`WRITER_CHECKPOINT_FRAMES`] pages whatever the machine's load, unless
/// a reader holds it back.
pub const MAX_LOG_FRAMES: c_int = 7_000;

const _: () = assert!(CHECKPOINT_FRAMES < WRITER_CHECKPOINT_FRAMES);
const _: () = assert!(WRITER_CHECKPOINT_FRAMES < MAX_LOG_FRAMES);

/// What the writer tells the checkpoint thread.
#[derive(Debug, Default)]
struct State {
    /// A commit found the log at or over [`CHECKPOINT_FRAMES`] since the last checkpoint.
    requested: bool,
    /// The store is being dropped.
    stop: bool,
    /// The thread is running a checkpoint.
    running: bool,
}

#[derive(Debug, Default)]
struct Signal {
    state: Mutex<State>,
    wake: Condvar,
}

impl Signal {
    fn update(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner));
        self.wake.notify_all();
    }

    /// Waits, at most `limit`, until the thread runs no checkpoint.
    fn wait_idle(&self, limit: Duration) {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self
            .wake
            .wait_timeout_while(state, limit, |state| state.running && !state.stop)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

/// The checkpoint thread of a file store; stopped and joined when dropped. Public so that a
/// connection outside a store (a benchmark's floor) can be given the same arrangement.
#[derive(Debug)]
pub struct Checkpointer {
    signal: Arc<Signal>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread, with its own connection to `path`, and makes `writer`'s commits
    /// drive it (replacing SQLite's automatic checkpoints on that connection, which would
    /// otherwise run at 1,000 pages).
    ///
    /// # Errors
    ///
    /// When the thread's connection cannot be opened or the thread cannot be started.
    pub fn start(path: &Path, writer: &mut Connection) -> StoreResult<Checkpointer> {
        Ok(Checkpointer::start_thread(path, writer)?)
    }

    fn start_thread(path: &Path, writer: &mut Connection) -> Result<Checkpointer, SqliteError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(crate::BUSY_TIMEOUT)?;
        // A connection learns that the file is in WAL mode when it first reads it; until
        // then a checkpoint through it does nothing.
        let _: String = conn.pragma_query_value(None, "journal_mode", |row| row.get(0))?;
        let signal = Arc::new(Signal::default());
        let hook_signal = Arc::clone(&signal);
        writer.wal_hook(Some(move |wal: &mut Wal, frames: c_int| {
            if frames >= MAX_LOG_FRAMES {
                hook_signal.wait_idle(crate::BUSY_TIMEOUT);
            }
            if frames >= WRITER_CHECKPOINT_FRAMES {
                // The transaction is committed whatever happens here; an error (another
                // checkpoint running, a reader in the way) only means the log stays longer.
                let _ = wal.checkpoint_v2(CheckpointMode::PASSIVE);
            } else if frames >= CHECKPOINT_FRAMES {
                hook_signal.update(|state| state.requested = true);
            }
            Ok(())
        }))?;
        let thread_signal = Arc::clone(&signal);
        let thread = std::thread::Builder::new()
            .name("callreg-sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(&conn, &thread_signal))
            .map_err(SqliteError::Thread)?;
        Ok(Checkpointer { signal, thread: Some(thread) })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.signal.update(|state| state.stop = true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Waits for requests and runs a passive checkpoint for each (a passive checkpoint never
/// waits for readers or the writer: it copies what it can).
fn checkpoint_loop(conn: &Connection, signal: &Signal) {
    loop {
        {
            let mut state = signal.state.lock().unwrap_or_else(PoisonError::into_inner);
            while !state.requested && !state.stop {
                state = signal.wake.wait(state).unwrap_or_else(PoisonError::into_inner);
            }
            if state.stop {
                return;
            }
            state.requested = false;
            state.running = true;
        }
        let _ = conn.wal_checkpoint_v2(Some(MAIN_DB), CheckpointMode::PASSIVE);
        signal.update(|state| state.running = false);
    }
}
