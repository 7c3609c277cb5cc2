//! Owner lookup by raw number (normalization included), hit and miss, on each store at 1,000,
//! 100,000 and 1,000,000 phones; in the same group, the floors (a bare `HashMap<u64, u64>`
//! probe, a bare indexed point `SELECT`) and the naive `LIKE '%<last 10 digits>'` baseline;
//! and tier 3 (suffix matching) beside a bare range probe.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callreg_benches::LookupWorkload;
use callreg_benches::floors::{
    BTreeFloor, HashMapFloor, LikeBaseline, SqliteFloor, SqliteRangeFloor, reversed_tail,
};
use callreg_benches::stores::{memory_engine, sqlite_engine};
use callreg_core::matching::{caller_keys, find_owners_in_tiers};
use callreg_core::{CrmStore, Engine, EngineConfig};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];
/// Numbers looked up per kind, cycled through (a power of two).
const QUERIES: usize = 16_384;

/// Benchmarks `f` over the queries, one per iteration, in order.
fn cycle<T>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: BenchmarkId,
    queries: &[T],
    mut f: impl FnMut(&T),
) {
    group.bench_function(id, |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % queries.len();
            f(black_box(&queries[i]));
        });
    });
}

/// The engine's lookups and tier 3, for one store and size.
fn engine_lookups<S: CrmStore>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    engine: &Engine<S>,
    work: &LookupWorkload,
    size: usize,
) {
    let hits: Vec<&str> = work.hits.iter().map(|e| e.called.as_str()).collect();
    let misses: Vec<&str> = work.misses.iter().map(|e| e.called.as_str()).collect();
    cycle(group, BenchmarkId::new("engine-hit", size), &hits, |raw| {
        black_box(engine.find_owners_of_number(raw, None).unwrap());
    });
    cycle(group, BenchmarkId::new("engine-miss", size), &misses, |raw| {
        black_box(engine.find_owners_of_number(raw, None).unwrap());
    });
    // Tier 3 as register runs it with `suffix_digits: Some(10)`: tiers 1 and 2 miss first.
    cycle(group, BenchmarkId::new("engine-suffix-hit", size), &work.suffix_hits, |raw| {
        let keys = caller_keys(engine.phones(), raw, None);
        black_box(engine.read(|tx| find_owners_in_tiers(tx, &keys, Some(10))).unwrap());
    });
}

fn memory(c: &mut Criterion) {
    let mut group = c.benchmark_group("lookup/memory");
    group.sample_size(30).measurement_time(Duration::from_secs(3));
    for size in SIZES {
        let work = LookupWorkload::new(size, QUERIES);
        let engine = memory_engine(&work.book, EngineConfig::default());
        engine_lookups(&mut group, &engine, &work, size);
        let floor = HashMapFloor::new(&work.book);
        let hit_keys: Vec<u64> = work.hits.iter().map(|e| e.e164).collect();
        let miss_keys: Vec<u64> = work.misses.iter().map(|e| e.e164).collect();
        cycle(&mut group, BenchmarkId::new("hashmap-floor-hit", size), &hit_keys, |k| {
            black_box(floor.probe(*k));
        });
        cycle(&mut group, BenchmarkId::new("hashmap-floor-miss", size), &miss_keys, |k| {
            black_box(floor.probe(*k));
        });
        let btree = BTreeFloor::new(&work.book);
        let tails: Vec<String> =
            work.suffix_hits.iter().map(|raw| reversed_tail(raw, 10)).collect();
        cycle(&mut group, BenchmarkId::new("btree-range-floor", size), &tails, |t| {
            black_box(btree.probe(t));
        });
    }
    group.finish();
}

fn sqlite(c: &mut Criterion) {
    let mut group = c.benchmark_group("lookup/sqlite");
    group.sample_size(20).measurement_time(Duration::from_secs(3));
    let dir = tempfile::tempdir().unwrap();
    for size in SIZES {
        let work = LookupWorkload::new(size, QUERIES);
        let engine = sqlite_engine(
            &work.book,
            &dir.path().join(format!("store-{size}.db")),
            EngineConfig::default(),
        );
        engine_lookups(&mut group, &engine, &work, size);
        let floor = SqliteFloor::new(&work.book, &dir.path().join(format!("floor-{size}.db")));
        let hit_keys: Vec<String> = work.hits.iter().map(|e| e.e164_text()).collect();
        let miss_keys: Vec<String> = work.misses.iter().map(|e| e.e164_text()).collect();
        cycle(&mut group, BenchmarkId::new("select-floor-hit", size), &hit_keys, |k| {
            black_box(floor.probe(k));
        });
        cycle(&mut group, BenchmarkId::new("select-floor-miss", size), &miss_keys, |k| {
            black_box(floor.probe(k));
        });
        let range = SqliteRangeFloor::new(&work.book, &dir.path().join(format!("range-{size}.db")));
        let tails: Vec<String> =
            work.suffix_hits.iter().map(|raw| reversed_tail(raw, 10)).collect();
        cycle(&mut group, BenchmarkId::new("select-range-floor", size), &tails, |t| {
            black_box(range.probe(t));
        });
        if size == 100_000 {
            let like = LikeBaseline::new(&work.book, &dir.path().join("like.db"));
            let hits: Vec<&str> = work.hits.iter().map(|e| e.called.as_str()).collect();
            group.sample_size(10);
            cycle(&mut group, BenchmarkId::new("like-baseline-hit", size), &hits, |raw| {
                black_box(like.lookup(raw));
            });
            group.sample_size(20);
        }
    }
    group.finish();
}

criterion_group!(benches, memory, sqlite);
criterion_main!(benches);
