//! `bench-report`: a short run of every benchmark of `benches/benches/`, printed as one table
//! of figures, their floors or baselines, the ratios, the targets and whether they are met.
//!
//!     cargo run --release -p callreg-benches --bin bench-report
//!
//! Every ratio is of two figures measured in this run, so the machine's speed cancels out.
//! Timings are medians of several rounds; sizes and data are those of the criterion benches.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callreg_benches::alloc::CountingAlloc;
use callreg_benches::data::reference_e164;
use callreg_benches::floors::{
    BTreeFloor, BareCommit, HashMapFloor, IdealRegistration, LikeBaseline, SqliteFloor,
    SqliteRangeFloor, last_registration, reversed_tail,
};
use callreg_benches::stores::{
    SteadyRegistrations, add_contacts, admin, bulk_load, load_finished_calls, memory_engine,
};
use callreg_benches::{CallStream, LookupWorkload, PhoneBook};
use callreg_core::matching::{MatchTier, caller_keys, find_owners_in_tiers};
use callreg_core::phone::{PhoneKey, PhoneNormalizer};
use callreg_core::store::CallRecordFilter;
use callreg_core::{CrmStore, Engine, EngineConfig, RegisterRequest, UserId};
use callreg_store_memory::MemoryStore;
use callreg_store_sqlite::SqliteStore;
use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::new();

/// Numbers looked up per kind, cycled through.
const QUERIES: usize = 16_384;
/// Phone-book sizes of the lookup figures.
const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];
/// The argument that makes the program measure a first registration in a fresh process.
const FIRST_REGISTER: &str = "--first-register";

/// Nanoseconds per call of `f`: the median of `rounds` rounds of `per_round` calls, after one
/// warm-up round.
fn time_per_op(rounds: usize, per_round: usize, mut f: impl FnMut(usize)) -> f64 {
    let mut i = 0;
    for _ in 0..per_round {
        f(i);
        i += 1;
    }
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..per_round {
                f(i);
                i += 1;
            }
            start.elapsed().as_nanos() as f64 / per_round as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// How a figure compares with its target.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// The ratio must be at most this.
    AtMost(f64),
    /// The ratio must be at least this.
    AtLeast(f64),
    /// Shown for information.
    None,
}

/// One line of the table.
#[derive(Debug)]
struct Line {
    figure: String,
    value: String,
    baseline: String,
    baseline_value: String,
    ratio: Option<f64>,
    target: Target,
}

impl Line {
    fn passes(&self) -> Option<bool> {
        match (self.target, self.ratio) {
            (Target::AtMost(t), Some(r)) => Some(r <= t),
            (Target::AtLeast(t), Some(r)) => Some(r >= t),
            _ => None,
        }
    }
}

fn ns(value: f64) -> String {
    if value >= 1_000_000.0 {
        format!("{:.2} ms", value / 1_000_000.0)
    } else if value >= 1_000.0 {
        format!("{:.2} µs", value / 1_000.0)
    } else {
        format!("{value:.0} ns")
    }
}

#[derive(Debug, Default)]
struct Report {
    lines: Vec<Line>,
}

impl Report {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        figure: impl Into<String>,
        value: impl Into<String>,
        baseline: impl Into<String>,
        baseline_value: impl Into<String>,
        ratio: Option<f64>,
        target: Target,
    ) {
        let line = Line {
            figure: figure.into(),
            value: value.into(),
            baseline: baseline.into(),
            baseline_value: baseline_value.into(),
            ratio,
            target,
        };
        eprintln!(
            "  {}: {} ({} {}){}",
            line.figure,
            line.value,
            line.baseline,
            line.baseline_value,
            line.ratio.map(|r| format!(", ratio {r:.2}")).unwrap_or_default()
        );
        self.lines.push(line);
    }

    fn print(&self) {
        println!("| figure | value | floor or baseline | its value | ratio | target | result |");
        println!("|---|---|---|---|---|---|---|");
        for line in &self.lines {
            let ratio = line.ratio.map(|r| format!("{r:.2}")).unwrap_or_else(|| "—".into());
            let target = match line.target {
                Target::AtMost(t) => format!("≤ {t}"),
                Target::AtLeast(t) => format!("≥ {t}"),
                Target::None => "—".into(),
            };
            let result = match line.passes() {
                Some(true) => "pass",
                Some(false) => "**FAIL**",
                None => "—",
            };
            println!(
                "| {} | {} | {} | {} | {ratio} | {target} | {result} |",
                line.figure, line.value, line.baseline, line.baseline_value
            );
        }
        let judged: Vec<bool> = self.lines.iter().filter_map(Line::passes).collect();
        let passed = judged.iter().filter(|p| **p).count();
        println!();
        println!("{passed} of {} targets met.", judged.len());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, dir, database] = &args[..]
        && flag == FIRST_REGISTER
    {
        first_register_child(std::path::Path::new(dir), std::path::Path::new(database));
        return;
    }
    let started = Instant::now();
    let mut report = Report::default();
    eprintln!("first registration (fresh processes) ...");
    first_register(&mut report);
    eprintln!("normalization ...");
    normalization(&mut report);
    eprintln!("memory store ...");
    memory_lookups(&mut report);
    eprintln!("SQLite store ...");
    sqlite_lookups(&mut report);
    eprintln!("register ...");
    registration(&mut report);
    eprintln!("listings ...");
    listings(&mut report);
    report.print();
    println!();
    println!(
        "Machine: {}, {} cores. Run took {:.1} s.",
        cpu_model(),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        started.elapsed().as_secs_f64()
    );
}

/// The CPU's model name, from `/proc/cpuinfo`.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

// ---- first registration ----------------------------------------------------------------

/// In a fresh process: builds an engine, registers a first call, then 200 more; prints the
/// first's time and the median of the others, for the memory store, for SQLite on a new
/// database (in `dir`), and for SQLite on the existing `database` (a process restarting on
/// its portal's data).
fn first_register_child(dir: &std::path::Path, database: &std::path::Path) {
    let memory = Engine::new(MemoryStore::new(), EngineConfig::default()).unwrap();
    let (first, warm) = first_and_warm(&memory);
    let new = dir.join(format!("new-{}.db", std::process::id()));
    let sqlite = Engine::new(SqliteStore::open(&new).unwrap(), EngineConfig::default()).unwrap();
    let (new_first, new_warm) = first_and_warm(&sqlite);
    let sqlite =
        Engine::new(SqliteStore::open(database).unwrap(), EngineConfig::default()).unwrap();
    let (old_first, old_warm) = first_and_warm(&sqlite);
    println!("{first} {warm} {new_first} {new_warm} {old_first} {old_warm}");
}

fn first_and_warm<S: CrmStore>(engine: &Engine<S>) -> (f64, f64) {
    let call = |n: u32| {
        let request = RegisterRequest::incoming(1, format!("+7 495 {:07}", 2_000_000 + n))
            .crm_create(true)
            .external_call_id(format!("first-{}-{n}", std::process::id()));
        let start = Instant::now();
        engine.register(&admin(), &request).unwrap();
        start.elapsed().as_nanos() as f64
    };
    let first = call(0);
    let mut warm: Vec<f64> = (1..=200).map(call).collect();
    warm.sort_by(f64::total_cmp);
    (first, warm[warm.len() / 2])
}

fn first_register(report: &mut Report) {
    // A portal's database as a process finds it when it restarts: contacts and calls.
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("portal.db");
    {
        let engine =
            Engine::new(SqliteStore::open(&database).unwrap(), EngineConfig::default()).unwrap();
        let book = PhoneBook::generate(1_000, 42);
        bulk_load(&engine, &book);
        SteadyRegistrations::new(&engine, &book).batch(200);
    }
    // Nine fresh processes; for each figure, the median of the nine (a first registration is
    // one sample per process, so it takes more processes than the medians of 200 to settle).
    let mut runs: Vec<Vec<f64>> = Vec::new();
    for _ in 0..9 {
        let exe = std::env::current_exe().unwrap();
        let output =
            Command::new(exe).arg(FIRST_REGISTER).arg(dir.path()).arg(&database).output().unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        let values: Vec<f64> = text.split_whitespace().filter_map(|v| v.parse().ok()).collect();
        if values.len() == 6 {
            runs.push(values);
        }
    }
    if runs.is_empty() {
        return;
    }
    let median = |i: usize| {
        let mut column: Vec<f64> = runs.iter().map(|r| r[i]).collect();
        column.sort_by(f64::total_cmp);
        column[column.len() / 2]
    };
    for (figure, at) in [
        ("first register, memory (fresh process)", 0),
        ("first register, SQLite (fresh process, new database)", 2),
        ("first register, SQLite (fresh process, existing database)", 4),
    ] {
        let (first, warm) = (median(at), median(at + 1));
        report.add(
            figure,
            ns(first),
            "warm register",
            ns(warm),
            Some(first / warm),
            Target::AtMost(2.0),
        );
    }
}

// ---- normalization ---------------------------------------------------------------------

fn normalization(report: &mut Report) {
    let engine = Engine::new(MemoryStore::new(), EngineConfig::default()).unwrap();
    let normalizer = engine.phones();
    let realistic = CallStream::realistic(10_000, 2_000, 7);
    let fresh = CallStream::all_new(50_000, 11);
    for (name, stream, rounds, target) in [
        ("realistic stream (10,000 calls, 80% from 20%)", &realistic, 7, Target::AtLeast(10.0)),
        ("all-new numbers (50,000)", &fresh, 3, Target::AtLeast(1.0)),
    ] {
        let raws: Vec<&str> = stream.calls.iter().map(|e| e.called.as_str()).collect();
        let n = raws.len();
        let ours = time_per_op(rounds, n, |i| {
            black_box(normalizer.key(black_box(raws[i % n])));
        });
        let theirs = time_per_op(rounds.min(3), n, |i| {
            black_box(reference_e164(black_box(raws[i % n])));
        });
        report.add(
            format!("normalize, {name}, per number"),
            ns(ours),
            "phonenumber parse + E.164 format",
            ns(theirs),
            Some(theirs / ours),
            target,
        );
        #[cfg(feature = "rlibphonenumber")]
        {
            let metadata = PhoneNormalizer::with_parser(
                callreg_core::phone::Region::RU,
                8192,
                std::sync::Arc::new(callreg_core::phone::PhonenumberMetadata),
            );
            let other = time_per_op(rounds, n, |i| {
                black_box(metadata.key(black_box(raws[i % n])));
            });
            report.add(
                format!("normalize, {name}, phonenumber-metadata backend"),
                ns(other),
                "rlibphonenumber backend (default with the feature)",
                ns(ours),
                Some(other / ours),
                Target::None,
            );
        }
    }
    agreement(report, normalizer, &realistic, &fresh);
}

/// Results against the numbers' true E.164 form and against the reference.
fn agreement(report: &mut Report, normalizer: &PhoneNormalizer, a: &CallStream, b: &CallStream) {
    let (mut total, mut ours_right, mut reference_right, mut differ_where_reference_right) =
        (0, 0, 0, 0);
    let mut wrong_examples = Vec::new();
    for entry in a.calls.iter().chain(&b.calls) {
        total += 1;
        let truth = entry.e164_text();
        let ours = match normalizer.key(&entry.called) {
            Some(PhoneKey::E164(e)) => Some(e.to_string()),
            _ => None,
        };
        let theirs = reference_e164(&entry.called);
        if ours.as_deref() == Some(truth.as_str()) {
            ours_right += 1;
        } else if wrong_examples.len() < 5 {
            wrong_examples.push(format!("{} -> {ours:?} (want {truth})", entry.called));
        }
        if theirs.as_deref() == Some(truth.as_str()) {
            reference_right += 1;
            if ours != theirs {
                differ_where_reference_right += 1;
            }
        }
    }
    if !wrong_examples.is_empty() {
        eprintln!("  numbers the engine reads wrong: {wrong_examples:#?}");
    }
    report.add(
        "normalize, numbers read right (of the 60,000 above)",
        format!("{ours_right} of {total}"),
        "phonenumber reads right",
        format!("{reference_right} of {total}"),
        None,
        Target::None,
    );
    report.add(
        "normalize, differences where phonenumber is right",
        differ_where_reference_right.to_string(),
        "—",
        "—",
        Some(differ_where_reference_right as f64),
        Target::AtMost(0.0),
    );
}

// ---- lookups ---------------------------------------------------------------------------

/// Timings of one store at one size, in ns per lookup.
#[derive(Debug, Default, Clone, Copy)]
struct LookupTimes {
    hit: f64,
    miss: f64,
    suffix: f64,
    floor_hit: f64,
    floor_miss: f64,
    floor_suffix: f64,
}

fn engine_times<S: CrmStore>(
    engine: &Engine<S>,
    work: &LookupWorkload,
    rounds: usize,
) -> (f64, f64, f64) {
    let hits: Vec<&str> = work.hits.iter().map(|e| e.called.as_str()).collect();
    let misses: Vec<&str> = work.misses.iter().map(|e| e.called.as_str()).collect();
    // Every hit finds its owner, tier 3 finds the number its variant stands for.
    for raw in hits.iter().take(100) {
        assert!(engine.find_owners_of_number(raw, None).unwrap().primary.is_some(), "{raw}");
    }
    for raw in work.suffix_hits.iter().take(100) {
        let keys = caller_keys(engine.phones(), raw, None);
        let found = engine.read(|tx| find_owners_in_tiers(tx, &keys, Some(10))).unwrap();
        assert_eq!(found.tier, Some(MatchTier::NationalSuffix), "{raw}");
    }
    let n = QUERIES;
    let hit = time_per_op(rounds, n, |i| {
        black_box(engine.find_owners_of_number(hits[i % n], None).unwrap());
    });
    let miss = time_per_op(rounds, n, |i| {
        black_box(engine.find_owners_of_number(misses[i % n], None).unwrap());
    });
    let suffix = time_per_op(rounds, n, |i| {
        let keys = caller_keys(engine.phones(), &work.suffix_hits[i % n], None);
        black_box(engine.read(|tx| find_owners_in_tiers(tx, &keys, Some(10))).unwrap());
    });
    (hit, miss, suffix)
}

fn memory_lookups(report: &mut Report) {
    let mut times = Vec::new();
    let mut latency_floor = None;
    for size in SIZES {
        let work = LookupWorkload::new(size, QUERIES);
        let engine = if size == 1_000_000 {
            // Bytes per phone: what the store holds after a million contacts, less what the
            // engine over an empty store holds.
            ALLOC.start();
            let engine = Engine::new(MemoryStore::new(), EngineConfig::default()).unwrap();
            let baseline = ALLOC.live();
            add_contacts(&engine, &work.book);
            let per_phone = (ALLOC.live() - baseline) as f64 / size as f64;
            ALLOC.stop();
            report.add(
                "memory store, bytes per stored phone at 1M (counted allocations)",
                format!("{per_phone:.0} B"),
                "—",
                "—",
                Some(per_phone),
                Target::AtMost(300.0),
            );
            engine
        } else {
            memory_engine(&work.book, EngineConfig::default())
        };
        let (hit, miss, suffix) = engine_times(&engine, &work, 5);
        let floor = HashMapFloor::new(&work.book);
        let hit_keys: Vec<u64> = work.hits.iter().map(|e| e.e164).collect();
        let miss_keys: Vec<u64> = work.misses.iter().map(|e| e.e164).collect();
        let n = QUERIES;
        let floor_hit = time_per_op(5, n, |i| {
            black_box(floor.probe(black_box(hit_keys[i % n])));
        });
        let floor_miss = time_per_op(5, n, |i| {
            black_box(floor.probe(black_box(miss_keys[i % n])));
        });
        if size == 1_000_000 {
            // The same probes one at a time: each key's position depends on the previous
            // answer (times a zero the compiler cannot see), so no two misses overlap, as
            // none do between an engine's lookups.
            let zero = black_box(0_u64);
            let mut previous = 0_u64;
            let one_at_a_time = time_per_op(5, n, |i| {
                let key = hit_keys[(i + (previous & zero) as usize) % n];
                previous = floor.probe(key).unwrap_or(1);
            });
            latency_floor = Some((hit, one_at_a_time));
        }
        let btree = BTreeFloor::new(&work.book);
        let tails: Vec<String> =
            work.suffix_hits.iter().map(|raw| reversed_tail(raw, 10)).collect();
        let floor_suffix = time_per_op(5, n, |i| {
            black_box(btree.probe(&tails[i % n]));
        });
        times.push((size, LookupTimes { hit, miss, suffix, floor_hit, floor_miss, floor_suffix }));
    }
    lookup_lines(
        report,
        "memory",
        "bare HashMap<u64, u64> probe",
        "bare BTreeMap range probe",
        &times,
        4.0,
    );
    if let Some((hit, one_at_a_time)) = latency_floor {
        report.add(
            "memory lookup at 1M, hit",
            ns(hit),
            "bare HashMap probes one at a time",
            ns(one_at_a_time),
            Some(hit / one_at_a_time),
            Target::None,
        );
    }
}

fn sqlite_lookups(report: &mut Report) {
    let dir = tempfile::tempdir().unwrap();
    let mut times = Vec::new();
    let mut engine_100k = 0.0;
    let mut like_100k = 0.0;
    for size in SIZES {
        let work = LookupWorkload::new(size, QUERIES);
        let store = SqliteStore::open(dir.path().join(format!("store-{size}.db"))).unwrap();
        let engine = Engine::new(store, EngineConfig::default()).unwrap();
        bulk_load(&engine, &work.book);
        let (hit, miss, suffix) = engine_times(&engine, &work, 3);
        let floor = SqliteFloor::new(&work.book, &dir.path().join(format!("floor-{size}.db")));
        let hit_keys: Vec<String> = work.hits.iter().map(|e| e.e164_text()).collect();
        let miss_keys: Vec<String> = work.misses.iter().map(|e| e.e164_text()).collect();
        let n = QUERIES;
        let floor_hit = time_per_op(3, n, |i| {
            black_box(floor.probe(&hit_keys[i % n]));
        });
        let floor_miss = time_per_op(3, n, |i| {
            black_box(floor.probe(&miss_keys[i % n]));
        });
        let range = SqliteRangeFloor::new(&work.book, &dir.path().join(format!("range-{size}.db")));
        let tails: Vec<String> =
            work.suffix_hits.iter().map(|raw| reversed_tail(raw, 10)).collect();
        let floor_suffix = time_per_op(3, n, |i| {
            black_box(range.probe(&tails[i % n]));
        });
        if size == 100_000 {
            let like = LikeBaseline::new(&work.book, &dir.path().join("like.db"));
            engine_100k = hit;
            like_100k = time_per_op(3, 20, |i| {
                black_box(like.lookup(&work.hits[i % n].called));
            });
        }
        times.push((size, LookupTimes { hit, miss, suffix, floor_hit, floor_miss, floor_suffix }));
    }
    lookup_lines(
        report,
        "SQLite",
        "bare indexed point SELECT",
        "bare indexed range SELECT",
        &times,
        2.0,
    );
    report.add(
        "SQLite lookup at 100k, hit",
        ns(engine_100k),
        "LIKE '%<last 10 digits>' at 100k",
        ns(like_100k),
        Some(like_100k / engine_100k),
        Target::AtLeast(100.0),
    );
}

fn size_name(size: usize) -> &'static str {
    match size {
        1_000 => "1k",
        100_000 => "100k",
        _ => "1M",
    }
}

fn lookup_lines(
    report: &mut Report,
    store: &str,
    floor: &str,
    range_floor: &str,
    times: &[(usize, LookupTimes)],
    floor_target: f64,
) {
    for (size, t) in times {
        let at_1m = *size == 1_000_000;
        let name = size_name(*size);
        report.add(
            format!("{store} lookup at {name}, hit"),
            ns(t.hit),
            floor,
            ns(t.floor_hit),
            Some(t.hit / t.floor_hit),
            if at_1m { Target::AtMost(floor_target) } else { Target::None },
        );
        report.add(
            format!("{store} lookup at {name}, miss"),
            ns(t.miss),
            floor,
            ns(t.floor_miss),
            Some(t.miss / t.floor_miss),
            Target::None,
        );
        report.add(
            format!("{store} tier-3 lookup (10 digits) at {name}, hit"),
            ns(t.suffix),
            range_floor,
            ns(t.floor_suffix),
            Some(t.suffix / t.floor_suffix),
            Target::None,
        );
    }
    let (first, last) = (times[0].1, times[times.len() - 1].1);
    report.add(
        format!("{store} lookup at 1M, hit"),
        ns(last.hit),
        "the same at 1k",
        ns(first.hit),
        Some(last.hit / first.hit),
        Target::AtMost(2.0),
    );
    report.add(
        format!("{store} lookup at 1M, miss"),
        ns(last.miss),
        "the same at 1k",
        ns(first.miss),
        Some(last.miss / first.miss),
        Target::AtMost(2.0),
    );
}

// ---- register --------------------------------------------------------------------------

fn registration(report: &mut Report) {
    let book = PhoneBook::generate(100_000, 42);
    let dir = tempfile::tempdir().unwrap();
    // Nanoseconds per registration: the median of `rounds` batches, after one warm-up batch.
    fn steady<S: CrmStore>(
        engine: &Engine<S>,
        book: &PhoneBook,
        rounds: usize,
        batch: usize,
    ) -> f64 {
        let mut calls = SteadyRegistrations::new(engine, book);
        calls.batch(batch);
        let mut samples: Vec<f64> =
            (0..rounds).map(|_| calls.batch(batch).as_nanos() as f64 / batch as f64).collect();
        samples.sort_by(f64::total_cmp);
        samples[samples.len() / 2]
    }
    let memory = memory_engine(&book, EngineConfig::default());
    let memory_ns = steady(&memory, &book, 7, 5_000);
    let per_second = 1e9 / memory_ns;
    report.add(
        "memory register, calls per second",
        format!("{per_second:.0}/s ({})", ns(memory_ns)),
        "—",
        "—",
        Some(per_second),
        Target::AtLeast(200_000.0),
    );
    let store = SqliteStore::open(dir.path().join("register.db")).unwrap();
    let sqlite = Engine::new(store, EngineConfig::default()).unwrap();
    bulk_load(&sqlite, &book);
    let sqlite_ns = steady(&sqlite, &book, 5, 500);
    let mut bare = BareCommit::new(&dir.path().join("bare.db"));
    let entry = book.entries[0].clone();
    // Rounds of 5,000 commits: each holds several of SQLite's checkpoints (one per 1,000
    // pages of log), so every round carries its share of them, not some none and some two.
    let bare_ns = time_per_op(5, 5_000, |_| bare.commit_one(&entry));
    // What each transaction writes: WAL frames (one per B-tree page changed) per commit.
    let register_pages = wal_pages_per_commit(&dir.path().join("register.db"), 100, |i| {
        let entry = &book.entries[i % book.entries.len()];
        let request = RegisterRequest::incoming(1, entry.called.clone())
            .external_call_id(format!("pages-{i}"));
        drop(sqlite.register(&admin(), &request).unwrap());
    });
    let bare_pages =
        wal_pages_per_commit(&dir.path().join("bare.db"), 100, |_| bare.commit_one(&entry));
    report.add(
        "SQLite register, pages written per commit (WAL frames)",
        format!("{register_pages:.1}"),
        "bare single-row INSERT commit",
        format!("{bare_pages:.1}"),
        Some(register_pages / bare_pages),
        Target::None,
    );
    add_rate_share(
        report,
        "SQLite register, share of the bare commit rate",
        sqlite_ns,
        "bare single-row INSERT commit",
        bare_ns,
        Target::AtLeast(0.4),
    );
    // The ideal registration appends what the last registration stored: its call's row, with
    // the call's three events.
    let call_row = last_registration(&dir.path().join("register.db"));
    let mut ideal = IdealRegistration::new(&book, &dir.path().join("ideal.db"), call_row);
    let ideal_ns = time_per_op(5, 5_000, |i| ideal.register(&book.entries[i % book.entries.len()]));
    let ideal_pages = wal_pages_per_commit(&dir.path().join("ideal.db"), 100, |i| {
        ideal.register(&book.entries[i % book.entries.len()])
    });
    report.add(
        "SQLite ideal registration (one row appended, two reads), pages per commit",
        format!("{ideal_pages:.1}"),
        "bare single-row INSERT commit",
        format!("{bare_pages:.1}"),
        Some(ideal_pages / bare_pages),
        Target::None,
    );
    add_rate_share(
        report,
        "SQLite ideal registration, share of the bare commit rate",
        ideal_ns,
        "bare single-row INSERT commit",
        bare_ns,
        Target::None,
    );
    let mut unchecked = BareCommit::without_checkpoints(&dir.path().join("bare-unchecked.db"));
    let unchecked_ns = time_per_op(5, 1_000, |_| unchecked.commit_one(&entry));
    add_rate_share(
        report,
        "SQLite register, share of a commit that is never checkpointed",
        sqlite_ns,
        "bare commit, checkpoints off",
        unchecked_ns,
        Target::None,
    );
}

// ---- listings --------------------------------------------------------------------------

/// Pages of finished calls at 100,000 statistics rows on SQLite, against reading every row.
fn listings(report: &mut Report) {
    const ROWS: usize = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("listing.db")).unwrap();
    let engine = Engine::new(store, EngineConfig::default()).unwrap();
    load_finished_calls(&engine, ROWS);
    let every_row = time_per_op(3, 2, |_| {
        black_box(engine.call_records().unwrap());
    });
    let all = CallRecordFilter::default();
    let by_user =
        CallRecordFilter { portal_user_id: Some(UserId(3)), ..CallRecordFilter::default() };
    let lines: [(&str, f64); 3] = [
        (
            "SQLite statistics page at offset 50,000 (of 100k rows)",
            time_per_op(5, 10, |_| {
                black_box(engine.call_records_page(&all, ROWS / 2, 50).unwrap());
            }),
        ),
        (
            "SQLite statistics page filtered by PORTAL_USER_ID (100k rows)",
            time_per_op(5, 10, |_| {
                black_box(engine.call_records_page(&by_user, 0, 50).unwrap());
            }),
        ),
        (
            "SQLite 20 latest finished calls (`callreg calls`, 100k rows)",
            time_per_op(5, 4, |_| {
                black_box(engine.read(|tx| tx.latest_call_records(20)).unwrap());
            }),
        ),
    ];
    for (figure, time) in lines {
        report.add(
            figure,
            ns(time),
            "reading every row",
            ns(every_row),
            Some(every_row / time),
            Target::None,
        );
    }
}

/// A row comparing two commit rates: `ns_each` per transaction against the floor's `floor_ns`,
/// each shown as a rate and a time, the ratio being the share of the floor's rate.
fn add_rate_share(
    report: &mut Report,
    figure: &str,
    ns_each: f64,
    floor: &str,
    floor_ns: f64,
    target: Target,
) {
    report.add(
        figure,
        format!("{:.0}/s ({})", 1e9 / ns_each, ns(ns_each)),
        floor,
        format!("{:.0}/s ({})", 1e9 / floor_ns, ns(floor_ns)),
        Some(floor_ns / ns_each),
        target,
    );
}

/// WAL frames appended per transaction of `commit`, over `count` of them: the WAL is
/// checkpointed and emptied first (from a second connection), and `count` is small enough
/// for no automatic checkpoint to run in between.
fn wal_pages_per_commit(
    path: &std::path::Path,
    count: usize,
    mut commit: impl FnMut(usize),
) -> f64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    // (busy, frames in the log) of a checkpoint.
    let checkpoint = |mode: &str| -> (i64, i64) {
        let pragma = format!("PRAGMA wal_checkpoint({mode})");
        conn.query_row(&pragma, [], |row| Ok((row.get(0)?, row.get(1)?))).unwrap()
    };
    // A store's checkpoint thread may be busy with the log: wait until it is emptied.
    for _ in 0..1_000 {
        if checkpoint("TRUNCATE") == (0, 0) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let frames = |mode: &str| checkpoint(mode).1;
    for i in 0..count {
        commit(i);
    }
    frames("PASSIVE") as f64 / count as f64
}
