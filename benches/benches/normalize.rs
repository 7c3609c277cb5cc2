//! Normalization: the engine's normalizer against a plain `phonenumber` parse + E.164 format,
//! on a realistic call stream and on numbers never seen before.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callreg_benches::CallStream;
use callreg_benches::data::reference_e164;
use callreg_core::phone::PhoneNormalizer;
use callreg_core::{Engine, EngineConfig};
use callreg_store_memory::MemoryStore;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn bench_stream(
    c: &mut Criterion,
    name: &str,
    stream: &CallStream,
    normalizers: &[(&str, &PhoneNormalizer)],
) {
    let raws: Vec<&str> = stream.calls.iter().map(|e| e.called.as_str()).collect();
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(raws.len() as u64));
    group.sample_size(20).measurement_time(Duration::from_secs(5));
    for (label, normalizer) in normalizers {
        group.bench_function(*label, |b| {
            b.iter(|| {
                for raw in &raws {
                    black_box(normalizer.key(black_box(raw)));
                }
            });
        });
    }
    group.bench_function("phonenumber-parse-format", |b| {
        b.iter(|| {
            for raw in &raws {
                black_box(reference_e164(black_box(raw)));
            }
        });
    });
    group.finish();
}

fn normalize(c: &mut Criterion) {
    let engine = Engine::new(MemoryStore::new(), EngineConfig::default()).expect("engine");
    #[allow(unused_mut)]
    let mut normalizers: Vec<(&str, &PhoneNormalizer)> = vec![("engine", engine.phones())];
    #[cfg(feature = "rlibphonenumber")]
    let metadata = PhoneNormalizer::with_parser(
        callreg_core::phone::Region::RU,
        8192,
        std::sync::Arc::new(callreg_core::phone::PhonenumberMetadata),
    );
    #[cfg(feature = "rlibphonenumber")]
    normalizers.push(("engine-phonenumber-metadata", &metadata));

    // 10,000 calls, 80% of them from 20% of 2,000 numbers.
    let realistic = CallStream::realistic(10_000, 2_000, 7);
    bench_stream(c, "normalize/realistic-stream", &realistic, &normalizers);
    // 50,000 distinct numbers: more than the normalizer's cache holds (8,192), so every pass
    // reads every number afresh.
    let fresh = CallStream::all_new(50_000, 11);
    bench_stream(c, "normalize/all-new-numbers", &fresh, &normalizers);
}

criterion_group!(benches, normalize);
criterion_main!(benches);
