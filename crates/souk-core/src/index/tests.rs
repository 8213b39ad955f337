use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use semver::{Version, VersionReq};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::pack::Dependency;

pub(crate) fn pack(name: &str, version: &str) -> PackVersion {
    PackVersion {
        name: name.into(),
        version: Version::parse(version).unwrap(),
        description: alloc::format!("The {name} template"),
        tags: vec!["rust".into(), "template".into()],
        category: "scaffold".into(),
        license: "MIT".into(),
        authors: vec!["Souk".into()],
        homepage: String::new(),
        dependencies: vec![],
        downloads: 10,
        stars: 1,
        published: 1_700_000_000,
        publisher: Some([7; 32]),
        content_hash: None,
    }
}

fn sample() -> Index {
    let mut b = IndexBuilder::default();
    b.push(pack("rust-cli", "1.10.0"));
    b.push(pack("Axum_Service", "0.2.0"));
    b.push(pack("rust-cli", "1.9.0"));
    let mut with_deps = pack("axum-service", "0.3.0-beta.1");
    with_deps.dependencies = vec![
        Dependency { name: "rust-cli".into(), req: VersionReq::parse("1.9").unwrap() },
        Dependency { name: "editorconfig".into(), req: VersionReq::parse("*").unwrap() },
    ];
    with_deps.content_hash = Some([9; 32]);
    b.push(with_deps);
    b.build().unwrap()
}

#[test]
fn records_sort_by_folded_name_then_semver() {
    let mut b = IndexBuilder::default();
    for (name, version) in
        [("rust-cli", "1.10.0"), ("rust-cli", "1.9.0"), ("axum", "0.8.0"), ("axum", "0.10.0-beta.1")]
    {
        b.push(pack(name, version));
    }
    let index = b.build().unwrap();
    let rows: Vec<(&str, &str)> = index.iter().map(|p| (p.name(), p.version())).collect();
    assert_eq!(
        rows,
        [("axum", "0.8.0"), ("axum", "0.10.0-beta.1"), ("rust-cli", "1.9.0"), ("rust-cli", "1.10.0")]
    );
    assert_eq!(index.versions_of("AXUM"), 0..2);
    assert_eq!(index.versions_of("missing"), 2..2);
    assert_eq!(index.latest("Rust_CLI").unwrap().version(), "1.10.0");
    assert!(!index.is_latest(2) && index.is_latest(3));
}

/// npm holds distinct packages whose names fold alike; each stays its own pack.
#[test]
fn names_that_fold_alike_stay_distinct_packs() {
    let index = sample();
    let rows: Vec<(&str, &str)> = index.iter().map(|p| (p.name(), p.version())).collect();
    assert_eq!(
        rows,
        [
            ("Axum_Service", "0.2.0"),
            ("axum-service", "0.3.0-beta.1"),
            ("rust-cli", "1.9.0"),
            ("rust-cli", "1.10.0"),
        ]
    );
    assert!(index.is_latest(0) && index.is_latest(1));
    assert_eq!(index.versions_of("axum-service"), 1..2);
    assert_eq!(index.versions_of("Axum_Service"), 0..1);
    assert_eq!(index.versions_of("AXUM-SERVICE"), 0..1);
}

#[test]
fn every_field_reads_back() {
    let index = sample();
    let p = index.get(1);
    assert_eq!(p.description(), "The axum-service template");
    assert_eq!(p.tags().collect::<Vec<_>>(), ["rust", "template"]);
    assert_eq!(p.category(), "scaffold");
    assert_eq!(p.license(), "MIT");
    assert_eq!(p.authors().collect::<Vec<_>>(), ["Souk"]);
    assert_eq!(p.homepage(), "");
    assert_eq!(p.dependencies().collect::<Vec<_>>(), [("rust-cli", "^1.9"), ("editorconfig", "*")]);
    assert_eq!((p.downloads(), p.stars(), p.published()), (10, 1, 1_700_000_000));
    assert_eq!(p.publisher(), Some(&[7; 32]));
    assert_eq!(p.content_hash(), Some(&[9; 32]));
    assert_eq!(index.get(0).content_hash(), None);
}

#[test]
fn duplicates_are_refused() {
    let mut b = IndexBuilder::default();
    b.push(pack("rust-cli", "1.0.0"));
    b.push(pack("Rust_CLI", "1.0.0"));
    b.push(pack("rust-cli", "1.0.0"));
    assert_eq!(b.build().unwrap_err().to_string(), "rust-cli 1.0.0 appears twice");
}

#[test]
fn snapshot_round_trips_and_is_deterministic() {
    let index = sample();
    let bytes = index.to_snapshot();
    assert_eq!(Index::from_snapshot(&bytes).unwrap(), index);
    let mut reversed = IndexBuilder::default();
    for p in index.iter().collect::<Vec<_>>().into_iter().rev() {
        reversed.push(p.to_version().unwrap());
    }
    assert_eq!(reversed.build().unwrap().to_snapshot(), bytes);
    let empty = IndexBuilder::default().build().unwrap();
    assert!(Index::from_snapshot(&empty.to_snapshot()).unwrap().is_empty());
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = sample().to_snapshot();
    for len in 0..bytes.len() {
        let err = Index::from_snapshot(&bytes[..len]).unwrap_err();
        assert!(matches!(err, SnapshotError::Truncated(_) | SnapshotError::Checksum), "{len}: {err}");
    }
}

#[test]
fn every_flipped_byte_is_an_error() {
    let bytes = sample().to_snapshot();
    for at in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[at] ^= 0x41;
        assert!(Index::from_snapshot(&bad).is_err(), "flip at {at} was accepted");
    }
}

#[test]
fn header_errors_say_what_is_wrong() {
    let mut bytes = sample().to_snapshot();
    assert_eq!(Index::from_snapshot(b"PK\x03\x04 not an index at all"), Err(SnapshotError::BadMagic));
    bytes[8] = 9;
    assert_eq!(
        Index::from_snapshot(&bytes).unwrap_err().to_string(),
        "snapshot format version 9 is not supported (this build reads version 2)"
    );
}

/// A snapshot with a good checksum but lying columns (as a hostile peer could send) is
/// refused by the invariant checks, not by a panic in an accessor.
#[test]
fn consistent_checksum_does_not_excuse_bad_columns() {
    let mut index = sample();
    index.name.to_mut()[0] = 9999;
    assert_eq!(
        Index::from_snapshot(&index.to_snapshot()).unwrap_err().to_string(),
        "snapshot is corrupt: column NAME refers to string 9999 of 19"
    );
    let mut index = sample();
    index.tags.ends.to_mut()[0] = 100;
    assert!(Index::from_snapshot(&index.to_snapshot()).is_err());
    let mut index = sample();
    index.strings.0.ends.to_mut()[1] += 1000;
    assert!(Index::from_snapshot(&index.to_snapshot()).is_err());
    let mut index = sample();
    index.stars.to_mut().pop();
    assert_eq!(
        Index::from_snapshot(&index.to_snapshot()).unwrap_err().to_string(),
        "snapshot is corrupt: column STAR has 3 entries for 4 records"
    );
    let mut index = sample();
    index.content_hash.to_mut()[0] = 5;
    assert!(Index::from_snapshot(&index.to_snapshot()).is_err());
}

#[test]
fn a_name_one_edit_from_a_popular_pack_is_found_and_an_obscure_one_is_not() {
    let mut b = IndexBuilder::default();
    b.push(pack("requests", "2.0.0"));
    b.push(PackVersion { downloads: 0, ..pack("obscure", "1.0.0") });
    // More packs than POPULAR, all less downloaded: `requests` must stay among the popular.
    for i in 0..POPULAR + 5 {
        b.push(PackVersion { downloads: 1, ..pack(&alloc::format!("filler-{i}"), "1.0.0") });
    }
    let index = b.build().unwrap();
    assert_eq!(index.popular_lookalike("reqeusts").map(|p| p.name()), Some("requests"));
    assert_eq!(index.popular_lookalike("Request").map(|p| p.name()), Some("requests"));
    assert!(index.popular_lookalike("requests").is_none(), "a name is not its own lookalike");
    assert!(index.popular_lookalike("obscur").is_none(), "only popular names are guarded");
    assert!(index.popular_lookalike("rust-cli").is_none());
    let mut b = IndexBuilder::default();
    b.push(PackVersion { downloads: 900, ..pack("react", "19.0.0") });
    b.push(PackVersion { downloads: 5, ..pack("preact", "10.0.0") });
    let index = b.build().unwrap();
    assert!(index.popular_lookalike("preact").is_none(), "two popular packs are not lookalikes");
    assert_eq!(index.popular_lookalike("raect").map(|p| p.name()), Some("react"));
}

/// A version as cargo sees it, with every field the snapshot keeps: a rename, all three
/// kinds, an optional dependency, default features off, dependency features, one dependency
/// under two targets, each feature form, `links` and a checksum.
pub(crate) fn cargo_summary(name: &str, version: &str, yanked: bool) -> Summary {
    use crate::resolve::{Dependency, DependencyKind};
    let dep = |alias: &str, package: &str, req: &str, kind| Dependency {
        name: alias.into(),
        package: package.into(),
        req: VersionReq::parse(req).unwrap(),
        kind,
        optional: false,
        default_features: true,
        features: Vec::new(),
        target: None,
    };
    let features = [
        ("default", vec!["std"]),
        ("std", vec!["json/std", "dep:gz"]),
        ("weak", vec!["gz?/zlib"]),
        ("empty", vec![]),
    ];
    Summary {
        name: name.into(),
        version: Version::parse(version).unwrap(),
        dependencies: vec![
            Dependency {
                features: vec!["std".into()],
                default_features: false,
                ..dep("json", "serde_json", "^1.0.100", DependencyKind::Normal)
            },
            Dependency { optional: true, ..dep("gz", "flate2", "1", DependencyKind::Normal) },
            dep("cc", "cc", "1.0.0-beta.2", DependencyKind::Build),
            dep("proptest", "proptest", "*", DependencyKind::Development),
            Dependency {
                target: Some("cfg(windows)".into()),
                ..dep("winapi", "winapi", "0.3", DependencyKind::Normal)
            },
            Dependency {
                target: Some("cfg(unix)".into()),
                ..dep("winapi", "winapi", "0.3", DependencyKind::Normal)
            },
        ],
        features: features
            .into_iter()
            .map(|(k, v)| (k.into(), v.into_iter().map(Into::into).collect()))
            .collect(),
        links: Some("z".into()),
        yanked,
        checksum: Some([5; 32]),
    }
}

fn cargo_index(order: &[usize]) -> Index {
    let entries = [
        cargo_summary("zlib-sys", "1.0.0", false),
        cargo_summary("zlib-sys", "1.1.0", true),
        cargo_summary("gone", "0.1.0", true),
        Summary {
            links: None,
            checksum: None,
            features: Default::default(),
            ..cargo_summary("zlib-sys", "0.9.0", false)
        },
    ];
    let mut b = IndexBuilder::default();
    for &i in order {
        b.push_cargo(entries[i].clone());
    }
    b.push(pack("rust-cli", "1.0.0"));
    b.build().unwrap()
}

#[test]
fn cargo_rows_and_yanked_versions_survive_a_snapshot_whatever_the_push_order() {
    let index = cargo_index(&[0, 1, 2, 3]);
    let bytes = index.to_snapshot();
    let loaded = Index::from_snapshot(&bytes).unwrap();
    assert_eq!(loaded, index);
    assert_eq!(cargo_index(&[3, 2, 1, 0]).to_snapshot(), bytes);
    let mut reqs = ReqCache::default();
    let row = loaded.latest("zlib-sys").unwrap();
    assert_eq!(row.cargo(&mut reqs).unwrap().unwrap(), cargo_summary("zlib-sys", "1.0.0", false));
    // The row lists the normal dependencies (each package and requirement once) and the checksum.
    let listed: Vec<_> = row.dependencies().collect();
    assert_eq!(listed, [("serde_json", "^1.0.100"), ("flate2", "^1"), ("winapi", "^0.3")]);
    assert_eq!(row.content_hash(), Some(&[5; 32]));
    assert_eq!(loaded.latest("rust-cli").unwrap().cargo(&mut reqs), None);
    let yanked: Vec<Summary> = loaded.yanked_of("zlib-sys").map(|y| y.cargo(&mut reqs).unwrap()).collect();
    assert_eq!(yanked, [cargo_summary("zlib-sys", "1.1.0", true)]);
    assert_eq!(loaded.yanked_of("Zlib-Sys").count(), 0, "cargo's names are exact");
    assert_eq!(loaded.yanked().len(), 2);
}

#[test]
fn a_yanked_version_is_never_listed_found_or_a_row() {
    let index = cargo_index(&[0, 1, 2, 3]);
    assert_eq!(index.len(), 3);
    assert!(index.versions_of("gone").is_empty());
    assert_eq!(index.latest("zlib-sys").unwrap().version(), "1.0.0");
    let hits = crate::search::search(&index, &crate::search::Query::new("zlib-sys"));
    let found: Vec<_> = hits.hits.iter().map(|h| index.get(h.record).version()).collect();
    assert_eq!(found, ["1.0.0"], "only the newest row, never a yanked version");
    assert!(crate::search::search(&index, &crate::search::Query::new("gone")).hits.is_empty());
    assert_eq!(index.yanked_of("gone").map(|y| y.version()).collect::<Vec<_>>(), ["0.1.0"]);
}

#[test]
fn a_row_takes_the_place_of_a_yanked_version_and_a_yanked_twin_is_refused() {
    let mut b = IndexBuilder::default();
    b.push_cargo(cargo_summary("zlib-sys", "1.1.0", true));
    b.push(pack("zlib-sys", "1.1.0"));
    let index = b.build().unwrap();
    assert_eq!((index.len(), index.yanked().len()), (1, 0));
    let mut b = IndexBuilder::default();
    b.push_cargo(cargo_summary("zlib-sys", "1.1.0", true));
    b.push_cargo(cargo_summary("zlib-sys", "1.1.0", true));
    assert!(matches!(b.build(), Err(BuildError::Duplicate { .. })));
}

#[test]
fn an_index_without_cargo_data_writes_no_cargo_sections() {
    let bytes = sample().to_snapshot();
    for tag in [b"CRGE", b"CRGB", b"YNAM", b"YCGB"] {
        assert!(!bytes.windows(4).any(|w| w == tag), "{}", String::from_utf8_lossy(tag));
    }
    assert!(!sample().has_cargo_data());
    // A rebuilt index keeps cargo's view, the yanked versions too (as a catalog rebuilds).
    let index = cargo_index(&[0, 1, 2, 3]);
    let mut b = IndexBuilder::default();
    index.iter().for_each(|row| b.push_row(row).unwrap());
    b.push_statements_of(&index);
    assert_eq!(b.build().unwrap(), index);
}
