//! Shared workloads of callreg's benchmarks: deterministic phone books and call streams, the
//! stores built from them, and the floors and baselines each figure is compared with.
//!
//! Everything here is generated from a seed, so every run (criterion's and `bench-report`'s)
//! measures the same numbers; and everything is built once per size, outside timed loops.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod alloc;
pub mod data;
pub mod floors;
pub mod stores;

pub use data::{CallStream, Country, Entry, LookupWorkload, PhoneBook, Rng};
