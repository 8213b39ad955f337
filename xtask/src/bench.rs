//! Benchmarks that span several targets.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::WASM;
use crate::setup;
use crate::shell::{Cmd, cargo, root, target_dir};

/// Search natively, in wasm under Node, and with MiniSearch and FlexSearch, on the same
/// corpora and queries; the table lands in `target/bench/search/comparison.md`.
pub fn search() -> Result<()> {
    setup::wasm_tools()?;
    setup::npm_packages("benches/js")?;
    let shared = match std::env::var_os("SOUK_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => root().join("../shared"),
    };
    let corpus = shared.join("corpus/npm-packages.tsv");
    anyhow::ensure!(
        corpus.is_file(),
        "{} is missing: set SOUK_SHARED to the shared/ folder",
        corpus.display()
    );
    let shared = shared.canonicalize().context("SOUK_SHARED")?;
    let out = target_dir()?.join("bench/search");

    cargo(["run", "--release", "--quiet", "-p", "souk-benches", "--bin", "search-latency", "--"])
        .arg(&out)
        .env("SOUK_SHARED", &shared)
        .quiet()
        .run()?;
    cargo(["build", "--release", "--target", WASM, "-p", "souk-benches", "--lib"]).run()?;
    let module = target_dir()?.join(WASM).join("release/souk_benches.wasm");
    Cmd::new("wasm-bindgen")
        .args(["--target", "nodejs", "--out-dir"])
        .arg(out.join("wasm"))
        .arg(&module)
        .run()?;
    Cmd::new("node")
        .args(["--expose-gc", "--max-old-space-size=6144", "benches/js/compare.mjs"])
        .arg(&out)
        .run()?;
    eprintln!("\nwritten: {0}/comparison.md and {0}/comparison.json", out.display());
    Ok(())
}
