//! Importers: other registries' metadata into a Souk index snapshot.
//!
//! - `npm-tsv`: `name, version, downloads_a_month, summary`, tab-separated with a header
//!   line (the npm corpus in `shared/corpus/`).
//! - `crates-index`: the crates.io index's JSON lines, one version per line, plain or
//!   gzipped. Yanked versions are left out: nobody should find or pick them.
//!
//! Records keep their registry's own names. Any bad line stops the import with its line
//! number, and the snapshot is written atomically, so a failed import leaves no file.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use semver::{Version, VersionReq};
use serde::Deserialize;
use souk_core::resolve::{self, Dependency, DependencyKind, MemoryRegistry};
use souk_core::{IndexBuilder, PackVersion};

const NPM_HEADER: &str = "name\tversion\tdownloads_a_month\tsummary";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    NpmTsv,
    CratesIndex,
}

impl Format {
    /// The format a file's name suggests.
    pub fn from_path(path: &Path) -> Result<Format> {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let name = name.strip_suffix(".gz").unwrap_or(name);
        match Path::new(name).extension().and_then(|e| e.to_str()) {
            Some("tsv") => Ok(Format::NpmTsv),
            Some("jsonl" | "json") => Ok(Format::CratesIndex),
            _ => bail!(
                "cannot tell the format of {} from its name; pass --format npm-tsv or --format crates-index",
                path.display()
            ),
        }
    }
}

/// What an import did.
#[derive(Debug)]
pub struct Summary {
    pub versions: usize,
    pub bytes: usize,
    pub elapsed: Duration,
}

/// Imports `file` and writes its snapshot to `out`.
pub fn import(file: &Path, format: Format, out: &Path) -> Result<Summary> {
    let started = Instant::now();
    let builder = read(file, format)?;
    let versions = builder.len();
    let snapshot = builder.build()?.to_snapshot();
    crate::fsutil::write_atomically(out, &snapshot)?;
    Ok(Summary { versions, bytes: snapshot.len(), elapsed: started.elapsed() })
}

/// Reads every record of `file`, showing progress on a terminal.
pub fn read(file: &Path, format: Format) -> Result<IndexBuilder> {
    let data = read_maybe_gzipped(file)?;
    let progress = ProgressBar::new(data.len() as u64).with_style(
        ProgressStyle::with_template("{msg:>12.cyan.bold} [{bar:30}] {bytes}/{total_bytes}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    progress.set_message("Importing");
    let mut builder = IndexBuilder::default();
    let mut consumed = 0;
    for (number, line) in data.split(|&b| b == b'\n').enumerate() {
        consumed += line.len() + 1;
        if number % 8192 == 0 {
            progress.set_position(consumed as u64);
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let at = || format!("{}:{}", file.display(), number + 1);
        let line = std::str::from_utf8(line).map_err(|_| anyhow::anyhow!("{}: not valid UTF-8", at()))?;
        let parsed = match format {
            Format::NpmTsv if number == 0 => check_npm_header(line).map(|()| None),
            Format::NpmTsv if line.is_empty() => Ok(None),
            Format::NpmTsv => npm_line(line).map(Some),
            Format::CratesIndex if line.trim().is_empty() => Ok(None),
            Format::CratesIndex => crates_line(line),
        };
        if let Some(pack) = parsed.with_context(at)? {
            builder.push(pack);
        }
    }
    progress.finish_and_clear();
    Ok(builder)
}

fn read_maybe_gzipped(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    let mut data = Vec::with_capacity(raw.len() * 8);
    flate2::read::MultiGzDecoder::new(&raw[..])
        .read_to_end(&mut data)
        .with_context(|| format!("cannot decompress {}", path.display()))?;
    Ok(data)
}

fn check_npm_header(line: &str) -> Result<()> {
    if line != NPM_HEADER {
        bail!("expected the header line {NPM_HEADER:?}");
    }
    Ok(())
}

fn npm_line(line: &str) -> Result<PackVersion> {
    let fields: Vec<&str> = line.split('\t').collect();
    let [name, version, downloads, summary] = fields[..] else {
        bail!(
            "expected 4 tab-separated fields (name, version, downloads_a_month, summary), found {}",
            fields.len()
        );
    };
    if name.is_empty() {
        bail!("the package name is empty");
    }
    let version = Version::parse(version).with_context(|| format!("{name}: bad version {version:?}"))?;
    let downloads = match downloads {
        "" => 0,
        n => n.parse().with_context(|| format!("{name}: downloads_a_month {n:?} is not a whole number"))?,
    };
    Ok(PackVersion { downloads, ..imported(name, version, summary.into()) })
}

#[derive(Deserialize)]
struct CratesLine {
    name: String,
    vers: String,
    #[serde(default)]
    deps: Vec<CratesDep>,
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
struct CratesDep {
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
}

fn yes() -> bool {
    true
}

/// One line of a crates.io index, as the resolver sees it.
pub fn crates_summary(line: &str) -> Result<resolve::Summary> {
    let krate: CratesLine = serde_json::from_str(line).context("not a crates.io index line")?;
    let version = Version::parse(&krate.vers)
        .with_context(|| format!("{}: bad version {:?}", krate.name, krate.vers))?;
    let dependencies = krate
        .deps
        .into_iter()
        .map(|dep| {
            let req = VersionReq::parse(&dep.req).with_context(|| {
                format!("{} {}: bad requirement {:?} on {}", krate.name, krate.vers, dep.req, dep.name)
            })?;
            let kind = match dep.kind.as_deref() {
                None | Some("normal") => DependencyKind::Normal,
                Some("build") => DependencyKind::Build,
                Some("dev") => DependencyKind::Development,
                Some(other) => bail!("{} {}: unknown dependency kind {other:?}", krate.name, krate.vers),
            };
            Ok(Dependency {
                package: dep.package.unwrap_or_else(|| dep.name.clone()),
                name: dep.name,
                req,
                kind,
                optional: dep.optional,
                default_features: dep.default_features,
                features: dep.features,
            })
        })
        .collect::<Result<_>>()?;
    let mut features = krate.features;
    features.extend(krate.features2);
    let checksum = krate.cksum.as_deref().and_then(parse_hex32);
    Ok(resolve::Summary {
        name: krate.name,
        version,
        dependencies,
        features,
        links: krate.links,
        yanked: krate.yanked,
        checksum,
    })
}

fn parse_hex32(hex: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if hex.len() != 64 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// A crates.io index file (JSON lines, plain or gzipped) as a resolver registry.
pub fn crates_registry(path: &Path) -> Result<MemoryRegistry> {
    let data = read_maybe_gzipped(path)?;
    let text = std::str::from_utf8(&data).with_context(|| format!("{} is not UTF-8", path.display()))?;
    let mut registry = MemoryRegistry::default();
    for (number, line) in text.lines().enumerate() {
        if !line.trim().is_empty() {
            let summary =
                crates_summary(line).with_context(|| format!("{}:{}", path.display(), number + 1))?;
            registry.insert(summary);
        }
    }
    Ok(registry)
}

/// A crates.io index line as pack metadata, or `None` for a yanked version: the normal
/// dependencies, each (package, requirement) once.
fn crates_line(line: &str) -> Result<Option<PackVersion>> {
    let krate = crates_summary(line)?;
    if krate.yanked {
        return Ok(None);
    }
    let mut dependencies: Vec<souk_core::Dependency> = Vec::new();
    for dep in krate.dependencies.into_iter().filter(|d| d.kind == DependencyKind::Normal) {
        if !dependencies.iter().any(|d| d.name == dep.package && d.req == dep.req) {
            dependencies.push(souk_core::Dependency { name: dep.package, req: dep.req });
        }
    }
    Ok(Some(PackVersion { dependencies, ..imported(&krate.name, krate.version, String::new()) }))
}

/// A record of another registry's metadata: no key, no body, no Souk-only fields.
fn imported(name: &str, version: Version, description: String) -> PackVersion {
    PackVersion {
        name: name.into(),
        version,
        description,
        tags: Vec::new(),
        category: String::new(),
        license: String::new(),
        authors: Vec::new(),
        homepage: String::new(),
        dependencies: Vec::new(),
        downloads: 0,
        stars: 0,
        published: 0,
        publisher: None,
        content_hash: None,
    }
}
