//! The resolver against cargo itself: for every case in `shared/resolve/roots/`, resolving
//! the case's Cargo.toml from `shared/resolve/crates-index.jsonl.gz` must give exactly the
//! packages (name, version) and dependency edges of the Cargo.lock cargo 1.95 wrote, and
//! `--format cargo-lock` must write that Cargo.lock byte for byte.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod common;
use common::shared;

use souk::import::crates_registry;
use souk::lockfile::cargo_lock;
use souk_core::resolve::{MemoryRegistry, PackageId, Summary, resolve};
use souk_pack::cargo::manifest as cargo_manifest;

type Graph = BTreeMap<(String, String), BTreeSet<(String, String)>>;

/// A Cargo.lock's packages and edges, each dependency spelled out as (name, version).
fn cargo_lock_graph(text: &str) -> Graph {
    let lock: toml::Table = toml::from_str(text).unwrap();
    let packages = lock["package"].as_array().unwrap();
    let field = |p: &toml::Value, k: &str| p[k].as_str().unwrap().to_owned();
    let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in packages {
        versions.entry(field(p, "name")).or_default().push(field(p, "version"));
    }
    packages
        .iter()
        .map(|p| {
            let deps = p.get("dependencies").and_then(|d| d.as_array()).cloned().unwrap_or_default();
            let deps = deps
                .iter()
                .map(|d| {
                    let d = d.as_str().unwrap();
                    match d.split_once(' ') {
                        Some((name, version)) => (name.to_owned(), version.to_owned()),
                        None => (d.to_owned(), versions[d][0].clone()),
                    }
                })
                .collect();
            ((field(p, "name"), field(p, "version")), deps)
        })
        .collect()
}

/// How Souk's resolution of `root` differs from the `Cargo.lock` cargo wrote for it, if
/// it does: packages, edges, or the bytes `--format cargo-lock` writes.
fn differs_from_cargo(registry: &MemoryRegistry, root: &Summary, lock_text: &str) -> Option<String> {
    let expected = cargo_lock_graph(lock_text);
    let resolution = match resolve(registry, root) {
        Ok(r) => r,
        Err(e) => return Some(e.to_string()),
    };
    let found: Graph = resolution
        .packages
        .iter()
        .map(|(id, p)| {
            let deps = p.dependencies.iter().map(|d| (d.name.clone(), d.version.to_string())).collect();
            ((id.name.clone(), id.version.to_string()), deps)
        })
        .collect();
    if found == expected {
        let root_id = PackageId { name: root.name.clone(), version: root.version.clone() };
        return (cargo_lock(&resolution, &root_id) != lock_text)
            .then(|| "the same graph, but `--format cargo-lock` does not write cargo's bytes".into());
    }
    let missing: Vec<_> = expected.keys().filter(|k| !found.contains_key(*k)).collect();
    let extra: Vec<_> = found.keys().filter(|k| !expected.contains_key(*k)).collect();
    let edges: Vec<_> = expected
        .iter()
        .filter(|(k, deps)| found.get(*k).is_some_and(|f| f != *deps))
        .map(|(k, deps)| format!("{k:?}: cargo {deps:?} souk {:?}", found[k]))
        .take(3)
        .collect();
    Some(format!(
        "{} packages vs cargo's {}; missing {missing:?}; extra {extra:?}; edges differ: {edges:?}",
        found.len(),
        expected.len()
    ))
}

/// Every case folder (a Cargo.toml and the Cargo.lock cargo wrote) under `roots`, resolved
/// from `index`: the differences, one line per case that has any.
fn check_cases(index: &Path, roots: &str, at_least: usize) {
    let registry = crates_registry(index).unwrap();
    let mut cases: Vec<PathBuf> =
        std::fs::read_dir(index.parent().unwrap().join(roots)).unwrap().map(|e| e.unwrap().path()).collect();
    cases.sort();
    assert!(cases.len() >= at_least, "expected {at_least} cases in {roots}, found {}", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            let root = cargo_manifest(&std::fs::read_to_string(case.join("Cargo.toml")).unwrap()).unwrap();
            let lock_text = std::fs::read_to_string(case.join("Cargo.lock")).unwrap();
            differs_from_cargo(&registry, &root, &lock_text).map(|why| format!("{name}: {why}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from cargo:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_case_resolves_as_cargo_does() {
    let Some(index) = shared("resolve/crates-index.jsonl.gz") else { return };
    check_cases(&index, "roots", 9);
}

/// The cases on a larger slice of crates.io where a search that backs up one choice at a
/// time never ends (sqlx with postgres and sqlite).
#[test]
fn every_large_case_resolves_as_cargo_does() {
    let Some(index) = shared("resolve/crates-index-large.jsonl.gz") else { return };
    check_cases(&index, "roots-large", 1);
}
