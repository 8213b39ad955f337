//! The `souk` binary as a user meets it: real processes, real files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{manifest_dir, shared};

fn souk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_souk")).args(args).output().expect("souk runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// A failed command says one line on stderr, starting `error:`, and exits with 1.
fn assert_one_line_error(out: &Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("error: ") && err.contains(needle), "{err:?} lacks {needle:?}");
}

fn fixture(name: &str) -> PathBuf {
    manifest_dir().join("tests/fixtures").join(name)
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[derive(serde::Deserialize)]
struct Hit {
    name: String,
    version: String,
    description: String,
    downloads: u64,
    score: u32,
}

fn json_hits(out: &Output) -> Vec<Hit> {
    assert!(out.status.success(), "{}", stderr(out));
    serde_json::from_slice(&out.stdout).expect("--json prints a JSON array")
}

#[test]
fn an_import_keeps_every_valid_row_and_counts_the_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("dump.tsv");
    std::fs::write(
        &dump,
        "name\tversion\tdownloads_a_month\tsummary\n\
         left-pad\t1.3.0\t10\tpads\n\
         weird\t2.10.1.1338\t5\tnot semver\n\
         left-pad\t1.3.0\t10\tthe same row again\n\
         huge\t18446744073709551616.0.0\t1\ta major past u64\n\
         right-pad\t0.1.0\t\tpads the other side\n\
         ../escape\t1.0.0\t1\ta name like a path\n\
         @scope/pkg\t1.0.0\t1\tanother registry's own name\n",
    )
    .unwrap();
    let index = dir.path().join("dump.idx");
    let out = souk(&["index", "import", path_str(&dump), "--out", path_str(&index)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("Imported 3 pack versions"), "{err}");
    assert!(err.contains("Skipped 4 rows: 1 name not listable, 1 repeated, 2 version not semver"), "{err}");
    assert!(err.contains("dump.tsv:7: the package name \"../escape\" must not have"), "{err}");
    assert!(err.contains("dump.tsv:3: weird: bad version \"2.10.1.1338\""), "{err}");
    let names: Vec<String> = json_hits(&souk(&["search", "", "--index", path_str(&index), "--json"]))
        .into_iter()
        .map(|h| h.name)
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");

    // Strict: the first bad row fails the import, naming its line, and writes nothing.
    let strict = dir.path().join("strict.idx");
    let out = souk(&["index", "import", path_str(&dump), "--out", path_str(&strict), "--strict"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("dump.tsv:3"), "{}", stderr(&out));
    assert!(!strict.exists());
}

#[test]
fn import_then_search() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("npm.idx");
    let out = souk(&["index", "import", path_str(&fixture("npm-sample.tsv")), "--out", path_str(&index)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Imported 300 pack versions"), "{}", stderr(&out));

    let hits = json_hits(&souk(&["search", "react", "--index", path_str(&index), "--json"]));
    assert_eq!(hits[0].name, "react");
    assert_eq!(hits[0].version, "19.3.1");
    assert_eq!(hits[0].description, "React is a JavaScript library for building user interfaces.");
    assert!(hits[0].downloads > 300_000_000 && hits[0].score > hits[1].score);

    let page = json_hits(&souk(&[
        "search",
        "",
        "--index",
        path_str(&index),
        "--json",
        "--limit",
        "5",
        "--offset",
        "2",
    ]));
    assert_eq!(page.len(), 5);
    let table = souk(&["search", "react", "--index", path_str(&index), "--limit", "2"]);
    assert!(
        stdout(&table).starts_with("react = \"19.3.1\"       # React is a JavaScript library"),
        "{}",
        stdout(&table)
    );
    assert!(stderr(&table).contains("... and 10 more"), "{}", stderr(&table));
}

/// The core's cross-target fixture is exactly what the importer writes today.
#[test]
fn sample_import_reproduces_the_core_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("sample.idx");
    // The snapshot names the importer's key: a fixed one, so the bytes are too.
    let key = libp2p::identity::Keypair::ed25519_from_bytes([7; 32]).unwrap();
    std::fs::write(dir.path().join("identity.key"), key.to_protobuf_encoding().unwrap()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_souk"))
        .env("SOUK_HOME", dir.path())
        .args(["index", "import", path_str(&fixture("npm-sample.tsv")), "--out", path_str(&index)])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let committed = manifest_dir().join("../souk-core/tests/fixtures/npm-sample.idx");
    assert!(
        std::fs::read(&index).unwrap() == std::fs::read(&committed).unwrap(),
        "the snapshot format or importer changed: regenerate with `souk index import {} --out {}` (SOUK_HOME holding the test's key)",
        fixture("npm-sample.tsv").display(),
        committed.display()
    );
}

#[test]
fn without_an_index_the_demo_registry_answers() {
    let hits = json_hits(&souk(&["search", "rust", "--json", "--limit", "100"]));
    let names: Vec<&str> = hits.iter().map(|h| h.name.as_str()).collect();
    assert!(names.contains(&"rust-cli") && names.contains(&"rust-lib"), "{names:?}");
    let all = json_hits(&souk(&["search", "--json", "--limit", "1000"]));
    assert!(all.len() >= 20);
}

#[test]
fn filters_and_sorts_narrow_and_order_the_demo_registry() {
    let licenses = json_hits(&souk(&["search", "--tag", "license", "--json"]));
    let names: Vec<&str> = licenses.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["license-apache", "license-mit", "license-mit-apache"]);
    let apache = json_hits(&souk(&["search", "rust", "--license", "Apache-2.0", "--json", "--limit", "100"]));
    assert!(apache.iter().all(|h| h.name != "license-mit") && apache.iter().any(|h| h.name == "rust-cli"));
    let ci = json_hits(&souk(&["search", "--category", "CI", "--sort", "newest", "--json"]));
    assert!(
        ci.len() >= 4 && ci.iter().any(|h| h.name == "rust-ci"),
        "{:?}",
        ci.iter().map(|h| &h.name).collect::<Vec<_>>()
    );
    let typo = json_hits(&souk(&["search", "dockerfil", "--json"]));
    assert!(typo[0].name.starts_with("dockerfile-"));
    let bad = souk(&["search", "x", "--sort", "sideways"]);
    assert_eq!(bad.status.code(), Some(2), "clap refuses an unknown sort");
}

#[test]
fn a_broken_tsv_line_names_the_line_and_leaves_the_old_output() {
    let dir = tempfile::tempdir().unwrap();
    let tsv = dir.path().join("broken.tsv");
    std::fs::write(&tsv, "name\tversion\tdownloads_a_month\tsummary\nok\t1.0.0\t5\tfine\nbroken\t1.0.0\n")
        .unwrap();
    let index = dir.path().join("out.idx");
    std::fs::write(&index, b"previous contents").unwrap();
    // Strict: a bad row fails the import and the old output stays (by default it is skipped).
    let out = souk(&["index", "import", path_str(&tsv), "--out", path_str(&index), "--strict"]);
    assert_one_line_error(
        &out,
        "broken.tsv:3: expected 4 tab-separated fields (name, version, downloads_a_month, summary), found 2",
    );
    assert_eq!(std::fs::read(&index).unwrap(), b"previous contents");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "a temporary file was left behind");

    std::fs::write(&tsv, "name\tversion\tdownloads_a_month\tsummary\nx\tone\t5\t\n").unwrap();
    assert_one_line_error(
        &souk(&["index", "import", path_str(&tsv), "--out", path_str(&index), "--strict"]),
        "broken.tsv:2: x: bad version \"one\"",
    );
    std::fs::write(&tsv, "nom\tversion\n").unwrap();
    assert_one_line_error(
        &souk(&["index", "import", path_str(&tsv), "--out", path_str(&index)]),
        "broken.tsv:1: expected the header line",
    );
}

#[test]
fn a_truncated_snapshot_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = std::fs::read(manifest_dir().join("../souk-core/tests/fixtures/npm-sample.idx")).unwrap();
    let cut = dir.path().join("cut.idx");
    std::fs::write(&cut, &snapshot[..snapshot.len() / 2]).unwrap();
    assert_one_line_error(
        &souk(&["search", "react", "--index", path_str(&cut)]),
        &format!("cannot load index {}: snapshot is truncated", cut.display()),
    );
    std::fs::write(&cut, b"hello").unwrap();
    assert_one_line_error(&souk(&["search", "x", "--index", path_str(&cut)]), "not a Souk index snapshot");
}

#[test]
fn an_invalid_manifest_is_refused_naming_each_field() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("souk.toml"),
        "[pack]\nname = \"9lives\"\nversion = \"1.0\"\ndescription = \"d\"\nlicense = \"MIT\"\n",
    )
    .unwrap();
    let out_file = dir.path().join("out.souk");
    assert_one_line_error(
        &souk(&["pack", path_str(dir.path()), "--out", path_str(&out_file)]),
        "souk.toml: name: must start with an ASCII letter; version: is not a semver version",
    );
    assert!(!out_file.exists());
}

#[test]
fn a_pack_whose_templates_do_not_render_is_refused_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("souk.toml"),
        "[pack]\nname = \"ci\"\nversion = \"1.0.0\"\ndescription = \"d\"\nlicense = \"MIT\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("ci.yml"), "on: push\nruns-on: ${{ matrix.os }}\n").unwrap();
    let out_file = dir.path().join("out.souk");
    assert_one_line_error(
        &souk(&["pack", path_str(dir.path()), "--out", path_str(&out_file)]),
        "ci: ci.yml: undefined value: matrix is not declared (declare it in [[variables]]; if it is another tool's syntax, list the file in [template] verbatim)",
    );
    assert!(!out_file.exists());
}

#[test]
fn a_demo_pack_packs() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("rust-cli.souk");
    let demo = manifest_dir().join("../../registry/demo/rust-cli");
    let out = souk(&["pack", path_str(&demo), "--out", path_str(&out_file)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Packed rust-cli v1.0.0"));
    let files = souk_core::body::decode(&std::fs::read(&out_file).unwrap()).unwrap();
    assert!(files.iter().any(|f| f.path == "src/main.rs"));
}

#[test]
fn an_unknown_extension_asks_for_a_format() {
    assert_one_line_error(
        &souk(&["index", "import", "registry.csv", "--out", "x.idx"]),
        "pass --format npm-tsv or --format crates-index",
    );
}

#[test]
fn full_npm_corpus_finds_react() {
    let Some(tsv) = shared("corpus/npm-packages.tsv") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("npm.idx");
    let out = souk(&["index", "import", path_str(&tsv), "--out", path_str(&index)]);
    assert!(stderr(&out).contains("Imported 226994 pack versions"), "{}", stderr(&out));
    let hits = json_hits(&souk(&["search", "react", "--index", path_str(&index), "--json"]));
    assert_eq!(hits[0].name, "react");
}

/// An imported crates.io index resolves as cargo does (the case's Cargo.lock, byte for
/// byte), and keeps yanked versions for lockfiles only: no search shows one.
#[test]
fn crates_index_imports_resolve_as_cargo_and_yanked_versions_only_for_lockfiles() {
    let Some(jsonl) = shared("resolve/crates-index-large.jsonl.gz") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("crates.idx");
    let out = souk(&["index", "import", path_str(&jsonl), "--out", path_str(&index)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Imported 23967 pack versions (+1537 yanked, kept for lockfiles)"),
        "{}",
        stderr(&out)
    );
    let hits = json_hits(&souk(&["search", "tokio", "--index", path_str(&index), "--json"]));
    assert_eq!(hits[0].name, "tokio");
    let case = jsonl.parent().unwrap().join("roots-large/sqlx-pg-sqlite");
    let lock = dir.path().join("Cargo.lock");
    let manifest = case.join("Cargo.toml");
    let args = ["resolve", "--registry", path_str(&index), "--manifest", path_str(&manifest)];
    let out = souk(&[&args[..], &["--format", "cargo-lock", "--out", path_str(&lock)]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&lock).unwrap(),
        std::fs::read_to_string(case.join("Cargo.lock")).unwrap()
    );
    // critical-section's newest version, 1.3.0, was yanked: the hit is 1.2.0.
    let hits = json_hits(&souk(&["search", "critical-section", "--index", path_str(&index), "--json"]));
    assert_eq!((hits[0].name.as_str(), hits[0].version.as_str()), ("critical-section", "1.2.0"));

    let broken = dir.path().join("broken.jsonl");
    std::fs::write(&broken, "{\"name\":\"a\",\"vers\":\"1.0.0\"}\nnot json\n").unwrap();
    // The valid row is kept and the broken one counted; strict, it is an error.
    let out = souk(&["index", "import", path_str(&broken), "--out", path_str(&index)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Skipped 1 rows: 1 not an index line"), "{}", stderr(&out));
    assert_one_line_error(
        &souk(&["index", "import", path_str(&broken), "--out", path_str(&index), "--strict"]),
        "broken.jsonl:2: not a crates.io index line",
    );
}

#[test]
fn resolve_writes_a_stable_lockfile() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = manifest_dir().join("../../registry/demo/open-source-starter/souk.toml");
    let lock = dir.path().join("souk.lock");
    let args = ["resolve", "--manifest", path_str(&manifest), "--out", path_str(&lock)];
    let out = souk(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Resolved 9 packages"), "{}", stderr(&out));
    let first = std::fs::read_to_string(&lock).unwrap();
    assert!(first.contains("name = \"license-mit-apache\"\nversion = \"1.0.0\"\ndependencies = [\"license-apache 1.0.0\", \"license-mit 1.0.0\"]"), "{first}");
    assert!(souk(&args).status.success());
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), first, "re-resolving changed the lockfile");
    let json: serde_json::Value = serde_json::from_slice(
        &souk(&["resolve", "--manifest", path_str(&manifest), "--format", "json"]).stdout,
    )
    .unwrap();
    assert_eq!(json.as_array().unwrap().len(), 9);
}

#[test]
fn resolve_explains_bad_input_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let souk_toml = write(
        "souk.toml",
        "[pack]\nname = \"app\"\nversion = \"1.0.0\"\ndescription = \"d\"\nlicense = \"MIT\"\n[dependencies]\nreadme = \">>1\"\n",
    );
    assert_one_line_error(
        &souk(&["resolve", "--manifest", path_str(&souk_toml)]),
        "souk.toml: dependency \"readme\": is not a semver requirement",
    );
    let cargo_toml = write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n[dependencies]\nserde = \"1.x.y\"\n",
    );
    let registry = write("index.jsonl", "{\"name\":\"serde\",\"vers\":\"1.0.0\",\"deps\":[]}\n");
    assert_one_line_error(
        &souk(&["resolve", "--registry", path_str(&registry), "--manifest", path_str(&cargo_toml)]),
        "[dependencies] serde: bad requirement \"1.x.y\"",
    );
    let wants_two = write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n[dependencies]\nserde = \"2\"\n",
    );
    let broken = write("broken.jsonl", "{\"name\":\"serde\",\"vers\":\"1.0.0\",\"deps\":[]}\n{not json\n");
    assert_one_line_error(
        &souk(&["resolve", "--registry", path_str(&broken), "--manifest", path_str(&wants_two)]),
        "broken.jsonl:2: not a crates.io index line",
    );
    assert_one_line_error(
        &souk(&["resolve", "--registry", path_str(&registry), "--manifest", path_str(&wants_two)]),
        "app 0.1.0 requires serde ^2, but no version of serde matches ^2 (the newest is 1.0.0)",
    );
}
