//! Benchmarks that span several targets: `cargo xtask compare`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::WASM;
use crate::relay::TestRelay;
use crate::setup;
use crate::shell::{Cmd, cargo, root, target_dir};

/// Search and resolution, natively and in wasm under Node and in headless Chromium, beside
/// MiniSearch, FlexSearch and cargo: one table in `target/bench/comparison.md` (the detail
/// in `target/bench/{search,resolve}/comparison.md`) and a plot in `target/bench/search.svg`.
pub fn compare() -> Result<()> {
    setup::wasm_tools()?;
    setup::chromium()?;
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
    cargo(["build", "--release", "--target", WASM, "-p", "souk-benches", "--lib"]).run()?;
    search(&shared)?;
    resolution(&shared)?;
    generation()?;
    let out = target_dir()?.join("bench");
    Cmd::new("node").arg("benches/js/report.mjs").arg(&out).run()
}

/// The wasm harness, bound for Node into `out/wasm` and for the browser into `out/wasm-web`.
fn bind_wasm(out: &Path) -> Result<()> {
    let module = target_dir()?.join(WASM).join("release/souk_benches.wasm");
    for (target, folder) in [("nodejs", "wasm"), ("web", "wasm-web")] {
        Cmd::new("wasm-bindgen")
            .args(["--target", target, "--out-dir"])
            .arg(out.join(folder))
            .arg(&module)
            .run()?;
    }
    Ok(())
}

/// Runs a native harness binary, which writes its report and what the other targets need
/// into `target/bench/NAME`, and binds the wasm harness there.
fn harness(bin: &str, name: &str, shared: &Path) -> Result<PathBuf> {
    let out = target_dir()?.join("bench").join(name);
    cargo(["run", "--release", "--quiet", "-p", "souk-benches", "--bin", bin, "--"])
        .arg(&out)
        .env("SOUK_SHARED", shared)
        .quiet()
        .run()?;
    bind_wasm(&out)?;
    Ok(out)
}

/// Runs a Node comparison script over a harness's output, which prints its table.
fn compare_in_node(node_args: &[&str], out: &Path, extra: &[String]) -> Result<()> {
    Cmd::new("node").args(node_args).arg(out).args(extra).run()?;
    eprintln!("\nwritten: {0}/comparison.md and {0}/comparison.json", out.display());
    Ok(())
}

/// Search natively, in wasm under Node and in Chromium, and with MiniSearch and FlexSearch, on the same
/// corpora and queries.
fn search(shared: &Path) -> Result<()> {
    let out = harness("search-latency", "search", shared)?;
    compare_in_node(&["--expose-gc", "--max-old-space-size=6144", "benches/js/compare.mjs"], &out, &[])?;
    search_processes(shared, &out)
}

/// Queries typed as a user types them (a typo, two words, a prefix, a plain name).
const PROCESS_QUERIES: [&str; 5] = ["reqest", "react router", "typescript eslint plugin", "expres", "lodash"];
/// Runs of each query in [`search_processes`].
const PROCESS_RUNS: usize = 21;

/// `souk search QUERY --index` as a whole process on the full npm corpus's snapshot (what
/// a user waits for, from exec to exit): the median and p95 of [`PROCESS_RUNS`] runs of
/// each query, interleaved, in `out/processes.md`.
fn search_processes(shared: &Path, out: &Path) -> Result<()> {
    cargo(["build", "--release", "--quiet", "-p", "souk"]).run()?;
    let souk = target_dir()?.join("release/souk");
    let snapshot = out.join("npm.idx");
    Cmd::new(&souk)
        .args(["index", "import"])
        .arg(shared.join("corpus/npm-packages.tsv"))
        .arg("--out")
        .arg(&snapshot)
        .quiet()
        .run()?;
    let mut times = vec![Vec::new(); PROCESS_QUERIES.len()];
    for _ in 0..PROCESS_RUNS {
        for (query, times) in PROCESS_QUERIES.iter().zip(&mut times) {
            let start = Instant::now();
            Cmd::new(&souk)
                .args(["search", query, "--index"])
                .arg(&snapshot)
                .probe()
                .with_context(|| format!("souk search {query} failed"))?;
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let mut table = String::from(
        "| `souk search` on the npm snapshot, whole process | median ms | p95 ms |\n|---|---|---|\n",
    );
    for (query, times) in PROCESS_QUERIES.iter().zip(&mut times) {
        times.sort_by(f64::total_cmp);
        let p95 = times[(times.len() * 95).div_ceil(100) - 1];
        table += &format!("| `{query}` | {:.1} | {p95:.1} |\n", times[times.len() / 2]);
    }
    std::fs::write(out.join("processes.md"), &table)?;
    println!("\n{table}");
    Ok(())
}

/// Connection setup from headless Chromium to one relay (the release build) over each browser
/// transport: `rounds` connects each, interleaved, from a fresh tab swarm every time; the
/// table in `target/bench/connect/connect.md`.
pub fn connect(rounds: usize) -> Result<()> {
    setup::wasm_tools()?;
    setup::chromium()?;
    setup::npm_packages("benches/js")?;
    cargo(["build", "--release", "--target", WASM, "-p", "souk-benches", "--lib"]).run()?;
    cargo(["build", "--release", "-p", "souk"]).run()?;
    let out = target_dir()?.join("bench/connect");
    bind_wasm(&out)?;
    let relay = TestRelay::run(target_dir()?.join("release/souk"), "bench-connect", &[])?;
    let mut node = Cmd::new("node").arg("benches/js/connect.mjs").arg(&out).arg(rounds.to_string());
    for transport in ["/webtransport/", "/webrtc-direct/", "/ws/"] {
        let addr = relay.addrs.iter().find(|a| a.contains(transport));
        node = node.arg(addr.with_context(|| format!("the relay printed no {transport} address"))?);
    }
    node.run()
}

/// Generation: demo packs rendered natively and in wasm under Node (`generate-latency`),
/// and `souk new` beside cookiecutter and copier as whole processes on the same files (both
/// installed from PyPI into a virtual environment under the target folder).
fn generation() -> Result<()> {
    let out = target_dir()?.join("bench/generate");
    std::fs::create_dir_all(&out)?;
    let native = cargo(["run", "--release", "--quiet", "-p", "souk-benches", "--bin", "generate-latency"])
        .probe()
        .context("generate-latency failed")?;
    std::fs::write(out.join("native.json"), &native)?;
    bind_wasm(&out)?;
    println!("Generation, native (ms):\n{native}\nGeneration, wasm under Node (ms):");
    Cmd::new("node").arg("benches/js/generate.mjs").arg(&out).run()?;
    let venv = out.join("venv");
    if !venv.join("bin/copier").exists() {
        Cmd::new("python3").args(["-m", "venv"]).arg(&venv).run()?;
        Cmd::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "cookiecutter==2.7.1", "copier==9.19.1"])
            .run()?;
    }
    cargo(["build", "--release", "--quiet", "-p", "souk"]).run()?;
    let path = format!("{}:{}", venv.join("bin").display(), std::env::var("PATH").unwrap_or_default());
    Cmd::new("python3")
        .arg("benches/generation/compare.py")
        .arg(target_dir()?.join("release/souk"))
        .arg(out.join("processes"))
        .env("PATH", path)
        .run()
}

/// Resolution natively and in wasm under Node and in Chromium, beside cargo's own time; and
/// `souk resolve` against `cargo generate-lockfile` as whole processes.
fn resolution(shared: &Path) -> Result<()> {
    let out = harness("resolve-latency", "resolve", shared)?;
    let dir = shared.join("resolve");
    // The cases compare-resolve.mjs names cargo's time for, in its order.
    let cases = [
        ("crates-index.jsonl.gz", dir.join("roots/libp2p-native")),
        ("crates-index-large.jsonl.gz", dir.join("roots-large/sqlx-pg-sqlite")),
        ("crates-index-large.jsonl.gz", root().join("benches/data/roots-large/random-619")),
        ("crates-index-large.jsonl.gz", root().join("benches/data/roots-large/axum-service")),
    ];
    cargo(["build", "--release", "--quiet", "-p", "souk"]).run()?;
    let mut cargo_seconds = Vec::new();
    let mut table = String::from(
        "| case | cargo generate-lockfile | souk resolve, index lines (.jsonl.gz) | souk resolve, imported snapshot (.idx) |\n|---|---|---|---|\n",
    );
    for (index, case) in &cases {
        let [cargo, lines, snapshot] = whole_processes(&dir.join(index), case, &out.join("processes"))?;
        let name = case.file_name().context("a case name")?.to_string_lossy();
        table.push_str(&format!(
            "| {name} | {} | {} | {} |\n",
            millis(cargo),
            millis(lines),
            millis(snapshot)
        ));
        cargo_seconds.push(cargo.to_string());
    }
    std::fs::write(out.join("processes.md"), &table)?;
    println!("Whole processes, offline, median of {ROUNDS} interleaved rounds (ms):\n\n{table}");
    compare_in_node(&["benches/js/compare-resolve.mjs"], &out, &cargo_seconds[..3])
}

/// Rounds of [`whole_processes`].
const ROUNDS: usize = 5;

fn millis(seconds: f64) -> String {
    format!("{:.0}", seconds * 1000.0)
}

/// How long each of three whole processes takes to lock the case in folder `case` from one
/// frozen index, offline, interleaved round by round so a busy moment hits all three: cargo
/// (the index laid out as a local registry), `souk resolve` from the gzipped index lines, and
/// `souk resolve` from the snapshot `souk index import` writes of them. The median of
/// [`ROUNDS`] each. Every lockfile Souk writes must be cargo's, byte for byte.
fn whole_processes(index_file: &Path, case: &Path, dir: &Path) -> Result<[f64; 3]> {
    let _ = std::fs::remove_dir_all(dir);
    let index = dir.join("registry/index");
    let data = std::fs::read(index_file)?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&data[..]), &mut text)?;
    let mut files: std::collections::BTreeMap<PathBuf, String> = Default::default();
    for line in text.lines() {
        let name = serde_json::from_str::<serde_json::Value>(line)?["name"]
            .as_str()
            .context("a name")?
            .to_lowercase();
        let path = match name.len() {
            1 => format!("1/{name}"),
            2 => format!("2/{name}"),
            3 => format!("3/{}/{name}", &name[..1]),
            _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
        };
        let file = files.entry(index.join(path)).or_default();
        file.push_str(line);
        file.push('\n');
    }
    for (path, lines) in &files {
        std::fs::create_dir_all(path.parent().context("a folder")?)?;
        std::fs::write(path, lines)?;
    }
    let project = dir.join("case");
    std::fs::create_dir_all(project.join("src"))?;
    std::fs::create_dir_all(project.join(".cargo"))?;
    // Its own workspace, wherever the target folder sits.
    let manifest = std::fs::read_to_string(case.join("Cargo.toml"))?;
    std::fs::write(project.join("Cargo.toml"), manifest + "\n[workspace]\n")?;
    std::fs::write(project.join("src/lib.rs"), "")?;
    let config = format!(
        "[source.crates-io]\nreplace-with = \"frozen\"\n[source.frozen]\nlocal-registry = {:?}\n",
        dir.join("registry")
    );
    std::fs::write(project.join(".cargo/config.toml"), config)?;
    let souk = target_dir()?.join("release/souk");
    let snapshot = dir.join("index.idx");
    Cmd::new(&souk).args(["index", "import"]).arg(index_file).arg("--out").arg(&snapshot).quiet().run()?;
    let manifest = case.join("Cargo.toml");
    let souk_resolve = |registry: &Path| {
        Cmd::new(&souk)
            .args(["resolve", "--format", "cargo-lock", "--registry"])
            .arg(registry)
            .arg("--manifest")
            .arg(&manifest)
            .arg("--out")
            .arg(dir.join("souk.lock"))
            .quiet()
    };
    let mut seconds = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..ROUNDS {
        let _ = std::fs::remove_file(project.join("Cargo.lock"));
        let runs = [
            cargo(["generate-lockfile", "--offline", "--quiet"]).dir(&project),
            souk_resolve(index_file),
            souk_resolve(&snapshot),
        ];
        for (which, (times, run)) in seconds.iter_mut().zip(runs).enumerate() {
            let _ = std::fs::remove_file(dir.join("souk.lock"));
            let start = Instant::now();
            run.run()?;
            times.push(start.elapsed().as_secs_f64());
            anyhow::ensure!(
                which == 0
                    || std::fs::read(project.join("Cargo.lock"))? == std::fs::read(dir.join("souk.lock"))?,
                "souk's lockfile for {} differs from cargo's",
                case.display()
            );
        }
    }
    Ok(seconds.map(|mut times| {
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    }))
}
