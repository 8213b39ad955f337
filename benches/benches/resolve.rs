//! Resolution: the synthetic shapes (shallow, a 10-level chain, a 51-package tree, 50 flat
//! dependencies) and (with `SOUK_SHARED`) every real case of `shared/resolve/roots/`, with
//! parsing the crates.io index timed apart.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use souk_core::resolve::resolve;

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("resolve");
    for (label, (registry, root)) in souk_benches::resolution::synthetic() {
        group.bench_function(label, |b| b.iter(|| resolve(&registry, black_box(&root)).unwrap()));
    }
    let Some(shared) = std::env::var_os("SOUK_SHARED") else {
        eprintln!("skipped: set SOUK_SHARED to the shared/ folder for the real resolution cases");
        return;
    };
    let dir = Path::new(&shared).join("resolve");
    let index = dir.join("crates-index.jsonl.gz");
    group.sample_size(20);
    group.bench_function("index-load", |b| b.iter(|| souk::import::crates_registry(&index).unwrap()));
    let registry = souk::import::crates_registry(&index).unwrap();
    let mut cases: Vec<_> =
        std::fs::read_dir(dir.join("roots")).unwrap().map(|e| e.unwrap().path()).collect();
    cases.sort();
    for case in cases {
        let root =
            souk_pack::cargo::manifest(&std::fs::read_to_string(case.join("Cargo.toml")).unwrap()).unwrap();
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        group.bench_function(name, |b| b.iter(|| resolve(&registry, black_box(&root)).unwrap()));
    }
    group.finish();
}

criterion_group!(resolution, benches);
criterion_main!(resolution);
