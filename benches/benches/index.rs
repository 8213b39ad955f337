//! Loading a registry: building its index, writing its snapshot and loading that, for 10
//! and 100 packages of the npm sample, the demo registry, and (with `SOUK_SHARED`) 1,000
//! and all of the npm corpus; and a catalog of each with the demo registry signed in its
//! log on top (as a relay seeds it), its index brought up to date: merged, and rebuilt
//! whole as a compaction does; and that log's records heard again.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use souk_core::catalog::Catalog;
use souk_core::record::{Entry, PackRecord};
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
    let log = demo_log();
    let catalog = Catalog::from_snapshot(snapshot, index.len() as u64).unwrap();
    let with_log = || {
        let mut catalog = catalog.clone();
        catalog.accept_all(log.clone());
        catalog
    };
    group.bench_function("log-index", |b| {
        b.iter_batched(with_log, |mut c| c.index().len(), BatchSize::LargeInput)
    });
    group.bench_function("log-compact", |b| {
        b.iter_batched(with_log, |mut c| c.compact(), BatchSize::LargeInput)
    });
    // The log's records heard again, as a relay hears a record by gossip and then in a put.
    group.bench_function("log-heard-again", |b| {
        let again = |c: &mut Catalog| log.iter().filter(|e| c.accept((*e).clone()) == Ok(false)).count();
        b.iter_batched(with_log, |mut c| again(&mut c), BatchSize::LargeInput)
    });
    group.finish();
}

/// The demo registry's packs, signed, as entries of a log.
fn demo_log() -> Vec<Entry> {
    let demo = souk_benches::demo().build().unwrap();
    let sign =
        |p: souk_core::PackRef<'_>| PackRecord::sign(p.to_version().unwrap(), &[7; 32]).unwrap().into();
    demo.iter().map(sign).collect()
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
