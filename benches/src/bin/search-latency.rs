//! Native search latency on the full npm corpus and its 1k and 10k slices.
//!
//! `SOUK_SHARED=../shared cargo run --release -p souk-benches --bin search-latency [OUT]`
//!
//! Prints a JSON report. With `OUT`, also writes there what the other targets of the
//! comparison need (see `cargo xtask compare`): each corpus's snapshot (`NAME.idx`),
//! its packages as `name, description, downloads` lines (`NAME.tsv`, for the JavaScript
//! libraries) and the report (`native.json`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use souk_core::Index;

const ROUNDS: usize = 20;

fn main() {
    let Some(full) = souk_benches::npm_full() else { return };
    let out = std::env::args_os().nth(1).map(PathBuf::from);
    let epoch = Instant::now();
    let now = || epoch.elapsed().as_secs_f64() * 1000.0;
    let mut reports = BTreeMap::new();
    for (label, index) in souk_benches::slices(&full) {
        let snapshot = index.to_snapshot();
        let start = now();
        let loaded = Index::from_snapshot(&snapshot).expect("loads");
        let load_ms = now() - start;
        reports.insert(
            label.clone(),
            souk_benches::latency::report(&loaded, load_ms, snapshot.len(), ROUNDS, now),
        );
        if let Some(dir) = &out {
            std::fs::create_dir_all(dir).expect("the output folder");
            std::fs::write(dir.join(format!("{label}.idx")), &snapshot).expect("writes");
            let mut tsv = String::new();
            for pack in loaded.iter().filter(|p| loaded.is_latest(p.record())) {
                let description = pack.description().replace(['\t', '\n'], " ");
                tsv.push_str(&format!("{}\t{description}\t{}\n", pack.name(), pack.downloads()));
            }
            std::fs::write(dir.join(format!("{label}.tsv")), tsv).expect("writes");
        }
    }
    let json = serde_json::to_string_pretty(&reports).expect("serializes");
    if let Some(dir) = &out {
        std::fs::write(dir.join("native.json"), &json).expect("writes");
    }
    println!("{json}");
}
