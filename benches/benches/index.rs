//! Index build, snapshot write and load, and search over the demo registry, the npm sample
//! and (with `SOUK_SHARED`) the full npm corpus.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use souk_core::search::{Query, search};
use souk_core::{Index, IndexBuilder};

fn bench_corpus(c: &mut Criterion, label: &str, builder: impl Fn() -> IndexBuilder, index: &Index) {
    let mut group = c.benchmark_group(label);
    group.bench_function("build", |b| {
        b.iter_batched(&builder, |builder| builder.build().unwrap(), BatchSize::LargeInput)
    });
    let snapshot = index.to_snapshot();
    group.bench_function("snapshot-write", |b| b.iter(|| black_box(index).to_snapshot()));
    group.bench_function("snapshot-load", |b| b.iter(|| Index::from_snapshot(black_box(&snapshot)).unwrap()));
    for query in ["react", "eslint plugin", ""] {
        group.bench_function(format!("search {query:?}"), |b| {
            b.iter(|| search(black_box(index), &Query::new(black_box(query))))
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    let demo = souk_benches::demo().build().unwrap();
    bench_corpus(c, "demo", souk_benches::demo, &demo);
    let sample = souk_benches::npm_sample().build().unwrap();
    bench_corpus(c, "npm-300", souk_benches::npm_sample, &sample);

    if let Some(full) = souk_benches::npm_full() {
        let snapshot = full.to_snapshot();
        let mut group = c.benchmark_group("npm-full");
        group.sample_size(10);
        group.bench_function("snapshot-load", |b| {
            b.iter(|| Index::from_snapshot(black_box(&snapshot)).unwrap())
        });
        group.bench_function("search \"react\"", |b| {
            b.iter(|| search(black_box(&full), &Query::new("react")))
        });
        group.finish();
    }
}

criterion_group!(index, benches);
criterion_main!(index);
