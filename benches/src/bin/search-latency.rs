//! Native search latency on the full npm corpus and slices of it, as JSON.
//!
//! `SOUK_SHARED=../shared cargo run --release -p souk-benches --bin search-latency`

use std::time::Instant;

use souk_core::Index;

fn main() {
    let Some(full) = souk_benches::npm_full() else { return };
    let epoch = Instant::now();
    let now = || epoch.elapsed().as_secs_f64() * 1000.0;
    let mut report = serde_json::Map::new();
    for (label, index) in souk_benches::slices(&full) {
        let snapshot = index.to_snapshot();
        let start = now();
        let loaded = Index::from_snapshot(&snapshot).expect("loads");
        let load_ms = now() - start;
        let latency = souk_benches::latency::measure(&loaded, 20, now);
        report.insert(
            label,
            serde_json::json!({ "packs": loaded.len(), "snapshot_bytes": snapshot.len(), "load_ms": load_ms, "latency_ms": latency }),
        );
    }
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}
