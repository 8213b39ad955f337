//! Search over 100 packages of the npm sample and (with `SOUK_SHARED`) 1,000 and all of the
//! npm corpus: one benchmark per kind of query in the shared mix (`benches/queries.tsv`),
//! each iteration running every query of that kind once; then filters (tag, category,
//! license, all together) and sorting. Per-query percentiles come from the
//! `search-latency` harness.

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
    // The npm corpus has no tags or categories: these run on a copy given some.
    let tagged = souk_benches::tagged(index);
    let filtered = |filters| Query { filters, ..Query::new("plugin") };
    let cases = [
        ("tag", Query { filters: Filters { tag: Some("react"), ..Filters::default() }, ..Query::new("") }),
        ("category", filtered(Filters { category: Some("testing"), ..Filters::default() })),
        ("license", filtered(Filters { license: Some("MIT"), ..Filters::default() })),
        (
            "combined filters, by stars",
            Query {
                filters: Filters {
                    tag: Some("react"),
                    category: Some("frontend"),
                    license: Some("MIT"),
                    author: None,
                },
                sort: Sort::Stars,
                ..Query::new("component")
            },
        ),
        ("sorted by downloads", Query { sort: Sort::Downloads, ..Query::new("plugin") }),
        ("sorted by newest", Query { sort: Sort::Newest, ..Query::new("plugin") }),
    ];
    for (name, query) in cases {
        group.bench_function(name, |b| b.iter(|| search_with(&tagged, black_box(&query), &mut scratch)));
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    let sample = souk_benches::npm_sample().build().unwrap();
    bench_corpus(c, "npm-100", &souk_benches::slice(&sample, 100));
    if let Some(full) = souk_benches::npm_full() {
        bench_corpus(c, "npm-1k", &souk_benches::slice(&full, 1_000));
        bench_corpus(c, "npm-full", &full);
    }
}

criterion_group!(search, benches);
criterion_main!(search);
