//! The adapter's own failures, and how they map onto [`StoreError`]'s categories.

use callreg_core::store::StoreError;
use rusqlite::ErrorCode;

/// Everything that can go wrong inside the SQLite adapter. Mapped into [`StoreError`] (with
/// this error as the source) at the trait boundary.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SqliteError {
    /// SQLite (or rusqlite) refused an operation.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// A stored value could not be read back as the type it should have.
    #[error("stored {what} is invalid: {value:?}")]
    Decode {
        /// What was being read.
        what: &'static str,
        /// The offending value, as text.
        value: String,
    },
    /// An event's data could not be written or read as JSON.
    #[error("event data is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// An id or count does not fit SQLite's signed 64-bit integers.
    #[error("{what} {value} does not fit in a 64-bit signed integer")]
    OutOfRange {
        /// What the number is.
        what: &'static str,
        /// The number.
        value: u64,
    },
    /// Creating the temporary directory of a temporary store failed.
    #[error("cannot create a temporary directory: {0}")]
    TempDir(#[source] std::io::Error),
    /// SQLite rolled the transaction back itself after an earlier failure; nothing more can
    /// run in it.
    #[error("the transaction was rolled back after an earlier failure")]
    TransactionEnded,
    /// A write would break a uniqueness rule that the adapter checks itself (not SQL).
    #[error("{0}")]
    Duplicate(String),
    /// The checkpoint thread of a file store could not be started.
    #[error("cannot start the checkpoint thread: {0}")]
    Thread(#[source] std::io::Error),
}

impl SqliteError {
    /// A stored value that does not decode.
    pub(crate) fn decode(what: &'static str, value: impl ToString) -> Self {
        SqliteError::Decode { what, value: value.to_string() }
    }

    /// The SQLite result code behind this error, if it came from SQLite.
    pub(crate) fn sqlite_code(&self) -> Option<ErrorCode> {
        match self {
            SqliteError::Sqlite(e) => e.sqlite_error_code(),
            _ => None,
        }
    }
}

impl From<SqliteError> for StoreError {
    fn from(error: SqliteError) -> Self {
        let category: fn(Box<dyn std::error::Error + Send + Sync>) -> StoreError = match &error {
            SqliteError::Sqlite(_) => match error.sqlite_code() {
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy,
                Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StoreError::Corrupt,
                Some(ErrorCode::DiskFull) => StoreError::Full,
                Some(ErrorCode::SystemIoFailure | ErrorCode::CannotOpen) => StoreError::Io,
                Some(ErrorCode::ConstraintViolation) => StoreError::Constraint,
                Some(_) => StoreError::Other,
                // A stored value of the wrong type or out of range, in STRICT tables
                // written only by this adapter: the data was damaged.
                None if is_bad_stored_value(&error) => StoreError::Corrupt,
                None => StoreError::Other,
            },
            // A row that does not decode was damaged after it was written.
            SqliteError::Decode { .. } => StoreError::Corrupt,
            SqliteError::Duplicate(_) => StoreError::Constraint,
            SqliteError::TransactionEnded => StoreError::Other,
            SqliteError::Json(_) | SqliteError::OutOfRange { .. } => StoreError::Other,
            SqliteError::TempDir(_) | SqliteError::Thread(_) => StoreError::Io,
        };
        category(Box::new(error))
    }
}

/// Whether rusqlite could not convert a stored value into the type asked for.
fn is_bad_stored_value(error: &SqliteError) -> bool {
    matches!(
        error,
        SqliteError::Sqlite(
            rusqlite::Error::FromSqlConversionFailure(..)
                | rusqlite::Error::InvalidColumnType(..)
                | rusqlite::Error::IntegralValueOutOfRange(..)
        )
    )
}

/// Results inside the adapter.
pub(crate) type Result<T, E = SqliteError> = std::result::Result<T, E>;

/// Whether `error` is SQLite saying another connection holds the lock.
pub(crate) fn is_busy(error: &SqliteError) -> bool {
    matches!(error.sqlite_code(), Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::ffi;

    fn category(code: std::ffi::c_int) -> StoreError {
        let error = rusqlite::Error::SqliteFailure(ffi::Error::new(code), None);
        StoreError::from(SqliteError::from(error))
    }

    #[test]
    fn sqlite_result_codes_map_to_what_a_caller_can_do() {
        for code in [ffi::SQLITE_BUSY, ffi::SQLITE_BUSY_SNAPSHOT, ffi::SQLITE_LOCKED] {
            assert!(matches!(category(code), StoreError::Busy(_)), "{code}");
        }
        for code in [ffi::SQLITE_CORRUPT, ffi::SQLITE_NOTADB] {
            assert!(matches!(category(code), StoreError::Corrupt(_)), "{code}");
        }
        assert!(matches!(category(ffi::SQLITE_FULL), StoreError::Full(_)));
        for code in [ffi::SQLITE_IOERR, ffi::SQLITE_IOERR_WRITE, ffi::SQLITE_CANTOPEN] {
            assert!(matches!(category(code), StoreError::Io(_)), "{code}");
        }
        for code in [ffi::SQLITE_CONSTRAINT, ffi::SQLITE_CONSTRAINT_UNIQUE] {
            assert!(matches!(category(code), StoreError::Constraint(_)), "{code}");
        }
        for code in [ffi::SQLITE_MISUSE, ffi::SQLITE_READONLY, ffi::SQLITE_ERROR] {
            assert!(matches!(category(code), StoreError::Other(_)), "{code}");
        }
    }

    #[test]
    fn the_original_error_is_the_source() {
        let error = category(ffi::SQLITE_FULL);
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("Error code 13: database or disk is full"));
    }

    #[test]
    fn damaged_values_are_corrupt() {
        let bad_value = SqliteError::decode("timestamp", "yesterday");
        assert!(matches!(StoreError::from(bad_value), StoreError::Corrupt(_)));
        let wrong_type =
            rusqlite::Error::InvalidColumnType(0, "id".into(), rusqlite::types::Type::Null);
        assert!(matches!(StoreError::from(SqliteError::from(wrong_type)), StoreError::Corrupt(_)));
    }
}
