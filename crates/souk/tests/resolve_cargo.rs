//! The resolver against cargo itself: for every case in `shared/resolve/roots/`, resolving
//! the case's Cargo.toml from `shared/resolve/crates-index.jsonl.gz` must give exactly the
//! packages (name, version) and dependency edges of the Cargo.lock cargo 1.95 wrote, and
//! `--format cargo-lock` must write that Cargo.lock byte for byte. Each case is resolved
//! twice: from the index's lines, and from the snapshot `souk index import` writes of them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod common;
use common::shared;

use souk::import::{Format, crates_registry, read_rows};
use souk::lockfile::cargo_lock;
use souk_core::Index;
use souk_core::resolve::{IndexRegistry, PackageId, Registry, Summary, resolve};
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
fn differs_from_cargo(registry: &impl Registry, root: &Summary, lock_text: &str) -> Option<String> {
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

/// The index `souk index import` writes of a crates.io index file, loaded back: what
/// `souk resolve --registry X.idx` reads (through an [`IndexRegistry`]).
fn imported(index: &Path) -> Index {
    let (builder, skipped) = read_rows(index, Format::CratesIndex, false).unwrap();
    assert_eq!(skipped.total(), 0, "{:?}", skipped.first);
    Index::from_snapshot(&builder.build().unwrap().to_snapshot()).unwrap()
}

/// Every case folder (a Cargo.toml and the Cargo.lock cargo wrote) under `roots`, resolved
/// from `index`'s lines and from its imported snapshot: the differences, one line per case
/// and source that has any.
fn check_cases(index: &Path, roots: &str, at_least: usize) {
    let registry = crates_registry(index).unwrap();
    let snapshot = imported(index);
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
            let lines = differs_from_cargo(&registry, &root, &lock_text).map(|why| format!("{name}: {why}"));
            let snapshot = differs_from_cargo(&IndexRegistry::new(&snapshot), &root, &lock_text)
                .map(|why| format!("{name} (from the snapshot): {why}"));
            lines.into_iter().chain(snapshot).reduce(|a, b| format!("{a}\n{b}"))
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

/// A crates.io index laid out as a local registry cargo reads offline (as
/// `shared/resolve/cargo-oracle.sh` lays it out), written once for every case.
fn local_registry(lines: &[String], dir: &Path) {
    let mut by_name: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for line in lines {
        let name =
            serde_json::from_str::<serde_json::Value>(line).unwrap()["name"].as_str().unwrap().to_lowercase();
        by_name.entry(name).or_default().push(line);
    }
    for (name, lines) in by_name {
        let rel = match name.len() {
            1 | 2 => format!("{}/{name}", name.len()),
            3 => format!("3/{}/{name}", &name[..1]),
            _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
        };
        let path = dir.join("index").join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, lines.join("\n") + "\n").unwrap();
    }
}

/// The Cargo.lock cargo itself writes for `manifest` from the local registry `registry`,
/// offline, or its error.
fn cargo_generate_lockfile(registry: &Path, manifest: &str, work: &Path) -> Result<String, String> {
    let case = work.join("case");
    let _ = std::fs::remove_dir_all(&case);
    std::fs::create_dir_all(case.join("src")).unwrap();
    std::fs::create_dir_all(case.join(".cargo")).unwrap();
    std::fs::write(case.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(case.join("src/lib.rs"), "").unwrap();
    let config = format!(
        "[source.crates-io]\nreplace-with = \"local\"\n[source.local]\nlocal-registry = {:?}\n",
        registry.display().to_string()
    );
    std::fs::write(case.join(".cargo/config.toml"), config).unwrap();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["generate-lockfile", "--offline", "-q"])
        .current_dir(&case)
        .env("CARGO_HOME", work.join("home"))
        .output()
        .unwrap();
    match out.status.success() {
        true => Ok(std::fs::read_to_string(case.join("Cargo.lock")).unwrap()),
        false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
    }
}

struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// A root manifest of 2 to 12 direct dependencies drawn from `registry`: each at the
/// semver range of a random published version (old majors as often as new), with up to two
/// of that version's features, sometimes without default features, and sometimes a second
/// major of the same crate under another name. The slice of crates.io lacks many crates
/// that old versions need, so a dependency is drawn again (up to ten times) until it
/// resolves on its own: the roots then mostly resolve, and a clash among them is the test.
fn random_manifest(rng: &mut Lcg, n: usize, names: &[&str], registry: &impl Registry) -> String {
    let header = format!(
        "[package]\nname = \"root-{n}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n"
    );
    let resolves =
        |line: &str| resolve(registry, &cargo_manifest(&format!("{header}{line}")).unwrap()).is_ok();
    let mut text = header.clone();
    let mut chosen = BTreeSet::new();
    let wanted = 2 + rng.below(11);
    while chosen.len() < wanted {
        chosen.insert(names[rng.below(names.len())]);
    }
    for name in &chosen {
        let second = rng.below(4) == 0;
        for alias in [name.to_string(), format!("{name}-second")].iter().take(1 + second as usize) {
            if let Some(line) =
                (0..10).map(|_| random_dependency(rng, name, alias, registry)).find(|l| resolves(l))
            {
                text.push_str(&line);
            }
        }
    }
    text
}

/// One `[dependencies]` line for `name` (as `alias`), drawn as [`random_manifest`] says.
fn random_dependency(rng: &mut Lcg, name: &str, alias: &str, registry: &impl Registry) -> String {
    let versions: Vec<&Summary> =
        registry.versions(name).iter().filter(|s| !s.yanked && s.version.pre.is_empty()).collect();
    let Some(&summary) = versions.get(rng.below(versions.len().max(1))) else { return String::new() };
    let v = &summary.version;
    let req = match (v.major, v.minor, rng.below(2)) {
        (0, 0, _) => format!("0.0.{}", v.patch),
        (0, minor, _) => format!("0.{minor}"),
        (major, _, 0) => format!("{major}"),
        (major, minor, _) => format!("{major}.{minor}"),
    };
    let features: Vec<&String> = summary.features.keys().filter(|f| *f != "default").collect();
    let asked: BTreeSet<String> = (0..rng.below(3))
        .filter(|_| !features.is_empty())
        .map(|_| format!("{:?}", features[rng.below(features.len())]))
        .collect();
    let mut spec =
        format!("version = \"{req}\", features = [{}]", asked.into_iter().collect::<Vec<_>>().join(", "));
    if rng.below(5) == 0 {
        spec.push_str(", default-features = false");
    }
    if alias != name {
        spec.push_str(&format!(", package = \"{name}\""));
    }
    format!("{alias} = {{ {spec} }}\n")
}

/// Random root sets on the large slice of crates.io, each resolved by Souk and by cargo
/// itself, compared package by package and edge by edge (and both must fail alike); and
/// Souk's resolution from the imported snapshot equal to its resolution from the lines.
/// `SOUK_ORACLE_CASES` (default 24) and `SOUK_ORACLE_SEED` (default 1) choose the run:
/// `SOUK_ORACLE_CASES=1000 cargo test -p souk --test resolve_cargo random` is the long one.
#[test]
fn random_root_sets_resolve_as_cargo_does() {
    let Some(index) = shared("resolve/crates-index-large.jsonl.gz") else { return };
    let env = |key: &str, default: u64| std::env::var(key).map_or(default, |v| v.parse().unwrap());
    let (cases, seed) = (env("SOUK_ORACLE_CASES", 24), env("SOUK_ORACLE_SEED", 1));
    let text = {
        use std::io::Read;
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&index).unwrap()).read_to_string(&mut text).unwrap();
        text
    };
    let lines: Vec<String> = text.lines().filter(|l| !l.trim().is_empty()).map(String::from).collect();
    let work = tempfile::tempdir().unwrap();
    local_registry(&lines, &work.path().join("registry"));
    let registry = crates_registry(&index).unwrap();
    let snapshot = imported(&index);
    let names: BTreeSet<String> =
        lines.iter().map(|l| souk_pack::cargo::index_line(l).unwrap().name).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut rng = Lcg(seed);
    let (mut failures, mut unresolvable) = (Vec::new(), 0);
    for n in 0..cases as usize {
        let manifest = random_manifest(&mut rng, n, &names, &registry);
        let root = cargo_manifest(&manifest).unwrap();
        if resolve(&IndexRegistry::new(&snapshot), &root).ok() != resolve(&registry, &root).ok() {
            failures
                .push(format!("case {n}: the snapshot resolves otherwise than the index lines\n{manifest}"));
        }
        let differs = match cargo_generate_lockfile(&work.path().join("registry"), &manifest, work.path()) {
            Ok(lock) => differs_from_cargo(&registry, &root, &lock),
            Err(cargo_error) => {
                unresolvable += 1;
                if std::env::var_os("SOUK_ORACLE_VERBOSE").is_some() {
                    eprintln!(
                        "case {n}: cargo: {}",
                        cargo_error.lines().take(3).collect::<Vec<_>>().join(" | ")
                    );
                }
                resolve(&registry, &root)
                    .is_ok()
                    .then(|| format!("Souk resolves what cargo cannot: {}", cargo_error.trim()))
            }
        };
        if let Some(why) = differs {
            failures.push(format!("case {n}: {why}\n{manifest}"));
        }
    }
    eprintln!(
        "{cases} random root sets (seed {seed}): {unresolvable} unresolvable by cargo, {} differ",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} cases differ from cargo:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
