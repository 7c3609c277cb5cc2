//! The schema: numbered migrations, applied in order, the version kept in `PRAGMA user_version`.

use crate::error::{Result, SqliteError};
use callreg_core::matching::{bitrix_code_index_key, national_suffix_index_key, telephony_code};
use callreg_core::phone::PhoneKey;
use callreg_core::store::StoreError;
use rusqlite::{Connection, params};

/// One step of the schema: a SQL file, and the code that fills in what SQL cannot compute.
struct Migration {
    sql: &'static str,
    backfill: Option<fn(&Connection) -> Result<()>>,
}

/// Every migration, in order: migration `i` (from 0) brings the schema to version `i + 1`.
/// A migration is never edited once released; a change of schema is a new file.
const MIGRATIONS: &[Migration] = &[
    Migration { sql: include_str!("../migrations/0001_initial.sql"), backfill: None },
    Migration {
        sql: include_str!("../migrations/0002_national_suffix.sql"),
        backfill: Some(fill_national_rev),
    },
    Migration {
        sql: include_str!("../migrations/0003_compact_calls_and_outbox.sql"),
        backfill: None,
    },
    Migration {
        sql: include_str!("../migrations/0004_bitrix_code.sql"),
        backfill: Some(fill_bitrix_code),
    },
    Migration {
        sql: include_str!("../migrations/0005_live_call_lookups_in_memory.sql"),
        backfill: None,
    },
    Migration {
        sql: include_str!("../migrations/0006_appended_live_calls_and_telephony_codes.sql"),
        backfill: Some(fill_telephony_code),
    },
    Migration { sql: include_str!("../migrations/0007_record_downloads.sql"), backfill: None },
    Migration {
        sql: include_str!("../migrations/0008_start_events_with_the_live_call.sql"),
        backfill: None,
    },
];

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
            conn.execute_batch(migration.sql)?;
            if let Some(backfill) = migration.backfill {
                backfill(conn)?;
            }
            conn.pragma_update(None, "user_version", version)?;
        }
    }
    Ok(())
}

/// Version 2: `crm_phone.national_rev` of the phones written before it existed.
fn fill_national_rev(conn: &Connection) -> Result<()> {
    fill_phone_column(conn, "national_rev", |_, key| key.and_then(national_suffix_index_key))
}

/// Version 6: `user_phone.telephony_code` of the users' phones written before it existed.
fn fill_telephony_code(conn: &Connection) -> Result<()> {
    let mut select = conn.prepare("SELECT user_id, position, value FROM user_phone")?;
    let rows = select
        .query_map([], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get(2)?)))?
        .collect::<rusqlite::Result<Vec<(i64, i64, String)>>>()?;
    let mut update = conn.prepare(
        "UPDATE user_phone SET telephony_code = ?3 WHERE user_id = ?1 AND position = ?2",
    )?;
    for (user_id, position, value) in rows {
        if let Some(code) = telephony_code(&value) {
            update.execute(params![user_id, position, code])?;
        }
    }
    Ok(())
}

/// Version 4: `crm_phone.bitrix_code` of the phones written before it existed.
fn fill_bitrix_code(conn: &Connection) -> Result<()> {
    fill_phone_column(conn, "bitrix_code", bitrix_code_index_key)
}

/// Sets a column just added to `crm_phone` on every stored phone, to what `compute` makes of
/// the phone's value and key (left NULL where it gives `None`).
fn fill_phone_column(
    conn: &Connection,
    column: &str,
    compute: fn(&str, Option<&PhoneKey>) -> Option<String>,
) -> Result<()> {
    let mut select =
        conn.prepare("SELECT entity_type, entity_id, position, value, key FROM crm_phone")?;
    let rows = select
        .query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, i64>(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<(i64, i64, i64, String, Option<String>)>>>()?;
    let mut update = conn.prepare(&format!(
        "UPDATE crm_phone SET {column} = ?4 \
         WHERE entity_type = ?1 AND entity_id = ?2 AND position = ?3"
    ))?;
    for (entity_type, entity_id, position, value, key) in rows {
        let key = match key {
            Some(key) => Some(
                PhoneKey::from_storage(&key)
                    .ok_or_else(|| SqliteError::decode("phone key", key.as_str()))?,
            ),
            None => None,
        };
        if let Some(computed) = compute(&value, key.as_ref()) {
            update.execute(params![entity_type, entity_id, position, computed])?;
        }
    }
    Ok(())
}
