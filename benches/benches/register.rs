//! Register end to end (`telephony.externalcall.register` through the engine), on the memory
//! store and on SQLite (one durable transaction per call, WAL + `synchronous=NORMAL`), beside
//! the floor of a bare single-row `INSERT` committed in the same database settings and the
//! ideal registration (`IdealRegistration`: the store's inevitable part of one, on one page).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callreg_benches::PhoneBook;
use callreg_benches::floors::{BareCommit, IdealRegistration, last_registration};
use callreg_benches::stores::{SteadyRegistrations, admin, memory_engine, sqlite_engine};
use callreg_core::{CrmStore, EngineConfig, RegisterRequest};
use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;

/// Contacts in the CRM the calls are registered in.
const CONTACTS: usize = 100_000;

fn register(c: &mut Criterion) {
    let book = PhoneBook::generate(CONTACTS, 42);
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("register");
    group.sample_size(20).measurement_time(Duration::from_secs(5));

    // Steady state: each batch of registrations is finished and its events consumed,
    // untimed, so the live calls and the outbox stay bounded (see `SteadyRegistrations`).
    let memory = memory_engine(&book, EngineConfig::default());
    let mut calls = SteadyRegistrations::new(&memory, &book);
    group.bench_function("memory", |b| b.iter_custom(|iters| steady(&mut calls, iters)));

    let sqlite = sqlite_engine(&book, &dir.path().join("store.db"), EngineConfig::default());
    let mut calls = SteadyRegistrations::new(&sqlite, &book);
    group.bench_function("sqlite", |b| b.iter_custom(|iters| steady(&mut calls, iters)));

    let mut bare = BareCommit::new(&dir.path().join("bare.db"));
    let entry = book.entries[0].clone();
    group.bench_function("sqlite-bare-insert-commit", |b| b.iter(|| bare.commit_one(&entry)));

    // The ideal appends the row a real registration stored: one is left live to read it.
    let request = RegisterRequest::incoming(1, entry.called.clone()).external_call_id("sample");
    sqlite.register(&admin(), &request).unwrap();
    let call = last_registration(&dir.path().join("store.db"));
    let mut ideal = IdealRegistration::new(&book, &dir.path().join("ideal.db"), call);
    let mut next = 0;
    group.bench_function("sqlite-ideal-registration", |b| {
        b.iter(|| {
            next += 1;
            ideal.register(&book.entries[next % book.entries.len()]);
        })
    });
    group.finish();
}

/// `iters` registrations in batches of at most 1,000.
fn steady<S: CrmStore>(calls: &mut SteadyRegistrations<'_, S>, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let batch = left.min(1_000);
        total += calls.batch(batch as usize);
        left -= batch;
    }
    total
}

criterion_group!(benches, register);
criterion_main!(benches);
