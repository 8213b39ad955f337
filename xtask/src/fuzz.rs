//! `cargo xtask fuzz`: every target of `fuzz/` under libFuzzer for a set time each, on the
//! stable toolchain. The binaries are built with LLVM's coverage instrumentation (stable
//! `-C` flags, no sanitizer) for the host target, so build scripts and proc macros stay
//! uninstrumented. Each target starts from its committed seeds (`fuzz/seeds/TARGET`) and
//! grows a corpus kept outside the clone; a crash is written to `fuzz/artifacts/TARGET/`
//! and fails the run.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::shell::{cargo, root, target_dir};

/// Every target, as `fuzz/Cargo.toml` names its binaries.
pub const TARGETS: [&str; 6] = ["entry", "snapshot", "sync_message", "body", "manifest", "catalog"];

const HOST: &str = "x86_64-unknown-linux-gnu";

/// What `cargo fuzz --sanitizer none` passes: libFuzzer's coverage feedback, nothing nightly.
const RUSTFLAGS: &str = "-Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares \
    --cfg fuzzing -Cdebug-assertions -Coverflow-checks";

/// Runs `targets` (all if empty) for `seconds` each; prints each one's executions.
pub fn run(seconds: u64, targets: &[String]) -> Result<()> {
    let targets: Vec<&str> = match targets.is_empty() {
        true => TARGETS.to_vec(),
        false => targets.iter().map(String::as_str).collect(),
    };
    if let Some(unknown) = targets.iter().find(|t| !TARGETS.contains(t)) {
        bail!("no fuzz target named {unknown} (there are: {})", TARGETS.join(", "));
    }
    let dir = target_dir()?.join("fuzz");
    cargo(["build", "--release", "--manifest-path", "fuzz/Cargo.toml", "--target", HOST, "--bins"])
        .env("CARGO_TARGET_DIR", &dir)
        .env("RUSTFLAGS", RUSTFLAGS)
        .run()?;
    let mut report = Vec::new();
    for target in targets {
        let corpus = dir.join("corpus").join(target);
        let artifacts = root().join("fuzz/artifacts").join(target);
        std::fs::create_dir_all(&corpus)?;
        std::fs::create_dir_all(&artifacts)?;
        let binary = dir.join(HOST).join("release").join(target);
        eprintln!("\n==> fuzz {target} for {seconds} s");
        let out = Command::new(&binary)
            .arg(&corpus)
            .arg(root().join("fuzz/seeds").join(target))
            .arg(format!("-max_total_time={seconds}"))
            .arg("-rss_limit_mb=2048")
            .arg("-max_len=65536")
            .arg(format!("-artifact_prefix={}/", artifacts.display()))
            .output()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let log = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            eprintln!("{log}");
            bail!("fuzz target {target} failed ({}); its input is in {}", out.status, artifacts.display());
        }
        report.push((target, executions(&log), count(&corpus)));
    }
    eprintln!("\n{:<14} {:>12} {:>8}", "target", "executions", "corpus");
    for (target, runs, corpus) in report {
        eprintln!("{target:<14} {runs:>12} {corpus:>8}");
    }
    Ok(())
}

/// libFuzzer's closing line: `Done 123456 runs in 10 second(s)`.
fn executions(log: &str) -> String {
    log.lines()
        .find_map(|l| l.strip_prefix("Done ")?.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn count(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}
