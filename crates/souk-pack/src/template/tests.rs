use std::collections::BTreeMap;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use souk_core::body::{self, PackFile};

fn builtins(name: &str) -> Builtins {
    Builtins { name: name.into(), year: 2026, author: "Ada <ada@example.org>".into() }
}

fn pack(manifest_tail: &str, files: &[(&str, &str)]) -> Source {
    let name = files.iter().find(|(p, _)| *p == "NAME").map_or("demo", |(_, n)| n);
    let manifest = format!(
        "[pack]\nname = \"{name}\"\nversion = \"1.0.0\"\ndescription = \"d\"\nlicense = \"MIT\"\n{manifest_tail}"
    );
    let mut all = vec![PackFile { path: "souk.toml".into(), contents: manifest.into_bytes() }];
    all.extend(
        files
            .iter()
            .filter(|(p, _)| *p != "NAME")
            .map(|(p, c)| PackFile { path: (*p).into(), contents: c.as_bytes().to_vec() }),
    );
    Source::from_files(all).unwrap()
}

fn generate(sources: &[Source], given: &[(&str, &str)]) -> Result<Tree, GenerateError> {
    let given: BTreeMap<String, String> = given.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
    let variables = variables(sources)?;
    let answers = answer(&variables, &builtins("my-tool"), &given, None).map_err(GenerateError::Answers)?;
    render(sources, &answers)
}

fn text(tree: &Tree, path: &str) -> String {
    String::from_utf8(tree[path].clone()).unwrap()
}

/// The demo registry's packs as sources, and each pack's dependencies by name.
fn demo() -> (BTreeMap<String, Source>, BTreeMap<String, Vec<String>>) {
    let mut sources = BTreeMap::new();
    let mut edges = BTreeMap::new();
    for p in crate::demo::packs().unwrap() {
        let files = body::decode(&p.body).unwrap();
        edges.insert(p.version.name.clone(), p.version.dependencies.iter().map(|d| d.name.clone()).collect());
        sources.insert(p.version.name.clone(), Source::from_files(files).unwrap());
    }
    (sources, edges)
}

#[test]
fn every_demo_pack_generates_with_its_defaults_and_leaves_nothing_unrendered() {
    let (sources, edges) = demo();
    for root in sources.keys() {
        let ordered: Vec<Source> = render_order(root, &edges).iter().map(|n| sources[n].clone()).collect();
        let tree = generate(&ordered, &[]).unwrap_or_else(|e| panic!("{root}: {e}"));
        assert!(!tree.is_empty(), "{root} generated nothing");
        for (path, bytes) in &tree {
            let Ok(text) = std::str::from_utf8(bytes) else { continue };
            let workflow = path.starts_with(".github/workflows/");
            assert!(workflow || !text.contains("{{"), "{root}: {path} keeps a template: {text}");
            assert!(!path.contains("{{"), "{root}: the path {path} is not rendered");
        }
    }
    let (sources, edges) = demo();
    let ordered: Vec<Source> = render_order("rust-cli", &edges).iter().map(|n| sources[n].clone()).collect();
    let tree = generate(&ordered, &[("description", "Greets people")]).unwrap();
    assert!(text(&tree, "Cargo.toml").contains("name = \"my-tool\"\n"));
    assert!(text(&tree, "Cargo.toml").contains("description = \"Greets people\""));
    assert!(text(&tree, ".github/workflows/ci.yml").contains("${{ matrix.os }}"));
    for from_dependency in [".editorconfig", ".gitignore", "LICENSE-MIT", "LICENSE-APACHE"] {
        assert!(tree.contains_key(from_dependency), "{from_dependency} missing: {:?}", tree.keys());
    }
    let python: Vec<Source> =
        render_order("python-package", &edges).iter().map(|n| sources[n].clone()).collect();
    let tree = generate(&python, &[]).unwrap();
    assert!(tree.contains_key("src/my_tool/__init__.py"), "{:?}", tree.keys());
}

#[test]
fn answers_are_typed_checked_and_refused_by_name_and_rule() {
    let source = pack(
        r#"
[[variables]]
name = "port"
type = "integer"
default = 8080
min = 1024
max = 65535

[[variables]]
name = "license"
type = "choice"
choices = ["MIT", "Apache-2.0"]
default = "MIT"

[[variables]]
name = "docker"
type = "bool"
default = false

[[variables]]
name = "crate_name"
default = "{{ name_snake }}_core"
pattern = "[a-z_]+"
"#,
        &[("main.txt", "{{ port }} {{ license }} {{ docker }} {{ crate_name }}\n")],
    );
    let tree = generate(std::slice::from_ref(&source), &[]).unwrap();
    assert_eq!(text(&tree, "main.txt"), "8080 MIT false my_tool_core\n");
    let tree = generate(std::slice::from_ref(&source), &[("docker", "yes"), ("port", "2000")]).unwrap();
    assert_eq!(text(&tree, "main.txt"), "2000 MIT true my_tool_core\n");
    let refused = generate(
        std::slice::from_ref(&source),
        &[
            ("port", "70000"),
            ("license", "GPL"),
            ("docker", "maybe"),
            ("crate_name", "Bad-Name"),
            ("colour", "red"),
        ],
    )
    .unwrap_err()
    .to_string();
    for rule in [
        "port: must be at most 65535 (got 70000)",
        "license: must be one of MIT, Apache-2.0 (got \"GPL\")",
        "docker: must be true or false (got \"maybe\")",
        "crate_name: must match [a-z_]+ (got \"Bad-Name\")",
        "colour: no pack asks for it",
    ] {
        assert!(refused.contains(rule), "{refused}");
    }
}

#[test]
fn templates_are_strict_bounded_and_written_for_source_files() {
    let undefined = pack("", &[("a/b.txt", "line one\n{{ nope }}\n")]);
    let error = generate(&[undefined], &[]).unwrap_err().to_string();
    assert!(error.starts_with("demo: a/b.txt: line 2: undefined value"), "{error}");
    let looping =
        pack("", &[("x", "{% for i in range(99999) %}{% for j in range(99999) %}x{% endfor %}{% endfor %}")]);
    let error = generate(&[looping], &[]).unwrap_err().to_string();
    assert!(error.contains("too much work"), "{error}");
    let html = pack(
        "",
        &[("page.html", "<b>{{ name }}</b> {{ '<&>' }}\n\n"), ("raw.yml", "{% raw %}${{ x }}{% endraw %}")],
    );
    let tree = generate(&[html], &[]).unwrap();
    assert_eq!(text(&tree, "page.html"), "<b>my-tool</b> <&>\n\n", "nothing escaped, the newline kept");
    assert_eq!(text(&tree, "raw.yml"), "${{ x }}");
    let binary = PackFile { path: "logo.png".into(), contents: vec![0xff, b'{', b'{', 0] };
    let mut source = pack("", &[]);
    source.files.push(binary.clone());
    assert_eq!(generate(&[source], &[]).unwrap()["logo.png"], binary.contents);
}

#[test]
fn no_answer_and_no_template_can_write_outside_the_project() {
    let source = pack(
        "[[variables]]\nname = \"dir\"\ndefault = \"src\"\n",
        &[("{{ dir }}/main.rs", "fn main() {}\n"), ("{% if false %}gone{% endif %}/x", "")],
    );
    let tree = generate(std::slice::from_ref(&source), &[]).unwrap();
    assert_eq!(tree.keys().collect::<Vec<_>>(), ["src/main.rs"], "an empty segment drops the file");
    for hostile in ["../../etc", "/etc", "a/../../b", "nested/dir", ".souk", "c:\\windows", "x\ny", ".", ".."]
    {
        let error = generate(std::slice::from_ref(&source), &[("dir", hostile)]).unwrap_err();
        assert!(matches!(error, GenerateError::Path { .. }), "{hostile:?}: {error}");
    }
}

#[test]
fn packs_compose_and_a_path_two_packs_write_needs_a_merge() {
    let base = pack("", &[("NAME", "base"), (".gitignore", "target/"), ("README.md", "base\n")]);
    let clash = pack("", &[("NAME", "app"), ("README.md", "app\n")]);
    let error = generate(&[base.clone(), clash], &[]).unwrap_err().to_string();
    assert_eq!(
        error,
        "README.md is written by both base and app; app must say how to combine them ([template] merge)"
    );
    let merging = pack(
        "[template.merge]\n\".gitignore\" = \"append\"\n\"README.md\" = \"replace\"\n",
        &[("NAME", "app"), (".gitignore", "*.log\n"), ("README.md", "app\n")],
    );
    let tree = generate(&[base, merging], &[]).unwrap();
    assert_eq!(text(&tree, ".gitignore"), "target/\n*.log\n");
    assert_eq!(text(&tree, "README.md"), "app\n");
    let a = pack("[[variables]]\nname = \"port\"\ntype = \"integer\"\ndefault = 1\n", &[("NAME", "a")]);
    let b = pack("[[variables]]\nname = \"port\"\ndefault = \"x\"\n", &[("NAME", "b")]);
    assert!(matches!(variables(&[a, b]), Err(GenerateError::VariableClash { .. })));
}

#[test]
fn verbatim_excluded_and_conditional_files() {
    let source = pack(
        r#"
[[variables]]
name = "docker"
type = "bool"
default = false

[template]
verbatim = [".github/**"]
exclude = ["NOTES.md"]
[template.when]
"Dockerfile" = "docker"
"#,
        &[
            (".github/workflows/ci.yml", "${{ matrix.os }}"),
            ("NOTES.md", "{{ x }}"),
            ("Dockerfile", "FROM {{ name }}"),
        ],
    );
    let tree = generate(std::slice::from_ref(&source), &[]).unwrap();
    assert_eq!(tree.keys().collect::<Vec<_>>(), [".github/workflows/ci.yml"]);
    let tree = generate(std::slice::from_ref(&source), &[("docker", "true")]).unwrap();
    assert_eq!(text(&tree, "Dockerfile"), "FROM my-tool");
}

#[test]
fn every_demo_pack_passes_the_check_souk_pack_makes() {
    for pack in crate::demo::packs().unwrap() {
        pack.check_templates().unwrap_or_else(|e| panic!("{}: {e}", pack.version.name));
    }
}

#[test]
fn a_pack_is_checked_with_its_defaults_and_refused_with_file_and_line() {
    let hidden = pack("", &[("src/lib.rs", "ok\n{% if false %}{{ secret }}{% endif %}\n")]);
    let error = check(&hidden).unwrap_err().to_string();
    assert!(error.starts_with("demo: src/lib.rs: undefined value: secret is not declared"), "{error}");
    let broken = pack("", &[("ci.yml", "a\nb: ${{ matrix.os }\n")]);
    let error = check(&broken).unwrap_err().to_string();
    assert!(error.starts_with("demo: ci.yml: line 2: syntax error"), "{error}");
    let no_default =
        pack("[[variables]]\nname = \"port\"\ntype = \"integer\"\nmin = 1024\n", &[("p", "{{ port }}")]);
    check(&no_default).unwrap();
    let manifest = "[pack]\nname = \"x\"\nversion = \"1.0.0\"\ndescription = \"d\"\nlicense = \"MIT\"\n";
    for (tail, why) in [
        ("[[variables]]\nname = \"Name\"\n", "lowercase letters"),
        ("[[variables]]\nname = \"name\"\n", "is built in"),
        ("[[variables]]\nname = \"a\"\ntype = \"bool\"\ndefault = \"yes\"\n", "not of its type"),
        ("[[variables]]\nname = \"a\"\npattern = \"(\"\n", "bad pattern"),
        ("[[variables]]\nname = \"a\"\ncolour = 1\n", "unknown field `colour`"),
        ("[template]\nverbatim = [\"/etc/*\"]\n", "a glob is a relative path"),
    ] {
        let error =
            crate::manifest::parse_pack_manifest(&format!("{manifest}{tail}")).unwrap_err().to_string();
        assert!(error.contains(why), "{tail}: {error}");
    }
}

/// The same answers give the same bytes on every target: the tab renders what the CLI
/// renders (this test runs natively and in headless Chromium, against one digest).
#[test]
fn a_render_is_the_same_bytes_natively_and_in_a_tab() {
    let (sources, edges) = demo();
    let ordered: Vec<Source> = render_order("rust-cli", &edges).iter().map(|n| sources[n].clone()).collect();
    let tree = generate(&ordered, &[("description", "Says hello")]).unwrap();
    let hex: String = digest(&tree).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, "8c7250403563d7f2e0355027dfeb236498aff312783b347c2ea9e9361471b99c");
}

#[test]
fn packs_compose_from_their_root_down_and_a_graph_without_one_is_refused() {
    let (sources, edges) = demo();
    let packs = [
        "rust-cli",
        "rust-ci",
        "editorconfig",
        "gitignore-rust",
        "license-mit-apache",
        "license-mit",
        "license-apache",
    ]
    .map(|n| (n.to_owned(), sources[n].files.clone()));
    let closure: BTreeMap<String, Vec<String>> =
        packs.iter().map(|(n, _)| (n.clone(), edges[n].clone())).collect();
    let (root, ordered) = compose(&closure, packs.clone()).unwrap();
    assert_eq!(root, "rust-cli");
    let names: Vec<&str> = ordered.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, render_order("rust-cli", &closure).iter().map(String::as_str).collect::<Vec<_>>());
    let cycle =
        BTreeMap::from([("a".to_owned(), vec!["b".to_owned()]), ("b".to_owned(), vec!["a".to_owned()])]);
    assert!(matches!(compose(&cycle, packs), Err(GenerateError::NoRoot)));
}
