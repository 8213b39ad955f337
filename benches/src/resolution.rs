//! Resolution workloads: synthetic shapes (a deep chain, a wide fan) and real manifests,
//! timed with an injected clock so native and wasm run the same code.

use std::collections::BTreeMap;

use semver::Version;
use souk_core::resolve::{Dependency, DependencyKind, MemoryRegistry, Registry, Summary, resolve};

use crate::latency::Percentiles;

fn package(name: &str, version: Version, deps: Vec<Dependency>) -> Summary {
    Summary {
        name: name.into(),
        version,
        dependencies: deps,
        features: BTreeMap::new(),
        links: None,
        yanked: false,
        checksum: None,
    }
}

fn needs(name: &str, req: &str) -> Dependency {
    Dependency {
        name: name.into(),
        package: name.into(),
        req: req.parse().expect("a valid requirement"),
        kind: DependencyKind::Normal,
        optional: false,
        default_features: true,
        features: Vec::new(),
        target: None,
    }
}

/// `levels` packages, each depending on the next, each with 5 versions.
pub fn chain(levels: usize) -> (MemoryRegistry, Summary) {
    let mut registry = MemoryRegistry::default();
    for level in 0..levels {
        for minor in 0..5 {
            let deps =
                if level + 1 < levels { vec![needs(&format!("c{}", level + 1), "^1")] } else { vec![] };
            registry.insert(package(&format!("c{level}"), Version::new(1, minor, 0), deps));
        }
    }
    (registry, package("root", Version::new(0, 1, 0), vec![needs("c0", "^1")]))
}

/// A root with `width` direct dependencies, each with 10 versions.
pub fn flat(width: usize) -> (MemoryRegistry, Summary) {
    let mut registry = MemoryRegistry::default();
    for i in 0..width {
        for minor in 0..10 {
            registry.insert(package(&format!("f{i}"), Version::new(1, minor, 0), vec![]));
        }
    }
    let deps = (0..width).map(|i| needs(&format!("f{i}"), "^1")).collect();
    (registry, package("root", Version::new(0, 1, 0), deps))
}

/// `levels` levels of 5 packages under a root, each package depending on 3 of the next
/// level (each with 3 versions): `tree(10)` is 51 packages, 10 levels deep, fan-out 3.
pub fn tree(levels: usize) -> (MemoryRegistry, Summary) {
    const WIDTH: usize = 5;
    let mut registry = MemoryRegistry::default();
    let below = |level: usize, i: usize| -> Vec<Dependency> {
        (0..3).map(|k| needs(&format!("t{level}-{}", (i + k) % WIDTH), "^1")).collect()
    };
    for level in 0..levels {
        for i in 0..WIDTH {
            for minor in 0..3 {
                let deps = if level + 1 < levels { below(level + 1, i) } else { vec![] };
                registry.insert(package(&format!("t{level}-{i}"), Version::new(1, minor, 0), deps));
            }
        }
    }
    (registry, package("root", Version::new(0, 1, 0), below(0, 0)))
}

/// The synthetic workloads, labelled: shallow (5 direct dependencies), a 10-level chain,
/// the 51-package tree, 50 flat dependencies.
pub fn synthetic() -> [(&'static str, (MemoryRegistry, Summary)); 4] {
    [("shallow-5", flat(5)), ("chain-10", chain(10)), ("tree-51", tree(10)), ("flat-50", flat(50))]
}

/// Resolves `root` once to warm up, then `rounds` times, timing each.
pub fn measure(
    registry: &impl Registry,
    root: &Summary,
    rounds: usize,
    now: impl Fn() -> f64,
) -> Percentiles {
    let mut samples = Vec::with_capacity(rounds);
    for round in 0..=rounds {
        let start = now();
        let resolution = resolve(registry, root).expect("the workload resolves");
        let took = now() - start;
        std::hint::black_box(resolution);
        if round > 0 {
            samples.push(took);
        }
    }
    Percentiles::of(samples)
}

/// The workloads on one crates.io index: given it (a label and its text) and manifests
/// (name, `Cargo.toml` text), the real ones, with the time the index took to parse (under
/// `{label}-parse`); and with `synthetic`, the synthetic ones too.
pub fn report(
    index: Option<(&str, &str)>,
    manifests: &[(String, String)],
    synthetic_too: bool,
    rounds: usize,
    now: impl Fn() -> f64,
) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    if synthetic_too {
        for (label, (registry, root)) in synthetic() {
            out.insert(label.into(), serde_json::json!(measure(&registry, &root, rounds, &now)));
        }
    }
    if let Some((label, index)) = index {
        let start = now();
        let registry = souk_pack::cargo::index(index).expect("the index parses");
        out.insert(
            format!("{label}-parse"),
            serde_json::json!({ "ms": now() - start, "versions": registry.len() }),
        );
        for (name, manifest) in manifests {
            let root = souk_pack::cargo::manifest(manifest).expect("the manifest parses");
            out.insert(name.clone(), serde_json::json!(measure(&registry, &root, rounds, &now)));
        }
    }
    serde_json::Value::Object(out)
}
