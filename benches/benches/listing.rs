//! Listing finished calls (`voximplant.statistic.get`'s pages, `callreg calls`) at 100,000
//! statistics rows, on the memory store and on SQLite: a page from the middle of the
//! listing, unfiltered and filtered by user, and the 20 calls that started last, beside the
//! baseline of reading every row (what a page would cost if the store handed out the whole
//! listing for the caller to cut).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callreg_benches::stores::load_finished_calls;
use callreg_core::store::CallRecordFilter;
use callreg_core::{CrmStore, Engine, EngineConfig, UserId};
use callreg_store_memory::MemoryStore;
use callreg_store_sqlite::SqliteStore;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

/// Statistics rows listed.
const ROWS: usize = 100_000;

fn listing(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let memory = Engine::new(MemoryStore::new(), EngineConfig::default()).unwrap();
    load_finished_calls(&memory, ROWS);
    bench_store(c, "listing-memory", &memory);
    let store = SqliteStore::open(dir.path().join("listing.db")).unwrap();
    let sqlite = Engine::new(store, EngineConfig::default()).unwrap();
    load_finished_calls(&sqlite, ROWS);
    bench_store(c, "listing-sqlite", &sqlite);
}

fn bench_store<S: CrmStore>(c: &mut Criterion, name: &str, engine: &Engine<S>) {
    let mut group = c.benchmark_group(name);
    group.sample_size(10).measurement_time(Duration::from_secs(3));
    let all = CallRecordFilter::default();
    let by_user =
        CallRecordFilter { portal_user_id: Some(UserId(3)), ..CallRecordFilter::default() };
    group.bench_function("page-at-50000", |b| {
        b.iter(|| black_box(engine.call_records_page(&all, ROWS / 2, 50).unwrap()))
    });
    group.bench_function("page-by-user", |b| {
        b.iter(|| black_box(engine.call_records_page(&by_user, 0, 50).unwrap()))
    });
    group.bench_function("latest-20", |b| {
        b.iter(|| black_box(engine.read(|tx| tx.latest_call_records(20)).unwrap()))
    });
    group.bench_function("baseline-every-row", |b| {
        b.iter(|| black_box(engine.call_records().unwrap()))
    });
    group.finish();
}

criterion_group!(benches, listing);
criterion_main!(benches);
