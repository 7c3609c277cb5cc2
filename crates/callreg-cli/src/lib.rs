//! The `callreg` command-line tool, as a library: the binary only parses its arguments and
//! calls [`run`].
//!
//! - [`options`]: the command line and the engine configuration it describes;
//! - [`exec`]: REST requests as JSON Lines in, `{"status", "body"}` lines out;
//! - [`csv_import`]: contacts, companies and leads from CSV files;
//! - [`tables`]: the `calls` and `events` listings.
//!
//! Everything a user can get wrong (a flag value, a file that is not a database, a line of
//! input) ends in a message and an exit code, never a panic.

pub mod csv_import;
pub mod exec;
pub mod options;
pub mod tables;

/// The README's Rust examples, compiled and run as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExamples;

use crate::csv_import::{CsvImport, ImportError, ImportKind};
use crate::exec::{ExecError, ExecLimits, run_exec};
use crate::options::{Cli, Command, OptionError, StoreChoice};
use callreg_core::store::{StoreError, StoreResult, StoreTx};
use callreg_core::{CallregError, CrmStore, Engine, EngineConfig};
use callreg_store_memory::MemoryStore;
use callreg_store_sqlite::SqliteStore;
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

/// Files at least this large get a progress bar while they are imported.
const PROGRESS_BAR_MIN_BYTES: u64 = 256 * 1024;

/// Why a command failed. `Display` is the message printed on standard error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// A flag value this build cannot honour.
    #[error(transparent)]
    Options(#[from] OptionError),
    /// The input file of `exec` or `import` cannot be opened.
    #[error("cannot read {}: {source}", path.display())]
    OpenInput {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// `calls` or `events` on a database file that does not exist.
    #[error("{} does not exist (it is created by `callreg exec` or `callreg import`)", .0.display())]
    NoDatabase(PathBuf),
    /// The database cannot be opened: unreadable, not a database, or of a newer schema.
    #[error("cannot open the database {}: {source}", path.display())]
    OpenDatabase {
        /// The database file.
        path: PathBuf,
        /// Why.
        #[source]
        source: StoreError,
    },
    /// The engine could not start on the store, or a listing could not be read from it.
    #[error(transparent)]
    Engine(#[from] CallregError),
    /// `exec` could not read its input or write its output.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// `import` refused the file or could not read it to the end.
    #[error("cannot import {}: {source}", path.display())]
    Import {
        /// The CSV file.
        path: PathBuf,
        /// Why.
        #[source]
        source: ImportError,
    },
    /// Writing to standard output failed.
    #[error("cannot write the output: {0}")]
    Output(#[source] io::Error),
}

impl CliError {
    /// The process exit code: 2 for a command line that cannot be honoured, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Options(_) => 2,
            _ => 1,
        }
    }
}

/// A command with its input opened and checked, before any store is touched: a missing input
/// file or a refused CSV header must not create a database.
enum Prepared {
    Exec(Box<dyn BufRead>),
    Import { path: PathBuf, size: u64, import: Box<CsvImport<Box<dyn Read>>> },
    List(Listing),
}

/// A command that only reads the store and prints what it read.
enum Listing {
    Calls { limit: usize, json: bool },
    Events { limit: usize, json: bool },
}

/// Runs the command `cli` describes, writing results to standard output (and a progress bar
/// to standard error).
///
/// # Errors
/// A [`CliError`] whose message says what went wrong; see [`CliError::exit_code`].
pub fn run(cli: &Cli) -> Result<(), CliError> {
    let config = cli.portal.engine_config()?;
    let prepared = prepare(&cli.command)?;
    match (cli.portal.store(), prepared) {
        (StoreChoice::Memory, prepared) => {
            execute(&Engine::new(MemoryStore::new(), config)?, prepared)
        }
        (StoreChoice::Sqlite(path), Prepared::List(listed)) => {
            if !path.exists() {
                return Err(CliError::NoDatabase(path));
            }
            // A listing reads the file as it is: no migration, no write, no write lock.
            let store = SqliteStore::open_read_only(&path)
                .map_err(|source| CliError::OpenDatabase { path: path.clone(), source })?;
            print(&listing(&store, listed, config.time_zone)?)
        }
        (StoreChoice::Sqlite(path), prepared) => execute(&open_database(&path, config)?, prepared),
    }
}

/// Opens (creating when missing) the database at `path` and starts an engine on it.
///
/// # Errors
/// [`CliError::OpenDatabase`] when the file cannot be used.
pub fn open_database(path: &Path, config: EngineConfig) -> Result<Engine<SqliteStore>, CliError> {
    let opened = |source| CliError::OpenDatabase { path: path.to_path_buf(), source };
    let store = SqliteStore::open(path).map_err(opened)?;
    Engine::new(store, config).map_err(|e| match e {
        CallregError::Store(source) => opened(source),
        other => CliError::Engine(other),
    })
}

fn open_input(path: &Path) -> Result<File, CliError> {
    let refused = |source| CliError::OpenInput { path: path.to_path_buf(), source };
    let file = File::open(path).map_err(refused)?;
    // A directory opens but cannot be read: refused here, before any database is created.
    if file.metadata().map_err(refused)?.is_dir() {
        return Err(refused(io::Error::new(io::ErrorKind::IsADirectory, "is a directory")));
    }
    Ok(file)
}

fn prepare(command: &Command) -> Result<Prepared, CliError> {
    Ok(match command {
        Command::Exec { file } => match file {
            Some(path) if path.as_os_str() != "-" => {
                Prepared::Exec(Box::new(BufReader::with_capacity(1 << 16, open_input(path)?)))
            }
            _ => Prepared::Exec(Box::new(io::stdin().lock())),
        },
        Command::Import { kind, file } => {
            // `-` is standard input, as for `exec` (no size known: no progress bar).
            let (path, size, input): (PathBuf, u64, Box<dyn Read>) = if file.as_os_str() == "-" {
                (PathBuf::from("standard input"), 0, Box::new(io::stdin().lock()))
            } else {
                let input = open_input(file)?;
                let size = input.metadata().map(|m| m.len()).unwrap_or(0);
                (file.clone(), size, Box::new(BufReader::new(input)))
            };
            let import = CsvImport::open(*kind, input)
                .map_err(|source| CliError::Import { path: path.clone(), source })?;
            Prepared::Import { path, size, import: Box::new(import) }
        }
        Command::Calls { limit, json } => {
            Prepared::List(Listing::Calls { limit: as_usize(*limit), json: *json })
        }
        Command::Events { limit, json } => {
            Prepared::List(Listing::Events { limit: as_usize(*limit), json: *json })
        }
    })
}

fn as_usize(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn execute<S: CrmStore>(engine: &Engine<S>, prepared: Prepared) -> Result<(), CliError> {
    let zone = engine.config().time_zone;
    let text = match prepared {
        Prepared::Exec(input) => {
            let output = io::BufWriter::new(io::stdout().lock());
            // A closed output (`callreg exec | head`) ends the run like any failure to write:
            // the requests after it are not run, which a script must be able to tell.
            return run_exec(engine, input, output, ExecLimits::default())
                .map(drop)
                .map_err(CliError::from);
        }
        Prepared::Import { path, size, import } => {
            let kind = import.header().kind();
            let bar = progress_bar(size, kind);
            let summary = import
                .run(engine, |bytes| bar.set_position(bytes))
                .map_err(|source| CliError::Import { path, source });
            bar.finish_and_clear();
            summary?.to_string()
        }
        Prepared::List(listed) => listing(engine.store(), listed, zone)?,
    };
    print(&text)
}

/// The text of a listing command, read in one read-only transaction of `store`.
fn listing<S: CrmStore>(
    store: &S,
    listed: Listing,
    zone: chrono_tz::Tz,
) -> Result<String, CliError> {
    let read = |query: &mut dyn FnMut(&mut dyn StoreTx) -> StoreResult<()>| {
        store.read_only(query).map_err(|e| CliError::Engine(e.into()))
    };
    Ok(match listed {
        Listing::Calls { limit, json } => {
            let (mut active, mut finished) = (Vec::new(), Vec::new());
            read(&mut |tx| {
                // The most recent of the union are among the most recent of each.
                active = tx.list_active_calls()?;
                finished = tx.latest_call_records(limit)?;
                Ok(())
            })?;
            let rows = tables::recent_calls(&active, &finished, limit);
            if json {
                pretty(&tables::calls_json(&rows, zone))
            } else {
                tables::calls_table(&rows, zone)
            }
        }
        Listing::Events { limit, json } => {
            let mut events = Vec::new();
            read(&mut |tx| {
                events = tx.outbox_events(limit)?;
                Ok(())
            })?;
            if json {
                pretty(&tables::events_json(&events, zone))
            } else {
                tables::events_table(&events, zone)
            }
        }
    })
}

/// Writes a command's text to standard output; a reader that went away (`callreg calls |
/// head`) is no failure.
fn print(text: &str) -> Result<(), CliError> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(CliError::Output(e)),
        _ => Ok(()),
    }
}

fn pretty(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

/// A byte-based progress bar on standard error, hidden when standard error is not a terminal
/// or the file is small.
fn progress_bar(size: u64, kind: ImportKind) -> indicatif::ProgressBar {
    if size < PROGRESS_BAR_MIN_BYTES || !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(size),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "importing {msg} [{bar:40}] {bytes}/{total_bytes} ({eta} left)",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(kind.as_str());
    bar
}
