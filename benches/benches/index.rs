//! Building an index, writing its snapshot and loading it: the demo registry, the npm
//! sample and (with `SOUK_SHARED`) the full npm corpus.

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

fn benches(c: &mut Criterion) {
    bench_corpus(c, "demo", souk_benches::demo);
    bench_corpus(c, "npm-300", souk_benches::npm_sample);
    if let Some(full) = souk_benches::npm_full() {
        let versions: Vec<_> = full.iter().map(|p| p.to_version().unwrap()).collect();
        bench_corpus(c, "npm-full", || {
            let mut b = IndexBuilder::default();
            versions.iter().cloned().for_each(|v| b.push(v));
            b
        });
    }
}

criterion_group!(index, benches);
criterion_main!(index);
