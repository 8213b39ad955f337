//! Loading a registry: building its index, writing its snapshot and loading that, for 10
//! and 100 packages of the npm sample, the demo registry, and (with `SOUK_SHARED`) 1,000
//! and all of the npm corpus.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use souk_core::{Index, IndexBuilder};

fn bench_corpus(c: &mut Criterion, label: &str, builder: impl Fn() -> IndexBuilder) {
    let index = builder().build().unwrap();
    let snapshot = index.to_snapshot();
    let mut group = c.benchmark_group(label);
    if index.len() > 10_000 {
        group.sample_size(10);
    }
    group
        .bench_function("build", |b| b.iter_batched(&builder, |b| b.build().unwrap(), BatchSize::LargeInput));
    group.bench_function("snapshot-write", |b| b.iter(|| black_box(&index).to_snapshot()));
    group.bench_function("snapshot-load", |b| b.iter(|| Index::from_snapshot(black_box(&snapshot)).unwrap()));
    group.finish();
}

/// A builder holding every version of `index`, made afresh for each build.
fn builder_of(index: &Index) -> impl Fn() -> IndexBuilder {
    let versions: Vec<_> = index.iter().map(|p| p.to_version().unwrap()).collect();
    move || {
        let mut b = IndexBuilder::default();
        versions.iter().cloned().for_each(|v| b.push(v));
        b
    }
}

fn benches(c: &mut Criterion) {
    let sample = souk_benches::npm_sample().build().unwrap();
    for size in [10, 100] {
        bench_corpus(c, &format!("npm-{size}"), builder_of(&souk_benches::slice(&sample, size)));
    }
    bench_corpus(c, "demo", souk_benches::demo);
    if let Some(full) = souk_benches::npm_full() {
        bench_corpus(c, "npm-1k", builder_of(&souk_benches::slice(&full, 1_000)));
        bench_corpus(c, "npm-full", builder_of(&full));
    }
}

criterion_group!(index, benches);
criterion_main!(index);
