//! Search over the npm sample and (with `SOUK_SHARED`) the 1k, 10k and full npm corpus:
//! one benchmark per kind of query in the shared mix (`benches/queries.tsv`), each
//! iteration running every query of that kind once, plus filtered and sorted queries.
//! Per-query percentiles come from the `search-latency` harness.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use souk_core::Index;
use souk_core::search::{Filters, Query, Scratch, Sort, search_with};

fn bench_corpus(c: &mut Criterion, label: &str, index: &Index) {
    let mix = souk_benches::latency::query_mix();
    let mut group = c.benchmark_group(format!("search/{label}"));
    let mut scratch = Scratch::default();
    for kind in ["keyword", "two-word", "typo", "prefix"] {
        let queries: Vec<&str> = mix.iter().filter(|(k, _)| *k == kind).map(|(_, q)| *q).collect();
        group.bench_function(format!("{kind} x{}", queries.len()), |b| {
            b.iter(|| {
                for q in &queries {
                    black_box(search_with(index, &Query::new(q), &mut scratch));
                }
            })
        });
    }
    let filtered =
        Query { filters: Filters { license: Some("MIT"), ..Filters::default() }, ..Query::new("react") };
    group.bench_function("filtered", |b| b.iter(|| search_with(index, black_box(&filtered), &mut scratch)));
    let sorted = Query { sort: Sort::Downloads, ..Query::new("plugin") };
    group.bench_function("sorted by downloads", |b| {
        b.iter(|| search_with(index, black_box(&sorted), &mut scratch))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_corpus(c, "npm-300", &souk_benches::npm_sample().build().unwrap());
    if let Some(full) = souk_benches::npm_full() {
        for (label, index) in souk_benches::slices(&full) {
            bench_corpus(c, &label, &index);
        }
    }
}

criterion_group!(search, benches);
criterion_main!(search);
