use alloc::borrow::ToOwned;
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use semver::{Version, VersionReq};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

fn dep(spec: &str) -> Dependency {
    // "name req" or "alias=package req"
    let (name, req) = spec.split_once(' ').unwrap();
    let (alias, package) = name.split_once('=').unwrap_or((name, name));
    Dependency {
        name: alias.into(),
        package: package.into(),
        req: VersionReq::parse(req).unwrap(),
        kind: DependencyKind::Normal,
        optional: false,
        default_features: true,
        features: Vec::new(),
        target: None,
    }
}

fn summary(name: &str, version: &str, deps: &[&str]) -> Summary {
    Summary {
        name: name.into(),
        version: Version::parse(version).unwrap(),
        dependencies: deps.iter().map(|d| dep(d)).collect(),
        features: BTreeMap::new(),
        links: None,
        yanked: false,
        checksum: None,
    }
}

fn registry(packages: Vec<Summary>) -> MemoryRegistry {
    let mut r = MemoryRegistry::default();
    packages.into_iter().for_each(|p| r.insert(p));
    r
}

fn root(deps: &[&str]) -> Summary {
    summary("root", "0.1.0", deps)
}

/// `name version` of every package, sorted.
fn picked(r: &Resolution) -> Vec<String> {
    r.packages.keys().map(ToString::to_string).collect()
}

fn error(reg: &MemoryRegistry, root: &Summary) -> String {
    resolve(reg, root).unwrap_err().to_string()
}

#[test]
fn newest_matching_versions_are_chosen() {
    let reg = registry(vec![
        summary("a", "1.0.0", &[]),
        summary("a", "1.4.2", &["b ^0.3"]),
        summary("a", "2.0.0", &[]),
        summary("b", "0.3.1", &[]),
        summary("b", "0.4.0", &[]),
    ]);
    let r = resolve(&reg, &root(&["a ^1"])).unwrap();
    assert_eq!(picked(&r), ["a 1.4.2", "b 0.3.1", "root 0.1.0"]);
    let a = &r.packages[&PackageId { name: "a".into(), version: Version::new(1, 4, 2) }];
    assert_eq!(a.dependencies, [PackageId { name: "b".into(), version: Version::new(0, 3, 1) }]);
}

#[test]
fn one_version_per_compatible_range_and_majors_side_by_side() {
    let reg = registry(vec![
        summary("x", "1.0.0", &["c ^1"]),
        summary("y", "1.0.0", &["c ^2"]),
        summary("z", "1.0.0", &["c =1.1.0"]),
        summary("c", "1.1.0", &[]),
        summary("c", "1.2.0", &[]),
        summary("c", "2.0.0", &[]),
    ]);
    // x takes c 1.2.0 first; z needs exactly 1.1.0, so the search backs up and x shares it.
    let r = resolve(&reg, &root(&["x ^1", "y ^1", "z ^1"])).unwrap();
    assert_eq!(picked(&r), ["c 1.1.0", "c 2.0.0", "root 0.1.0", "x 1.0.0", "y 1.0.0", "z 1.0.0"]);
}

#[test]
fn yanked_versions_never_and_prereleases_only_when_named() {
    let mut yanked = summary("a", "1.5.0", &[]);
    yanked.yanked = true;
    let reg = registry(vec![summary("a", "1.4.0", &[]), yanked, summary("a", "1.6.0-beta.1", &[])]);
    assert_eq!(picked(&resolve(&reg, &root(&["a ^1"])).unwrap()), ["a 1.4.0", "root 0.1.0"]);
    assert_eq!(picked(&resolve(&reg, &root(&["a ^1.6.0-beta"])).unwrap()), ["a 1.6.0-beta.1", "root 0.1.0"]);
}

fn with_features(mut s: Summary, features: &[(&str, &[&str])]) -> Summary {
    s.features = features
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.iter().map(|f| (*f).to_owned()).collect()))
        .collect();
    s
}

fn optional(mut s: Summary) -> Summary {
    s.dependencies.iter_mut().for_each(|d| d.optional = true);
    s
}

#[test]
fn features_turn_on_optional_dependencies() {
    let lib = with_features(
        optional(summary("lib", "1.0.0", &["serde ^1", "json=serde_json ^1", "log ^0.4", "tls ^1"])),
        &[
            ("default", &["std"]),
            ("std", &["dep:log"]),
            ("derive", &["serde/derive"]),
            ("fast", &["tls?/asm"]),
        ],
    );
    let reg = registry(vec![
        lib,
        with_features(summary("serde", "1.0.0", &[]), &[("derive", &[])]),
        summary("serde_json", "1.0.0", &[]),
        summary("log", "0.4.20", &[]),
        with_features(summary("tls", "1.0.0", &[]), &[("asm", &[])]),
    ]);
    let mut plain = dep("lib ^1");
    plain.default_features = false;
    let bare = Summary { dependencies: vec![plain.clone()], ..root(&[]) };
    assert_eq!(picked(&resolve(&reg, &bare).unwrap()), ["lib 1.0.0", "root 0.1.0"]);
    // default -> std -> dep:log; `json` is the renamed serde_json's implicit feature;
    // `derive` -> serde/derive; weak `tls?/asm` brings tls into the lockfile graph, as in cargo.
    plain.features = vec!["json".into(), "derive".into(), "fast".into()];
    plain.default_features = true;
    let full = Summary { dependencies: vec![plain], ..root(&[]) };
    assert_eq!(
        picked(&resolve(&reg, &full).unwrap()),
        ["lib 1.0.0", "log 0.4.20", "root 0.1.0", "serde 1.0.0", "serde_json 1.0.0", "tls 1.0.0"]
    );
}

#[test]
fn a_version_whose_features_cargo_would_refuse_is_left_out() {
    // Each newer version of `a` breaks one of cargo's feature rules, so each is skipped
    // and `^1` settles on 1.0.0, whose features are sound.
    let broken = [
        // A value naming neither a feature nor a dependency.
        ("1.5.0", &[("x", &["nothing"][..])][..], false),
        // `dep:` on a required dependency.
        ("1.4.0", &[("x", &["dep:b"][..])][..], false),
        // A weak `?/` on a required dependency.
        ("1.3.0", &[("x", &["b?/std"][..])][..], false),
        // An optional dependency no feature enables: a feature of its name takes the place
        // of its implicit one.
        ("1.2.0", &[("c", &[][..])][..], true),
        // `dep:` with `/`.
        ("1.1.0", &[("x", &["dep:c/std"][..])][..], true),
    ];
    let mut versions = vec![with_features(summary("a", "1.0.0", &["b ^1"]), &[("x", &["b/std"])])];
    for (version, features, optional_c) in broken {
        let mut s = with_features(summary("a", version, &["b ^1", "c ^1"]), features);
        s.dependencies[1].optional = optional_c;
        versions.push(s);
    }
    versions.extend([
        with_features(summary("b", "1.0.0", &[]), &[("std", &[])]),
        with_features(summary("c", "1.0.0", &[]), &[("std", &[])]),
    ]);
    let r = resolve(&registry(versions), &root(&["a ^1"])).unwrap();
    assert_eq!(picked(&r), ["a 1.0.0", "b 1.0.0", "root 0.1.0"]);
}

#[test]
fn a_root_whose_features_cargo_would_refuse_is_named() {
    let reg = registry(vec![summary("a", "1.0.0", &[])]);
    let root = with_features(root(&["a ^1"]), &[("x", &["nothing"])]);
    assert_eq!(error(&reg, &root), "root 0.1.0 declares invalid features, so it cannot be resolved");
}

#[test]
fn a_chain_of_a_hundred_thousand_features_resolves_without_exhausting_the_stack() {
    // A hostile index line: each feature turns on the next.
    const LONG: usize = 100_000;
    let names: Vec<String> = (0..=LONG).map(|i| alloc::format!("f{i}")).collect();
    let mut a = summary("a", "1.0.0", &[]);
    a.features =
        (0..=LONG).map(|i| (names[i].clone(), names.get(i + 1).cloned().into_iter().collect())).collect();
    let mut wants = dep("a ^1");
    wants.features = vec!["f0".into()];
    let r = resolve(&registry(vec![a]), &Summary { dependencies: vec![wants], ..root(&[]) }).unwrap();
    assert_eq!(picked(&r), ["a 1.0.0", "root 0.1.0"]);
}

#[test]
fn a_version_with_twenty_thousand_hidden_optional_dependencies_is_checked_rightly() {
    // A hostile index line: many optional dependencies, each hidden by `dep:` and named
    // by a weak value; checked with sorted lookups, not one scan per value.
    const MANY: usize = 20_000;
    let deps: Vec<String> = (0..MANY).map(|i| alloc::format!("d{i} ^1")).collect();
    let mut a = optional(summary("a", "1.0.0", &deps.iter().map(String::as_str).collect::<Vec<_>>()));
    a.features = (0..MANY)
        .map(|i| (alloc::format!("x{i}"), vec![alloc::format!("dep:d{i}"), alloc::format!("d{i}?/std")]))
        .collect();
    assert!(a.features_valid());
    a.features.insert("broken".into(), vec!["d0/std".into(), "nothing".into()]);
    assert!(!a.features_valid());
}

#[test]
fn features_unify_across_dependents() {
    let lib = with_features(optional(summary("lib", "1.0.0", &["extra ^1"])), &[("more", &["dep:extra"])]);
    let mut wants_more = summary("b", "1.0.0", &["lib ^1"]);
    wants_more.dependencies[0].features = vec!["more".into()];
    let reg =
        registry(vec![lib, summary("extra", "1.0.0", &[]), summary("a", "1.0.0", &["lib ^1"]), wants_more]);
    let r = resolve(&reg, &root(&["a ^1", "b ^1"])).unwrap();
    assert_eq!(picked(&r), ["a 1.0.0", "b 1.0.0", "extra 1.0.0", "lib 1.0.0", "root 0.1.0"]);
}

#[test]
fn build_dependencies_count_and_development_ones_only_for_the_root() {
    let mut lib = summary("lib", "1.0.0", &["cc ^1", "tester ^1"]);
    lib.dependencies[0].kind = DependencyKind::Build;
    lib.dependencies[1].kind = DependencyKind::Development;
    let reg = registry(vec![lib, summary("cc", "1.0.0", &[]), summary("tester", "1.0.0", &[])]);
    let mut root = root(&["lib ^1", "tester ^1"]);
    root.dependencies[1].kind = DependencyKind::Development;
    assert_eq!(
        picked(&resolve(&reg, &root).unwrap()),
        ["cc 1.0.0", "lib 1.0.0", "root 0.1.0", "tester 1.0.0"]
    );
}

#[test]
fn one_package_per_links_value() {
    let links = |mut s: Summary, l: &str| {
        s.links = Some(l.into());
        s
    };
    let reg = registry(vec![
        links(summary("openssl-sys", "0.9.0", &[]), "ssl"),
        links(summary("boringssl-sys", "2.0.0", &[]), "ssl"),
        summary("tls", "1.1.0", &["boringssl-sys ^2"]),
        summary("tls", "1.0.0", &[]),
    ]);
    // tls 1.1 would link ssl a second time, so the search settles on tls 1.0.
    let r = resolve(&reg, &root(&["openssl-sys ^0.9", "tls ^1"])).unwrap();
    assert_eq!(picked(&r), ["openssl-sys 0.9.0", "root 0.1.0", "tls 1.0.0"]);
}

#[test]
fn cycles_resolve_without_looping() {
    let reg = registry(vec![summary("a", "1.0.0", &["b ^1"]), summary("b", "1.0.0", &["a ^1"])]);
    let r = resolve(&reg, &root(&["a ^1"])).unwrap();
    assert_eq!(picked(&r), ["a 1.0.0", "b 1.0.0", "root 0.1.0"]);
}

#[test]
fn ten_thousand_versions_are_no_burden() {
    let versions = (0..10_000).map(|i| summary("big", &alloc::format!("1.{i}.0"), &[])).collect();
    let r = resolve(&registry(versions), &root(&["big ^1.20"])).unwrap();
    assert_eq!(picked(&r), ["big 1.9999.0", "root 0.1.0"]);
}

#[test]
fn souk_packs_resolve_through_the_same_engine() {
    let pack = crate::pack::Manifest {
        name: "rust-cli".into(),
        version: "1.0.0".into(),
        description: "d".into(),
        license: "MIT".into(),
        dependencies: [("rust-ci".to_owned(), "1".to_owned())].into(),
        ..Default::default()
    }
    .validate()
    .unwrap();
    let reg = registry(vec![summary("rust-ci", "1.2.0", &[]), summary("rust-ci", "2.0.0", &[])]);
    let r = resolve(&reg, &Summary::from_pack(&pack)).unwrap();
    assert_eq!(picked(&r), ["rust-ci 1.2.0", "rust-cli 1.0.0"]);
}

// Unsatisfiable graphs: each explanation is checked word for word.

#[test]
fn a_missing_package_is_named_with_who_needs_it() {
    let reg = registry(vec![summary("a", "1.0.0", &["ghost ^1"])]);
    assert_eq!(
        error(&reg, &root(&["a ^1"])),
        "no package named `ghost` exists (required by root 0.1.0 → a 1.0.0)"
    );
}

#[test]
fn no_matching_version_names_the_newest() {
    let reg = registry(vec![summary("a", "1.5.0", &[]), summary("a", "1.0.0", &[])]);
    assert_eq!(
        error(&reg, &root(&["a ^2"])),
        "root 0.1.0 requires a ^2, but no version of a matches ^2 (the newest is 1.5.0)"
    );
}

#[test]
fn only_yanked_matches_say_so() {
    let mut yanked = summary("a", "1.0.0", &[]);
    yanked.yanked = true;
    let reg = registry(vec![yanked, summary("a", "0.9.0", &[])]);
    assert_eq!(
        error(&reg, &root(&["a ^1"])),
        "root 0.1.0 requires a ^1, but every version of a that matches ^1 is yanked"
    );
    let mut all = summary("b", "1.0.0", &[]);
    all.yanked = true;
    assert_eq!(
        error(&registry(vec![all]), &root(&["b ^2"])),
        "root 0.1.0 requires b ^2, but no version of b matches ^2 (every version is yanked)"
    );
}

#[test]
fn a_prerelease_is_not_a_match_for_a_plain_requirement() {
    let reg = registry(vec![summary("a", "2.0.0-beta.1", &[]), summary("a", "1.0.0", &[])]);
    assert_eq!(
        error(&reg, &root(&["a ^2"])),
        "root 0.1.0 requires a ^2, but no version of a matches ^2 (the newest is 2.0.0-beta.1)"
    );
}

#[test]
fn a_direct_clash_names_both_requirements() {
    let reg = registry(vec![
        summary("a", "1.0.0", &[]),
        summary("a", "1.1.0", &[]),
        summary("b", "1.0.0", &["a =1.1.0"]),
    ]);
    assert_eq!(
        error(&reg, &root(&["a =1.0.0", "b ^1"])),
        "root 0.1.0 → b 1.0.0 requires a =1.1.0, but a 1.0.0 is already selected for root 0.1.0 (which requires \
         a =1.0.0); no choice of versions satisfies both"
    );
}

#[test]
fn a_clash_three_levels_deep_names_the_packages_involved() {
    let reg = registry(vec![
        summary("x", "1.0.0", &["y ^1"]),
        summary("y", "1.0.0", &["z =1.0.0"]),
        summary("w", "1.0.0", &["z ^1.2"]),
        summary("z", "1.0.0", &[]),
        summary("z", "1.2.0", &[]),
    ]);
    assert_eq!(
        error(&reg, &root(&["x ^1", "w ^1"])),
        "root 0.1.0 → x 1.0.0 → y 1.0.0 requires z =1.0.0, but z 1.2.0 is already selected for root 0.1.0 → \
         w 1.0.0 (which requires z ^1.2); no choice of versions satisfies both"
    );
}

#[test]
fn a_clash_that_every_alternative_repeats_is_explained_once() {
    let reg = registry(vec![
        summary("a", "1.0.0", &["c =1.0.0"]),
        summary("a", "1.1.0", &["c =1.0.0"]),
        summary("b", "1.0.0", &["c =1.1.0"]),
        summary("c", "1.0.0", &[]),
        summary("c", "1.1.0", &[]),
    ]);
    assert_eq!(
        error(&reg, &root(&["a ^1", "b ^1"])),
        "root 0.1.0 → a 1.0.0 requires c =1.0.0, but c 1.1.0 is already selected for root 0.1.0 → b 1.0.0 \
         (which requires c =1.1.0); no choice of versions satisfies both"
    );
}

#[test]
fn two_packages_linking_one_library_clash() {
    let mut p = summary("p-sys", "1.0.0", &[]);
    p.links = Some("z".into());
    let mut q = summary("q-sys", "1.0.0", &[]);
    q.links = Some("z".into());
    assert_eq!(
        error(&registry(vec![p, q]), &root(&["p-sys ^1", "q-sys ^1"])),
        "q-sys 1.0.0 and p-sys 1.0.0 both link the native library `z`, and a graph may hold only one package per \
         `links` value"
    );
}

#[test]
fn an_unknown_feature_is_named() {
    let reg = registry(vec![summary("a", "1.0.0", &[])]);
    let mut wants = dep("a ^1");
    wants.features = vec!["turbo".into()];
    assert_eq!(
        error(&reg, &Summary { dependencies: vec![wants], ..root(&[]) }),
        "a 1.0.0 has no feature `turbo`"
    );
}

#[test]
fn a_clash_no_earlier_choice_causes_is_not_searched_for_among_them() {
    // Twenty independent two-way choices come first (they have as few candidates as the
    // rest), then a clash none of them plays a part in. Going back one choice at a time
    // would try 2^20 combinations, past the activation budget; jumping back past the
    // choices that play no part fails at once, explained.
    let mut packages: Vec<Summary> = (0..20)
        .flat_map(|i| {
            [summary(&alloc::format!("p{i}"), "1.0.0", &[]), summary(&alloc::format!("p{i}"), "1.1.0", &[])]
        })
        .collect();
    packages.extend([
        summary("r", "1.0.0", &[]),
        summary("r", "1.1.0", &[]),
        summary("r", "1.2.0", &[]),
        summary("q", "1.0.0", &["r =1.0.0"]),
        summary("q", "1.1.0", &["r =1.0.0"]),
    ]);
    let mut deps: Vec<String> = (0..20).map(|i| alloc::format!("p{i} ^1")).collect();
    deps.extend(["r ^1.1".into(), "q ^1".into()]);
    let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
    assert_eq!(
        error(&registry(packages), &root(&deps)),
        "root 0.1.0 → q 1.0.0 requires r =1.0.0, but r 1.2.0 is already selected for root 0.1.0 (which requires \
         r ^1.1); no choice of versions satisfies both"
    );
}

#[test]
fn an_install_is_its_packs_without_a_root() {
    let reg = registry(vec![summary("a", "1.4.2", &["b ^0.3"]), summary("b", "0.3.1", &[])]);
    let r = install(&reg, "a", VersionReq::parse("^1").unwrap()).unwrap();
    assert_eq!(picked(&r), ["a 1.4.2", "b 0.3.1"]);
    let err = install(&reg, "a", VersionReq::parse("^2").unwrap()).unwrap_err().to_string();
    assert_eq!(err, "the install requires a ^2, but no version of a matches ^2 (the newest is 1.4.2)");
}

#[test]
fn an_install_reads_only_what_its_root_can_reach() {
    let mut builder = crate::IndexBuilder::default();
    for (name, deps) in [("app", &["lib"][..]), ("lib", &["leaf"]), ("leaf", &[]), ("unrelated", &[])] {
        let manifest = crate::Manifest {
            name: name.into(),
            version: "1.0.0".into(),
            description: "a pack".into(),
            license: "MIT".into(),
            dependencies: deps.iter().map(|d| ((*d).to_owned(), "^1".to_owned())).collect(),
            ..crate::Manifest::default()
        };
        builder.push(manifest.validate().unwrap());
    }
    let index = builder.build().unwrap();
    let reachable = MemoryRegistry::reachable(&index, "app").unwrap();
    assert_eq!(reachable.len(), 3);
    assert!(reachable.versions("unrelated").is_empty());
    let whole = MemoryRegistry::from_index(&index).unwrap();
    let req = VersionReq::parse("*").unwrap();
    assert_eq!(install(&reachable, "app", req.clone()), install(&whole, "app", req));
}

#[test]
fn a_new_resolution_skips_a_yanked_version_and_a_lockfile_still_takes_it() {
    use crate::record::{Claim, PackRecord, Statement};
    let key = [7; 32];
    let mut builder = crate::IndexBuilder::default();
    for version in ["1.0.0", "1.1.0"] {
        let manifest = crate::Manifest {
            name: "lib".into(),
            version: version.into(),
            description: "a pack".into(),
            license: "MIT".into(),
            ..crate::Manifest::default()
        };
        let mut pack = manifest.validate().unwrap();
        pack.content_hash = Some([1; 32]);
        builder.push_record(PackRecord::sign(pack, &key).unwrap());
    }
    builder.push_statement(Statement::sign("lib", Claim::Yank(Version::new(1, 1, 0)), 1, &key).unwrap());
    let index = builder.build().unwrap();
    let req = VersionReq::parse("^1").unwrap();

    let fresh = MemoryRegistry::reachable(&index, "lib").unwrap();
    assert_eq!(picked(&install(&fresh, "lib", req.clone()).unwrap()), ["lib 1.0.0"]);
    let mut locked = MemoryRegistry::reachable(&index, "lib").unwrap();
    locked.prefer("lib", &Version::new(1, 1, 0));
    assert_eq!(picked(&install(&locked, "lib", req).unwrap()), ["lib 1.1.0"]);
}

#[test]
fn a_locked_version_is_kept_where_it_still_fits_and_replaced_where_it_does_not() {
    let versions = ["1.0.0", "1.1.0", "2.0.0"].map(|v| summary("lib", v, &[])).to_vec();
    let mut locked = registry(versions);
    locked.prefer("lib", &Version::new(1, 0, 0));
    // Kept though 1.1.0 is newer, as cargo keeps a locked version...
    let r = install(&locked, "lib", VersionReq::parse("^1").unwrap()).unwrap();
    assert_eq!(picked(&r), ["lib 1.0.0"]);
    // ...and replaced by the newest that fits once the requirement moves past it.
    let r = install(&locked, "lib", VersionReq::parse("^2").unwrap()).unwrap();
    assert_eq!(picked(&r), ["lib 2.0.0"]);
}

#[test]
fn an_imported_snapshot_resolves_by_cargo_rules_not_by_its_listed_dependencies() {
    use crate::index::{Index, IndexBuilder};
    // `a` names a dependency the index lacks, optional and off by default; its newest
    // version was yanked at the source.
    let mut a = summary("a", "1.0.0", &["absent 1", "b 1"]);
    a.dependencies[0].optional = true;
    a.dependencies[1].kind = DependencyKind::Build;
    a.features.insert("extra".into(), vec!["dep:absent".into()]);
    let yanked = Summary { version: Version::new(1, 1, 0), yanked: true, ..a.clone() };
    let mut builder = IndexBuilder::default();
    for s in [a, yanked, summary("b", "1.0.0", &[])] {
        builder.push_cargo(s);
    }
    let index = Index::from_snapshot(&builder.build().unwrap().to_snapshot()).unwrap();
    let mut registry = MemoryRegistry::reachable_from(&index, ["a"]).unwrap();
    assert_eq!(picked(&resolve(&registry, &root(&["a 1"])).unwrap()), ["a 1.0.0", "b 1.0.0", "root 0.1.0"]);
    registry.prefer("a", &Version::new(1, 1, 0));
    assert_eq!(picked(&resolve(&registry, &root(&["a 1"])).unwrap()), ["a 1.1.0", "b 1.0.0", "root 0.1.0"]);
}
