//! Native resolution latency: a 10-level chain, 50 flat dependencies and the real cases of
//! `shared/resolve/roots/`, as JSON.
//!
//! `SOUK_SHARED=../shared cargo run --release -p souk-benches --bin resolve-latency [OUT]`
//!
//! With `OUT`, also writes there what the wasm run needs (`index.jsonl`, `manifests.json`)
//! and the report (`native.json`); `cargo xtask compare` runs both.

use std::path::{Path, PathBuf};
use std::time::Instant;

const ROUNDS: usize = 20;

fn main() {
    let shared = std::env::var_os("SOUK_SHARED").map(PathBuf::from);
    let out = std::env::args_os().nth(1).map(PathBuf::from);
    let (index, manifests) = match &shared {
        Some(root) => real_cases(&root.join("resolve")),
        None => {
            eprintln!("note: set SOUK_SHARED to the shared/ folder to include the real cases");
            (None, Vec::new())
        }
    };
    let epoch = Instant::now();
    let now = || epoch.elapsed().as_secs_f64() * 1000.0;
    let report = souk_benches::resolution::report(index.as_deref(), &manifests, ROUNDS, now);
    let json = serde_json::to_string_pretty(&report).expect("serializes");
    if let Some(dir) = &out {
        std::fs::create_dir_all(dir).expect("the output folder");
        std::fs::write(dir.join("index.jsonl"), index.unwrap_or_default()).expect("writes");
        let manifests: serde_json::Map<String, serde_json::Value> =
            manifests.into_iter().map(|(name, text)| (name, text.into())).collect();
        std::fs::write(dir.join("manifests.json"), serde_json::to_string(&manifests).unwrap())
            .expect("writes");
        std::fs::write(dir.join("native.json"), &json).expect("writes");
    }
    println!("{json}");
}

/// The index as text and every case's manifest, by case name.
fn real_cases(dir: &Path) -> (Option<String>, Vec<(String, String)>) {
    let bytes =
        souk::import::read_maybe_gzipped(&dir.join("crates-index.jsonl.gz")).expect("the index reads");
    let index = String::from_utf8(bytes).expect("the index is UTF-8");
    let mut cases: Vec<(String, String)> = std::fs::read_dir(dir.join("roots"))
        .expect("the cases")
        .map(|e| {
            let path = e.expect("a case").path();
            let name = path.file_name().expect("named").to_string_lossy().into_owned();
            (name, std::fs::read_to_string(path.join("Cargo.toml")).expect("a manifest"))
        })
        .collect();
    cases.sort();
    (Some(index), cases)
}
