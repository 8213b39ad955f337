//! Query latency over the shared query mix: every query, timed one by one, summarized as
//! percentiles per kind. The clock is injected, so the same code runs natively
//! (`std::time::Instant`) and in wasm (`performance.now()`).

use std::collections::BTreeMap;

use serde::Serialize;
use souk_core::Index;
use souk_core::search::{Query, Scratch, search_with};

/// The query mix: `(kind, query)` pairs from `benches/queries.tsv`.
pub fn query_mix() -> Vec<(&'static str, &'static str)> {
    include_str!("../queries.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split_once('\t'))
        .collect()
}

/// Percentiles of one kind of query, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Percentiles {
    pub samples: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Percentiles {
    pub fn of(mut ms: Vec<f64>) -> Percentiles {
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
        Percentiles { samples: ms.len(), p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1.0) }
    }
}

/// Runs every query of the mix `rounds` times (after one warm-up round) and reports
/// percentiles per kind and over all queries.
pub fn measure(index: &Index, rounds: usize, now: impl Fn() -> f64) -> BTreeMap<String, Percentiles> {
    let mix = query_mix();
    let mut scratch = Scratch::default();
    let mut samples: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for round in 0..=rounds {
        for &(kind, text) in &mix {
            let start = now();
            let results = search_with(index, &Query::new(text), &mut scratch);
            let took = now() - start;
            std::hint::black_box(results);
            if round > 0 {
                samples.entry(kind.into()).or_default().push(took);
                samples.entry("all".into()).or_default().push(took);
            }
        }
    }
    samples.into_iter().map(|(kind, ms)| (kind, Percentiles::of(ms))).collect()
}

/// What one corpus measured: its size, how long its snapshot took to load, how much memory
/// the loaded index holds, and the query latencies.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub packs: usize,
    pub snapshot_bytes: usize,
    pub memory_bytes: usize,
    pub load_ms: f64,
    pub latency_ms: BTreeMap<String, Percentiles>,
}

pub fn report(
    index: &Index,
    load_ms: f64,
    snapshot_bytes: usize,
    rounds: usize,
    now: impl Fn() -> f64,
) -> Report {
    Report {
        packs: index.len(),
        snapshot_bytes,
        memory_bytes: index.memory_bytes(),
        load_ms,
        latency_ms: measure(index, rounds, now),
    }
}
