//! The browser modules' build, configured by `wasm-pack.toml` at the workspace root.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::WASM;
use crate::shell::{Cmd, cargo, root, target_dir};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Config {
    build: Build,
    wasm_opt: WasmOpt,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Build {
    crates: Vec<String>,
    target: String,
    out_dir: PathBuf,
    profile: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WasmOpt {
    enabled: bool,
    args: Vec<String>,
}

fn config() -> Result<Config> {
    let path = root().join("wasm-pack.toml");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid {}", path.display()))
}

/// Builds every module.
pub fn build() -> Result<()> {
    let Config { build, wasm_opt } = config()?;
    for krate in &build.crates {
        module(&build, &wasm_opt, krate)?;
    }
    Ok(())
}

/// Builds one crate's module and returns the path of the final `.wasm`.
fn module(build: &Build, wasm_opt: &WasmOpt, krate: &str) -> Result<PathBuf> {
    cargo(["build", "--target", WASM, "--package", krate, "--profile", &build.profile]).run()?;

    let profile_dir = match build.profile.as_str() {
        "dev" | "test" => "debug",
        "bench" => "release",
        other => other,
    };
    let stem = krate.replace('-', "_");
    let raw = target_dir()?.join(WASM).join(profile_dir).join(format!("{stem}.wasm"));
    let out_dir = root().join(&build.out_dir);
    let module = out_dir.join(format!("{stem}_bg.wasm"));
    // The module is made from cargo's output; when cargo rebuilt nothing, the last one stands
    // (wasm-opt alone takes a minute).
    let modified = |path: &PathBuf| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    if modified(&module).is_some_and(|made| modified(&raw).is_some_and(|raw| made > raw)) {
        eprintln!("wasm module {}: up to date", module.display());
        return Ok(module);
    }
    Cmd::new("wasm-bindgen").args(["--target", &build.target, "--out-dir"]).args([&out_dir, &raw]).run()?;

    let bound = std::fs::metadata(&module)?.len();
    if wasm_opt.enabled {
        Cmd::new(root().join("web/node_modules/.bin/wasm-opt"))
            .args(&wasm_opt.args)
            .args([module.as_os_str(), "-o".as_ref(), module.as_os_str()])
            .run()?;
    }
    let bytes = std::fs::read(&module)?;
    eprintln!(
        "wasm module {}: {} KB ({} KB gzipped); {} KB before wasm-opt, {} KB from cargo",
        module.display(),
        bytes.len() / 1024,
        gzipped_len(&bytes)? / 1024,
        bound / 1024,
        std::fs::metadata(&raw)?.len() / 1024,
    );
    Ok(module)
}

fn gzipped_len(bytes: &[u8]) -> Result<usize> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes)?;
    Ok(gz.finish()?.len())
}
