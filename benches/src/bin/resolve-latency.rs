//! Native resolution latency: the synthetic workloads, the real cases of
//! `shared/resolve/roots/` on `crates-index.jsonl.gz`, and on `crates-index-large.jsonl.gz`
//! those of `roots-large/` (sqlx with postgres and sqlite) and of this crate's
//! `data/roots-large/` (the largest of the thousand random root sets the resolver was
//! checked on against cargo, 564 packages), as JSON.
//!
//! `SOUK_SHARED=../shared cargo run --release -p souk-benches --bin resolve-latency [OUT]`
//!
//! With `OUT`, also writes there what the wasm run needs (for each index, `{label}.jsonl`
//! and `{label}-manifests.json`) and the report (`native.json`); `cargo xtask compare` runs
//! both.

use std::path::{Path, PathBuf};
use std::time::Instant;

const ROUNDS: usize = 20;

/// Each index the real cases resolve on: its label, its file, and the folder of its cases.
const SETS: [(&str, &str, &str); 2] = [
    ("index", "crates-index.jsonl.gz", "roots"),
    ("index-large", "crates-index-large.jsonl.gz", "roots-large"),
];

fn main() {
    let shared = std::env::var_os("SOUK_SHARED").map(PathBuf::from);
    let out = std::env::args_os().nth(1).map(PathBuf::from);
    if shared.is_none() {
        eprintln!("note: set SOUK_SHARED to the shared/ folder to include the real cases");
    }
    let epoch = Instant::now();
    let now = || epoch.elapsed().as_secs_f64() * 1000.0;
    let mut report = souk_benches::resolution::report(None, &[], true, ROUNDS, now);
    for (label, file, roots) in SETS {
        let Some(dir) = shared.as_ref().map(|s| s.join("resolve")) else { break };
        let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(roots);
        let (index, manifests) = real_cases(&dir.join(file), &[dir.join(roots), ours]);
        let part = souk_benches::resolution::report(Some((label, &index)), &manifests, false, ROUNDS, now);
        report.as_object_mut().unwrap().extend(part.as_object().unwrap().clone());
        if let Some(dir) = &out {
            std::fs::create_dir_all(dir).expect("the output folder");
            std::fs::write(dir.join(format!("{label}.jsonl")), index).expect("writes");
            let manifests: serde_json::Map<String, serde_json::Value> =
                manifests.into_iter().map(|(name, text)| (name, text.into())).collect();
            let json = serde_json::to_string(&manifests).unwrap();
            std::fs::write(dir.join(format!("{label}-manifests.json")), json).expect("writes");
        }
    }
    let json = serde_json::to_string_pretty(&report).expect("serializes");
    if let Some(dir) = &out {
        std::fs::create_dir_all(dir).expect("the output folder");
        std::fs::write(dir.join("native.json"), &json).expect("writes");
    }
    println!("{json}");
}

/// An index as text and every case's manifest under the `roots` folders there are, by
/// case name.
fn real_cases(index: &Path, roots: &[PathBuf]) -> (String, Vec<(String, String)>) {
    let bytes = souk::import::read_maybe_gzipped(index).expect("the index reads");
    let index = String::from_utf8(bytes).expect("the index is UTF-8");
    let mut cases: Vec<(String, String)> = roots
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .map(|e| {
            let path = e.expect("a case").path();
            let name = path.file_name().expect("named").to_string_lossy().into_owned();
            (name, std::fs::read_to_string(path.join("Cargo.toml")).expect("a manifest"))
        })
        .collect();
    cases.sort();
    (index, cases)
}
