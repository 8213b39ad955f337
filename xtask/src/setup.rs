//! Installs what a fresh machine lacks. Each check is cheap, so a set-up machine passes
//! through in well under a second.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::WASM;
use crate::shell::{Cmd, cargo, root};

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

pub fn all() -> Result<()> {
    wasm_tools()?;
    chromium()?;
    npm_packages("web")
}

/// The wasm32 target and the matching wasm-bindgen-cli.
pub fn wasm_tools() -> Result<()> {
    wasm_target()?;
    wasm_bindgen_cli()
}

fn wasm_target() -> Result<()> {
    let installed = Cmd::new("rustup")
        .args(["target", "list", "--installed"])
        .probe()
        .context("rustup is needed to add the wasm32 target")?;
    if installed.lines().any(|t| t.trim() == WASM) {
        return Ok(());
    }
    Cmd::new("rustup").args(["target", "add", WASM]).run()
}

/// wasm-bindgen-cli must be exactly the version of the `wasm-bindgen` crate in Cargo.lock:
/// any other refuses the module.
fn wasm_bindgen_cli() -> Result<()> {
    let want = locked_version("wasm-bindgen")?;
    let have = Cmd::new("wasm-bindgen").args(["--version"]).probe().unwrap_or_default();
    let runner = Cmd::new("wasm-bindgen-test-runner").args(["--version"]).probe().unwrap_or_default();
    if have.trim() == format!("wasm-bindgen {want}") && runner.contains(&want) {
        return Ok(());
    }
    cargo(["install", "wasm-bindgen-cli", "--locked", "--version", &want]).run()
}

/// Debian's Chromium and its chromedriver (the browser tests and benches use no other).
pub fn chromium() -> Result<()> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    let root_user = Cmd::new("id").args(["-u"]).probe().is_some_and(|id| id.trim() == "0");
    let apt = |args: &[&str]| {
        if root_user { Cmd::new("apt-get").args(args) } else { Cmd::new("sudo").args(["apt-get"]).args(args) }
    };
    apt(&["update"]).run()?;
    apt(&["install", "-y", "--no-install-recommends", "chromium", "chromium-driver"]).run()
}

/// The npm packages of `folder` (the page's, binaryen's wasm-opt among them, or the
/// benchmarks'), exactly as its committed lockfile pins them.
pub fn npm_packages(folder: &str) -> Result<()> {
    let dir = root().join(folder);
    let installed = modified(&dir.join("node_modules/.package-lock.json"));
    let locked = modified(&dir.join("package-lock.json"));
    if installed.is_some_and(|installed| locked.is_some_and(|locked| installed >= locked)) {
        return Ok(());
    }
    Cmd::new("npm").args(["ci", "--no-audit", "--no-fund"]).dir(folder).run()
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    path.metadata().and_then(|m| m.modified()).ok()
}

/// The version of `package` that Cargo.lock holds (it must hold exactly one).
fn locked_version(package: &str) -> Result<String> {
    #[derive(serde::Deserialize)]
    struct Lock {
        package: Vec<Package>,
    }
    #[derive(serde::Deserialize)]
    struct Package {
        name: String,
        version: String,
    }
    let path = root().join("Cargo.lock");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let lock: Lock = toml::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))?;
    let versions: Vec<String> =
        lock.package.into_iter().filter(|p| p.name == package).map(|p| p.version).collect();
    match &versions[..] {
        [one] => Ok(one.clone()),
        _ => bail!("Cargo.lock holds {} versions of {package}; expected one", versions.len()),
    }
}
