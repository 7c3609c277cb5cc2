#![allow(clippy::unwrap_used, clippy::expect_used)]
use callreg_benches::LookupWorkload;
use callreg_benches::stores::memory_engine;
use callreg_core::EngineConfig;
use std::hint::black_box;
fn main() {
    let size: usize = std::env::var("ZZ_SIZE").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let work = LookupWorkload::new(size, 16384);
    let engine = memory_engine(&work.book, EngineConfig::default());
    let hits: Vec<&str> = work.hits.iter().map(|e| e.called.as_str()).collect();
    let mut best = f64::MAX;
    for _ in 0..7 {
        let t = std::time::Instant::now();
        for i in 0..2_000_000 {
            black_box(engine.find_owners_of_number(hits[i % 16384], None).unwrap());
        }
        best = best.min(t.elapsed().as_nanos() as f64 / 2e6);
    }
    println!("{best:.1} ns");
    std::process::exit(0);
}
