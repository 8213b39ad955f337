//! Cargo's formats, for resolving as cargo does: crates.io index lines and `Cargo.toml`.
//!
//! Both become the core's [`Summary`]: a registry from the index (one JSON object a line,
//! as the crates.io index stores them), the root of a resolution from the manifest.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use semver::{Version, VersionReq};
use serde::Deserialize;
use souk_core::pack::from_hex;
use souk_core::resolve::{Dependency, DependencyKind, MemoryRegistry, Registry, Summary};
use toml::Value;

/// What is wrong with an index line or a manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CargoError {
    #[error("not a crates.io index line: {0}")]
    NotIndexLine(String),
    #[error("{package}: bad version {version:?}")]
    Version { package: String, version: String },
    #[error("{package}: bad requirement {req:?} on {dependency}")]
    Requirement { package: String, dependency: String, req: String },
    #[error("{package}: unknown dependency kind {kind:?}")]
    Kind { package: String, kind: String },
    #[error("{0}")]
    Manifest(String),
}

/// An index file's error, with the line it is on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}: {error}")]
pub struct LineError {
    pub line: usize,
    pub error: CargoError,
}

#[derive(Deserialize)]
struct IndexLine {
    name: String,
    vers: String,
    #[serde(default)]
    deps: Vec<IndexDependency>,
    #[serde(default)]
    features: BTreeMap<String, Vec<String>>,
    /// Features using newer syntax (`dep:`, `?/`), kept apart by the registry for old cargos.
    #[serde(default)]
    features2: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    links: Option<String>,
    #[serde(default)]
    yanked: bool,
    #[serde(default)]
    cksum: Option<String>,
}

#[derive(Deserialize)]
struct IndexDependency {
    name: String,
    req: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    optional: bool,
    #[serde(default = "yes")]
    default_features: bool,
    #[serde(default)]
    features: Vec<String>,
    /// The real package when `name` is a rename.
    #[serde(default)]
    package: Option<String>,
    #[serde(default)]
    target: Option<String>,
}

fn yes() -> bool {
    true
}

/// One line of a crates.io index.
pub fn index_line(line: &str) -> Result<Summary, CargoError> {
    let krate: IndexLine = serde_json::from_str(line).map_err(|e| CargoError::NotIndexLine(e.to_string()))?;
    let id = || format!("{} {}", krate.name, krate.vers);
    let version = Version::parse(&krate.vers)
        .map_err(|_| CargoError::Version { package: krate.name.clone(), version: krate.vers.clone() })?;
    let mut dependencies = Vec::with_capacity(krate.deps.len());
    for dep in &krate.deps {
        let req = VersionReq::parse(&dep.req).map_err(|_| CargoError::Requirement {
            package: id(),
            dependency: dep.name.clone(),
            req: dep.req.clone(),
        })?;
        let kind = match dep.kind.as_deref() {
            None | Some("normal") => DependencyKind::Normal,
            Some("build") => DependencyKind::Build,
            Some("dev") => DependencyKind::Development,
            Some(other) => return Err(CargoError::Kind { package: id(), kind: other.into() }),
        };
        dependencies.push(Dependency {
            name: dep.name.clone(),
            package: dep.package.clone().unwrap_or_else(|| dep.name.clone()),
            req,
            kind,
            optional: dep.optional,
            default_features: dep.default_features,
            features: dep.features.clone(),
            target: dep.target.clone(),
        });
    }
    let mut features = krate.features;
    features.extend(krate.features2);
    let checksum = krate.cksum.as_deref().and_then(from_hex);
    Ok(Summary {
        name: krate.name,
        version,
        dependencies,
        features,
        links: krate.links,
        yanked: krate.yanked,
        checksum,
    })
}

/// A whole index (its lines, blank ones skipped) as a registry.
pub fn index(text: &str) -> Result<MemoryRegistry, LineError> {
    let mut registry = MemoryRegistry::default();
    for (number, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        registry.insert(index_line(line).map_err(|error| LineError { line: number + 1, error })?);
    }
    Ok(registry)
}

/// A crates.io index read as cargo reads one: each crate's lines found at load, parsed
/// only when the resolver first asks for that crate, so a resolution reads the few crates
/// it reaches, not the whole index. A line that does not parse, or whose features cargo
/// would refuse, is left out, as cargo leaves such an index line out.
#[derive(Debug)]
pub struct CratesIndex {
    text: String,
    crates: HashMap<String, Crate>,
    lines: usize,
}

/// One crate's lines in the index text, and their versions once parsed.
#[derive(Debug, Default)]
struct Crate {
    lines: Vec<Range<usize>>,
    versions: OnceCell<Vec<Summary>>,
}

impl CratesIndex {
    /// Finds each crate's lines. A line with no crate name is not an index line at all, and
    /// an error naming it; one that names its crate but does not parse whole is left out
    /// when its crate is read, as cargo leaves it out.
    pub fn new(text: String) -> Result<Self, LineError> {
        let mut crates: HashMap<String, Crate> = HashMap::new();
        let mut at = 0;
        let mut lines = 0;
        for (number, line) in text.split_inclusive('\n').enumerate() {
            let range = at..at + line.trim_end().len();
            at += line.len();
            if line.trim().is_empty() {
                continue;
            }
            let Some(name) = line_name(&text[range.clone()]) else {
                let error = CargoError::NotIndexLine("it names no crate".into());
                return Err(LineError { line: number + 1, error });
            };
            crates.entry(name.to_owned()).or_default().lines.push(range);
            lines += 1;
        }
        Ok(CratesIndex { text, crates, lines })
    }

    /// How many version lines it holds.
    pub fn len(&self) -> usize {
        self.lines
    }

    pub fn is_empty(&self) -> bool {
        self.lines == 0
    }
}

/// The crate an index line is for: read from the line's start, where crates.io writes
/// the name, or by parsing the line when it is written otherwise.
fn line_name(line: &str) -> Option<&str> {
    #[derive(Deserialize)]
    struct Name<'a> {
        #[serde(borrow)]
        name: std::borrow::Cow<'a, str>,
    }
    if let Some(rest) = line.strip_prefix("{\"name\":\"")
        && let Some(end) = rest.find('"')
        && !rest[..end].contains('\\')
    {
        return Some(&rest[..end]);
    }
    let parsed: Name<'_> = serde_json::from_str(line).ok()?;
    // A name spelled with escapes is found at its own place in the line, or not at all.
    line.find(parsed.name.as_ref()).map(|at| &line[at..at + parsed.name.len()])
}

impl Registry for CratesIndex {
    fn versions(&self, name: &str) -> &[Summary] {
        let Some(krate) = self.crates.get(name) else { return &[] };
        krate.versions.get_or_init(|| {
            let parsed = krate.lines.iter().filter_map(|r| index_line(&self.text[r.clone()]).ok());
            parsed.filter(Summary::features_valid).collect()
        })
    }

    fn features_checked(&self) -> bool {
        true
    }
}

/// The root of a resolution from a `Cargo.toml`: its dependencies of every kind and
/// target, and its features.
pub fn manifest(text: &str) -> Result<Summary, CargoError> {
    let bad = |m: String| CargoError::Manifest(m);
    let doc: toml::Table = toml::from_str(text).map_err(|e| bad(format!("not TOML: {}", e.message())))?;
    let package =
        doc.get("package").and_then(Value::as_table).ok_or_else(|| bad("no [package] table".into()))?;
    let name =
        package.get("name").and_then(Value::as_str).ok_or_else(|| bad("[package] has no name".into()))?;
    let version = package.get("version").and_then(Value::as_str).unwrap_or("0.0.0");
    // In cargo's order, which breaks ties between dependencies with as many candidates:
    // the package's normal, development, then build dependencies; then each target's
    // normal, build, then development ones.
    let (normal, build, dev) = (
        ("dependencies", DependencyKind::Normal),
        ("build-dependencies", DependencyKind::Build),
        ("dev-dependencies", DependencyKind::Development),
    );
    type Sections<'a> = [(&'a str, DependencyKind); 3];
    let mut tables: Vec<(Option<&str>, &toml::Table, Sections<'_>)> =
        vec![(None, &doc, [normal, dev, build])];
    if let Some(targets) = doc.get("target").and_then(Value::as_table) {
        tables.extend(
            targets
                .iter()
                .filter_map(|(target, t)| Some((Some(target.as_str()), t.as_table()?, [normal, build, dev]))),
        );
    }
    let mut dependencies = Vec::new();
    for (target, table, sections) in tables {
        for (section, kind) in sections {
            for (alias, spec) in table.get(section).and_then(Value::as_table).into_iter().flatten() {
                let dep = manifest_dependency(alias, spec, kind)
                    .map_err(|m| bad(format!("[{section}] {alias}: {m}")))?;
                dependencies.push(Dependency { target: target.map(Into::into), ..dep });
            }
        }
    }
    let features = match doc.get("features") {
        Some(features) => {
            features.clone().try_into().map_err(|_| bad("[features] is not a table of lists".into()))?
        }
        None => BTreeMap::new(),
    };
    Ok(Summary {
        name: name.into(),
        version: Version::parse(version).map_err(|_| bad(format!("bad version {version:?}")))?,
        dependencies,
        features,
        links: package.get("links").and_then(Value::as_str).map(Into::into),
        yanked: false,
        checksum: None,
    })
}

fn manifest_dependency(alias: &str, spec: &Value, kind: DependencyKind) -> Result<Dependency, String> {
    let (req, table) = match spec {
        Value::String(req) => (req.as_str(), None),
        Value::Table(t) => (t.get("version").and_then(Value::as_str).unwrap_or("*"), Some(t)),
        _ => return Err("is neither a version nor a table".into()),
    };
    let get = |key: &str| table.and_then(|t| t.get(key));
    let flag = |keys: &[&str], default: bool| keys.iter().find_map(|k| get(k)?.as_bool()).unwrap_or(default);
    Ok(Dependency {
        name: alias.into(),
        package: get("package").and_then(Value::as_str).unwrap_or(alias).into(),
        req: VersionReq::parse(req).map_err(|_| format!("bad requirement {req:?}"))?,
        kind,
        optional: flag(&["optional"], false),
        default_features: flag(&["default-features", "default_features"], true),
        features: get("features")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(Into::into).collect())
            .unwrap_or_default(),
        target: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn reads_an_index_line_with_renames_features_and_kinds() {
        let line = r#"{"name":"a","vers":"1.2.0","deps":[{"name":"j","package":"serde_json","req":"^1","optional":true,"default_features":false,"features":["std"],"kind":"normal","target":null},{"name":"cc","req":"1","kind":"build"},{"name":"t","req":"*","kind":"dev"}],"features":{"json":["dep:j"]},"features2":{"x":["j?/std"]},"links":"z","yanked":true,"cksum":"00"}"#;
        let s = index_line(line).unwrap();
        assert_eq!((s.name.as_str(), s.version.to_string().as_str(), s.yanked), ("a", "1.2.0", true));
        assert_eq!(s.dependencies[0].package, "serde_json");
        assert!(s.dependencies[0].optional && !s.dependencies[0].default_features);
        assert_eq!(s.dependencies[1].kind, DependencyKind::Build);
        assert_eq!(s.dependencies[2].kind, DependencyKind::Development);
        assert_eq!(s.features.len(), 2);
        assert_eq!(s.links.as_deref(), Some("z"));
    }

    #[test]
    fn names_what_is_wrong_with_a_line() {
        assert!(
            index("{\"name\":\"a\",\"vers\":\"1.0.0\"}\n\n[1,2]\n")
                .unwrap_err()
                .to_string()
                .starts_with("3: not a crates.io index line")
        );
        assert_eq!(
            index_line(r#"{"name":"a","vers":"one"}"#).unwrap_err().to_string(),
            "a: bad version \"one\""
        );
        assert_eq!(
            index_line(r#"{"name":"a","vers":"1.0.0","deps":[{"name":"b","req":">>1"}]}"#)
                .unwrap_err()
                .to_string(),
            "a 1.0.0: bad requirement \">>1\" on b"
        );
    }

    #[test]
    fn a_lazy_index_reads_each_crate_when_asked_and_leaves_out_what_cargo_cannot_read() {
        let text = concat!(
            "{\"name\":\"a\",\"vers\":\"1.0.0\"}\n",
            "{\"vers\":\"1.1.0\",\"name\":\"a\"}\r\n",
            "{\"name\":\"a\",\"vers\":\"not a version\"}\n",
            "{\"name\":\"a\",\"vers\":\"1.2.0\",\"features\":{\"x\":[\"nothing\"]}}\n",
            "{\"name\":\"b\",\"vers\":\"0.1.0\",\"deps\":[{\"name\":\"a\",\"req\":\"^1\"}]}\n",
            "\n",
        );
        let index = CratesIndex::new(text.into()).unwrap();
        assert_eq!(index.len(), 5);
        let versions = |name| index.versions(name).iter().map(|s| s.version.to_string()).collect::<Vec<_>>();
        assert_eq!(versions("a"), ["1.0.0", "1.1.0"]);
        assert_eq!(versions("b"), ["0.1.0"]);
        assert!(versions("c").is_empty());
        let err = CratesIndex::new(format!("{text}[1,2]\n")).unwrap_err();
        assert_eq!(err.to_string(), "7: not a crates.io index line: it names no crate");
    }

    #[test]
    fn reads_a_manifest() {
        let root = manifest(
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\n[dependencies]\nserde = { version = \"1\", features = [\"derive\"], default-features = false }\n[build-dependencies]\ncc = \"1\"\n[target.'cfg(unix)'.dependencies]\nlibc = \"0.2\"\n[target.'cfg(unix)'.dev-dependencies]\ntd = \"1\"\n[target.'cfg(unix)'.build-dependencies]\ntb = \"1\"\n[dev-dependencies]\nt = \"1\"\n",
        )
        .unwrap();
        // cargo's order: normal, development, build; then each target's normal, build,
        // development.
        let names: Vec<&str> = root.dependencies.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["serde", "t", "cc", "libc", "tb", "td"]);
        assert!(!root.dependencies[0].default_features && root.dependencies[0].features == ["derive"]);
        assert_eq!(
            manifest("[package]\nname = \"a\"\n[dependencies]\nx = \"1.x.y\"\n").unwrap_err().to_string(),
            "[dependencies] x: bad requirement \"1.x.y\""
        );
    }
}
