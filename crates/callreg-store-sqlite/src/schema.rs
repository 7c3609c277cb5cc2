//! The schema: numbered migrations, applied in order, the version kept in `PRAGMA user_version`.

use crate::error::Result;
use callreg_core::store::StoreError;
use rusqlite::Connection;

/// Every migration, in order: migration `i` (from 0) brings the schema to version `i + 1`.
/// A migration is never edited once released; a change of schema is a new file.
const MIGRATIONS: &[&str] = &[include_str!("../migrations/0001_initial.sql")];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The schema version recorded in the database (0 for a new, empty file).
pub(crate) fn stored_version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

/// Refuses a database written by a newer build.
pub(crate) fn check_not_newer(found: i64) -> Result<(), StoreError> {
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema { found, known: SCHEMA_VERSION });
    }
    Ok(())
}

/// Applies the migrations the database lacks. The caller holds the write lock (an open
/// `BEGIN IMMEDIATE` transaction), so two processes opening one new file migrate it once.
pub(crate) fn migrate(conn: &Connection, from: i64) -> Result<()> {
    for (index, migration) in MIGRATIONS.iter().enumerate() {
        let version = index as i64 + 1;
        if version > from {
            conn.execute_batch(migration)?;
            conn.pragma_update(None, "user_version", version)?;
        }
    }
    Ok(())
}
