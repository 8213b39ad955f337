//! The lookup cache at its default sizes: a hot hit, a warm hit, a miss, an insert, and
//! purging a full cache.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use souk_core::cache::{CacheConfig, TieredCache};

const HOUR_MS: u64 = 60 * 60 * 1000;

/// A cache at its default sizes, full: keys 0..1000, the last 100 also in the hot tier.
fn full() -> TieredCache<u64, [u8; 32]> {
    let mut cache = TieredCache::new(CacheConfig::default());
    for key in 0..1000 {
        cache.insert(key, [key as u8; 32], 0);
    }
    cache
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("cache");
    let mut cache = full();
    group.bench_function("hot hit", |b| b.iter(|| cache.get(black_box(&999), 1)));
    // Two hours in: too old for the hot tier, so every lookup answers from warm.
    group.bench_function("warm hit", |b| b.iter(|| cache.get(black_box(&10), 2 * HOUR_MS)));
    group.bench_function("miss", |b| b.iter(|| cache.get(black_box(&5000), 1)));
    let mut key = 10_000u64;
    group.bench_function("insert", |b| {
        b.iter(|| {
            key += 1;
            cache.insert(key, [0; 32], 1)
        })
    });
    group.bench_function("purge a full cache", |b| {
        b.iter_batched(full, |mut c| c.purge_expired(25 * HOUR_MS), BatchSize::SmallInput)
    });
    group.finish();
}

criterion_group!(cache, benches);
criterion_main!(cache);
