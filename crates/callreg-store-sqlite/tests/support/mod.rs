//! Running part of a test in another process: the test binary re-invokes itself, asking
//! libtest for exactly one test (the "child" entry), with the role and the database path in
//! environment variables. The child entry does nothing when those are absent, so it passes
//! as a plain test.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What the child is asked to do.
pub const ROLE_VAR: &str = "CALLREG_SQLITE_TEST_ROLE";
/// The database file the child works on.
pub const PATH_VAR: &str = "CALLREG_SQLITE_TEST_PATH";
/// A number the child uses to keep its phone numbers apart from other children's.
pub const SEED_VAR: &str = "CALLREG_SQLITE_TEST_SEED";

/// A command running test `entry` of this test binary as a child with `role` on `path`.
pub fn child(entry: &str, role: &str, path: &Path, seed: u64) -> Command {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut command = Command::new(exe);
    command
        .args([entry, "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE_VAR, role)
        .env(PATH_VAR, path)
        .env(SEED_VAR, seed.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// The role, path and seed when running as a child; `None` in a plain test run.
pub fn child_role() -> Option<(String, PathBuf, u64)> {
    let role = std::env::var(ROLE_VAR).ok()?;
    let path = PathBuf::from(std::env::var_os(PATH_VAR)?);
    let seed = std::env::var(SEED_VAR).ok()?.parse().ok()?;
    Some((role, path, seed))
}

/// A small pseudo-random generator (xorshift), seeded from the clock: the tests only need
/// varied sleeps, not good randomness.
#[derive(Debug)]
pub struct Jitter(u64);

impl Jitter {
    pub fn from_clock() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15);
        Jitter(nanos | 1)
    }

    /// A number in `low..high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        low + self.0 % (high - low)
    }
}
