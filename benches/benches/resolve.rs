//! Resolution: a 10-level chain, 50 flat dependencies, and (with `SOUK_SHARED`) the real
//! `libp2p-native` and `all-visible` cases, with parsing the crates.io index timed apart.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use souk_benches::resolution::{chain, flat};
use souk_core::resolve::resolve;

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("resolve");
    for (label, (registry, root)) in [("chain-10", chain(10)), ("flat-50", flat(50))] {
        group.bench_function(label, |b| b.iter(|| resolve(&registry, black_box(&root)).unwrap()));
    }
    let Some(shared) = std::env::var_os("SOUK_SHARED") else {
        eprintln!("skipped: set SOUK_SHARED to the shared/ folder for the real resolution cases");
        return;
    };
    let dir = Path::new(&shared).join("resolve");
    let index = dir.join("crates-index.jsonl.gz");
    group.sample_size(20);
    group.bench_function("index-parse", |b| b.iter(|| souk::import::crates_registry(&index).unwrap()));
    let registry = souk::import::crates_registry(&index).unwrap();
    for case in ["libp2p-native", "all-visible"] {
        let manifest = std::fs::read_to_string(dir.join("roots").join(case).join("Cargo.toml")).unwrap();
        let root = souk_pack::cargo::manifest(&manifest).unwrap();
        group.bench_function(case, |b| b.iter(|| resolve(&registry, black_box(&root)).unwrap()));
    }
    group.finish();
}

criterion_group!(resolution, benches);
criterion_main!(resolution);
