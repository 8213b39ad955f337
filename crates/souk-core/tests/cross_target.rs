//! The same snapshot, searched with the same queries, gives byte-identical answers on every
//! target. The transcript's digest is committed, so the native and the wasm run (in
//! headless Chromium) each compare against the same value rather than only each other.
//!
//! The fixture is `souk index import` of `crates/souk/tests/fixtures/npm-sample.tsv`; the
//! `souk` crate's tests check that the import still produces exactly these bytes.

use std::fmt::Write;

use sha2::{Digest, Sha256};
use souk_core::Index;
use souk_core::resolve::{Dependency, DependencyKind, MemoryRegistry, Summary, resolve};
use souk_core::search::{Query, Sort, search};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const SNAPSHOT: &[u8] = include_bytes!("fixtures/npm-sample.idx");
const QUERIES: &[&str] = &[
    "react",
    "eslint plugin",
    "types",
    "",
    "@babel/core",
    "vue",
    "TYPESCRIPT",
    "é🦀",
    "raect",
    "lodahs",
    "typscript",
    "reac",
    "web framework",
    "expres",
];
const TRANSCRIPT_SHA256: &str = "140fb2911dc4c32f09ec3ce6cfd366d6506e3596c8820738c2c97ce85131cf51";

fn transcript() -> String {
    let index = Index::from_snapshot(SNAPSHOT).expect("the fixture loads");
    let mut out = String::new();
    for query in QUERIES {
        for sort in [Sort::Relevance, Sort::Downloads] {
            let results = search(&index, &Query { limit: 25, sort, ..Query::new(query) });
            writeln!(out, "{query:?} {sort:?} total={}", results.total).unwrap();
            for hit in results.hits {
                let p = index.get(hit.record);
                writeln!(out, "  {} {} {} {}", p.name(), p.version(), p.downloads(), hit.score).unwrap();
            }
        }
    }
    out
}

#[test]
fn search_answers_are_identical_on_every_target() {
    let transcript = transcript();
    let digest: String = Sha256::digest(transcript.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(digest, TRANSCRIPT_SHA256, "search answers changed; the transcript is:\n{transcript}");
}

#[test]
fn the_fixture_has_what_the_transcript_needs() {
    let index = Index::from_snapshot(SNAPSHOT).unwrap();
    assert_eq!(index.len(), 300);
    assert!(transcript().contains("\"react\" Relevance total="));
    assert_eq!(index.latest("react").unwrap().name(), "react");
}

/// A registry that exercises the resolver's rules: a diamond, two majors of one package, a
/// rename, features turning on optional dependencies, and a clash that needs backtracking.
fn registry() -> MemoryRegistry {
    let mut r = MemoryRegistry::default();
    let mut add =
        |name: &str, version: &str, deps: &[(&str, &str, &str, bool)], features: &[(&str, &str)]| {
            r.insert(Summary {
                name: name.into(),
                version: version.parse().unwrap(),
                dependencies: deps
                    .iter()
                    .map(|&(alias, package, req, optional)| Dependency {
                        name: alias.into(),
                        package: package.into(),
                        req: req.parse().unwrap(),
                        kind: DependencyKind::Normal,
                        optional,
                        default_features: true,
                        features: Vec::new(),
                        target: None,
                    })
                    .collect(),
                features: features.iter().map(|&(f, to)| (f.into(), vec![to.into()])).collect(),
                links: None,
                yanked: false,
                checksum: None,
            });
        };
    for minor in 0..30 {
        add("util", &format!("1.{minor}.0"), &[], &[]);
    }
    add("util", "2.0.0", &[], &[]);
    add("left", "1.0.0", &[("util", "util", "^1.3", false)], &[]);
    add(
        "right",
        "1.0.0",
        &[("u", "util", "^2", false), ("extra", "extra", "^0.1", true)],
        &[("default", "dep:extra")],
    );
    add("pinned", "1.0.0", &[("util", "util", "=1.7.0", false)], &[]);
    add("extra", "0.1.4", &[("util", "util", ">=1.5, <1.9", false)], &[]);
    r
}

fn resolution_transcript() -> String {
    let root = Summary {
        name: "app".into(),
        version: "0.1.0".parse().unwrap(),
        dependencies: ["left", "right", "pinned"]
            .iter()
            .map(|n| Dependency {
                name: (*n).into(),
                package: (*n).into(),
                req: "^1".parse().unwrap(),
                kind: DependencyKind::Normal,
                optional: false,
                default_features: true,
                features: Vec::new(),
                target: None,
            })
            .collect(),
        features: Default::default(),
        links: None,
        yanked: false,
        checksum: None,
    };
    let resolution = resolve(&registry(), &root).unwrap();
    let mut out = String::new();
    for (id, package) in &resolution.packages {
        let deps: Vec<String> = package.dependencies.iter().map(ToString::to_string).collect();
        writeln!(out, "{id}: {}", deps.join(", ")).unwrap();
    }
    out
}

#[test]
fn resolutions_are_identical_on_every_target() {
    let transcript = resolution_transcript();
    assert_eq!(
        transcript,
        "app 0.1.0: left 1.0.0, pinned 1.0.0, right 1.0.0\n\
         extra 0.1.4: util 1.7.0\n\
         left 1.0.0: util 1.7.0\n\
         pinned 1.0.0: util 1.7.0\n\
         right 1.0.0: extra 0.1.4, util 2.0.0\n\
         util 1.7.0: \n\
         util 2.0.0: \n"
    );
}
