//! `souk resolve`: a manifest's dependency graph, as a lockfile.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;
use souk::import::{Format, crates_registry};
use souk::lockfile::{cargo_lock, souk_lock, souk_manifest};
use souk_core::Index;
use souk_core::resolve::{IndexRegistry, MemoryRegistry, PackageId, Resolution, Summary, resolve};

use crate::LockFormat;

/// Where the packs to resolve against come from.
#[derive(Debug)]
pub enum Registry {
    /// A file (or, without one, the demo registry).
    File(Option<PathBuf>),
    /// The network's index as the cache holds it.
    Cached,
}

pub fn run(registry: Registry, manifest: &Path, format: LockFormat, out: Option<&Path>) -> Result<()> {
    let text =
        std::fs::read_to_string(manifest).with_context(|| format!("cannot read {}", manifest.display()))?;
    let is_cargo = manifest.file_name().is_some_and(|n| n == "Cargo.toml");
    let root = if is_cargo { Ok(souk_pack::cargo::manifest(&text)?) } else { souk_manifest(&text) }
        .with_context(|| format!("invalid manifest {}", manifest.display()))?;
    let started = Instant::now();
    let (registry, versions): (Box<dyn souk_core::resolve::Registry>, usize) = match registry {
        Registry::File(path) => load_registry(path.as_deref(), &root, is_cargo)?,
        Registry::Cached => reachable(&crate::peer::cached_index()?, &root)?,
    };
    let loaded = started.elapsed();
    let started = Instant::now();
    let resolution = resolve(registry.as_ref(), &root)?;
    let resolved = started.elapsed();
    let root_id = PackageId { name: root.name.clone(), version: root.version.clone() };
    let text = match format {
        LockFormat::SoukLock => souk_lock(&resolution),
        LockFormat::CargoLock => cargo_lock(&resolution, &root_id),
        LockFormat::Json => json(&resolution)?,
    };
    match out {
        Some(path) => souk::fsutil::write_atomically(path, text.as_bytes())?,
        None => print!("{text}"),
    }
    eprintln!(
        "{:>12} {} packages in {:.2?} (registry of {} versions read in {:.2?})",
        "Resolved",
        resolution.packages.len(),
        resolved,
        versions,
        loaded
    );
    Ok(())
}

type Loaded = (Box<dyn souk_core::resolve::Registry>, usize);

/// A crates.io index (named as `souk index import` recognizes one) or a Souk index
/// snapshot, each read lazily, crate by crate; or what `root` can reach of the demo
/// registry; with how many versions it holds.
fn load_registry(path: Option<&Path>, root: &Summary, is_cargo: bool) -> Result<Loaded> {
    let Some(path) = path else {
        return reachable(&souk_pack::demo::index(), root);
    };
    if Format::from_path(path).ok() == Some(Format::CratesIndex) {
        let index = crates_registry(path)?;
        let versions = index.len();
        return Ok((Box::new(index), versions));
    }
    let bytes = souk::fsutil::map_snapshot(path)?;
    let index = Index::load(bytes).with_context(|| format!("cannot load registry {}", path.display()))?;
    if index.importer().is_some() && !index.has_cargo_data() && index.yanked().len() == 0 && is_cargo {
        eprintln!(
            "{:>12} {} was imported before snapshots kept cargo's data (features, optional and \
             build dependencies); import it again with `souk index import`",
            "Warning",
            path.display()
        );
    }
    let versions = index.len() + index.yanked().len();
    Ok((Box::new(IndexRegistry::new(index)), versions))
}

/// The versions of `index` a resolution of `root` can reach.
fn reachable(index: &Index, root: &Summary) -> Result<Loaded> {
    let roots = root.dependencies.iter().map(|d| d.package.as_str());
    let registry = MemoryRegistry::reachable_from(index, roots)?;
    let versions = registry.len();
    Ok((Box::new(registry), versions))
}

#[derive(Serialize)]
struct JsonPackage<'a> {
    name: &'a str,
    version: String,
    dependencies: Vec<String>,
}

fn json(resolution: &Resolution) -> Result<String> {
    let packages: Vec<JsonPackage<'_>> = resolution
        .packages
        .iter()
        .map(|(id, p)| JsonPackage {
            name: &id.name,
            version: id.version.to_string(),
            dependencies: p.dependencies.iter().map(ToString::to_string).collect(),
        })
        .collect();
    Ok(serde_json::to_string_pretty(&packages)? + "\n")
}
