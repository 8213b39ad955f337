//! Property tests: whatever bytes or text arrive, the decoders and the query paths answer
//! (snapshots, bodies, records, queries, manifests) with a value or an error, never a
//! panic, and the resolver's answers keep its rules.
//! (Native only: proptest needs a std platform with an OS random source.)
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;

use proptest::prelude::*;
use souk_core::body;
use souk_core::record::PackRecord;
use souk_core::resolve::{Dependency, DependencyKind, MemoryRegistry, Registry, Summary, resolve};
use souk_core::search::{Query, search};
use souk_core::{Index, IndexBuilder, Manifest};

const SNAPSHOT: &[u8] = include_bytes!("fixtures/npm-sample.idx");

proptest! {
    #[test]
    fn any_bytes_are_a_snapshot_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Index::from_snapshot(&bytes);
    }

    #[test]
    fn a_damaged_snapshot_is_refused(cut in 0..SNAPSHOT.len(), at in 0..SNAPSHOT.len(), byte in any::<u8>()) {
        prop_assert!(Index::from_snapshot(&SNAPSHOT[..cut]).is_err());
        let mut damaged = SNAPSHOT.to_vec();
        prop_assume!(damaged[at] != byte);
        damaged[at] = byte;
        prop_assert!(Index::from_snapshot(&damaged).is_err());
    }

    #[test]
    fn any_bytes_are_a_body_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut framed = b"SOUKPACK".to_vec();
        framed.extend_from_slice(&bytes);
        let _ = body::decode(&bytes);
        let _ = body::decode(&framed);
    }

    #[test]
    fn any_bytes_are_a_record_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut framed = b"SOUKREC1".to_vec();
        framed.extend_from_slice(&bytes);
        prop_assert!(PackRecord::decode(&bytes).is_err() || bytes.starts_with(b"SOUKREC1"));
        let _ = PackRecord::decode(&framed);
    }

    #[test]
    fn any_query_is_answered_within_its_page(text in "\\PC{0,40}", offset in 0usize..50, limit in 0usize..50) {
        let index = Index::from_snapshot(SNAPSHOT).unwrap();
        let results = search(&index, &Query { offset, limit, ..Query::new(&text) });
        prop_assert!(results.hits.len() <= limit);
        prop_assert!(results.hits.len() + offset <= results.total.max(offset));
        for hit in &results.hits {
            prop_assert!(index.is_latest(hit.record));
        }
    }

    #[test]
    fn any_manifest_is_a_pack_or_named_errors(name in "\\PC{0,20}", version in "\\PC{0,12}", tag in "\\PC{0,12}") {
        let manifest = Manifest {
            name, version, description: "d".into(), license: "MIT".into(), tags: vec![tag], ..Manifest::default()
        };
        if let Ok(pack) = manifest.validate() {
            let mut builder = IndexBuilder::default();
            builder.push(pack);
            let index = builder.build().unwrap();
            prop_assert_eq!(Index::from_snapshot(&index.to_snapshot()).unwrap(), index);
        }
    }

    /// Random registries of five packages, three versions each, random requirements: the
    /// resolver always stops, and what it returns keeps cargo's rules.
    #[test]
    fn resolutions_keep_the_rules(deps in proptest::collection::vec((0usize..5, 0usize..5, 0u64..3, 0u8..3), 0..12),
                                  roots in proptest::collection::vec((0usize..5, 0u8..3), 1..4)) {
        let reqs = ["^1", "=1.1.0", ">=1.1, <2"];
        let mut registry = MemoryRegistry::default();
        for p in 0..5 {
            for minor in 0..3u64 {
                let dependencies = deps
                    .iter()
                    .filter(|(from, _, m, _)| *from == p && *m == minor)
                    .map(|(_, to, _, r)| dependency(*to, reqs[*r as usize]))
                    .collect();
                registry.insert(summary(&format!("p{p}"), minor, dependencies));
            }
        }
        let root = summary("root", 0, roots.iter().map(|(to, r)| dependency(*to, reqs[*r as usize])).collect());
        if let Ok(resolution) = resolve(&registry, &root) {
            let mut majors = BTreeMap::new();
            for (id, package) in &resolution.packages {
                prop_assert!(majors.insert((id.name.clone(), id.version.major), ()).is_none(), "two of {}", id.name);
                let summary = if id.name == "root" { &root } else {
                    registry.versions(&id.name).iter().find(|s| s.version == id.version).unwrap()
                };
                for dep in &summary.dependencies {
                    let target = package.dependencies.iter().find(|t| t.name == dep.package);
                    prop_assert!(target.is_some_and(|t| dep.req.matches(&t.version)), "{id} -> {} {}", dep.package, dep.req);
                }
            }
        }
    }
}

fn dependency(to: usize, req: &str) -> Dependency {
    Dependency {
        name: format!("p{to}"),
        package: format!("p{to}"),
        req: req.parse().unwrap(),
        kind: DependencyKind::Normal,
        optional: false,
        default_features: true,
        features: Vec::new(),
        target: None,
    }
}

fn summary(name: &str, minor: u64, dependencies: Vec<Dependency>) -> Summary {
    Summary {
        name: name.into(),
        version: semver::Version::new(1, minor, 0),
        dependencies,
        features: BTreeMap::new(),
        links: None,
        yanked: false,
        checksum: None,
    }
}
