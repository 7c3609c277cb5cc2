//! The shared conformance suite, on a SQLite store in a temporary file.
#![allow(clippy::unwrap_used)]

callreg_core::conformance_tests!(callreg_store_sqlite::SqliteStore::open_temporary().unwrap());
