//! Importers: other registries' metadata into a Souk index snapshot.
//!
//! - `npm-tsv`: `name, version, downloads_a_month, summary`, tab-separated with a header
//!   line (the npm corpus in `shared/corpus/`).
//! - `crates-index`: the crates.io index's JSON lines, one version per line, plain or
//!   gzipped. Each row keeps cargo's view of it (kinds, renames, optional, features,
//!   targets, `links`, checksum), so a resolution from the snapshot is cargo's. Yanked
//!   versions are kept apart, for lockfiles only: nobody finds or picks them.
//!
//! Records keep their registry's own names. A real dump has rows that break Souk's rules (a
//! version that is not semver, a row given twice): an import keeps every valid row and skips
//! each bad one, counted by reason, with the first few named by line; `strict` stops at the
//! first instead. A bad row never gets in. The snapshot is written atomically, so a failed
//! import leaves no file.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use semver::Version;
use souk_core::resolve::Summary as CargoSummary;
use souk_core::{Digest, IndexBuilder, PackVersion};
use souk_pack::cargo;

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
    /// Versions their registry yanked, kept for lockfiles only.
    pub yanked: usize,
    pub skipped: Skipped,
    pub bytes: usize,
    pub elapsed: Duration,
}

/// The rows an import left out.
#[derive(Debug, Default)]
pub struct Skipped {
    /// How many, by reason.
    pub reasons: BTreeMap<&'static str, usize>,
    /// The first few, as `file:line: what is wrong`.
    pub first: Vec<String>,
}

/// How many skipped rows are named one by one.
const NAMED: usize = 5;

impl Skipped {
    pub fn total(&self) -> usize {
        self.reasons.values().sum()
    }

    fn add(&mut self, reason: &'static str, at: String, error: &anyhow::Error) {
        *self.reasons.entry(reason).or_default() += 1;
        if self.first.len() < NAMED {
            self.first.push(format!("{at}: {error:#}"));
        }
    }
}

/// Imports `file` and writes its snapshot to `out`: every valid row, the bad ones skipped
/// (or, `strict`, the first bad row an error). The imported names are `importer`'s to
/// grant ([`souk_core::record::Owners`]).
pub fn import(file: &Path, format: Format, out: &Path, strict: bool, importer: Digest) -> Result<Summary> {
    let started = Instant::now();
    let (mut builder, skipped) = read_rows(file, format, strict)?;
    builder.importer(importer);
    let (versions, yanked) = (builder.len(), builder.yanked_len());
    let snapshot = builder.build()?.to_snapshot();
    crate::fsutil::write_atomically(out, &snapshot)?;
    Ok(Summary { versions, yanked, skipped, bytes: snapshot.len(), elapsed: started.elapsed() })
}

/// Reads every record of `file`; the first bad row is an error.
pub fn read(file: &Path, format: Format) -> Result<IndexBuilder> {
    read_rows(file, format, true).map(|(builder, _)| builder)
}

/// Reads every valid record of `file`, showing progress on a terminal; a bad row is
/// skipped and counted, or with `strict` is an error naming its line.
pub fn read_rows(file: &Path, format: Format, strict: bool) -> Result<(IndexBuilder, Skipped)> {
    let data = read_maybe_gzipped(file)?;
    let progress = ProgressBar::new(data.len() as u64).with_style(
        ProgressStyle::with_template("{msg:>12.cyan.bold} [{bar:30}] {bytes}/{total_bytes}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    progress.set_message("Importing");
    let mut builder = IndexBuilder::default();
    let mut skipped = Skipped::default();
    let mut seen: HashSet<(String, Version)> = HashSet::new();
    let mut consumed = 0;
    for (number, line) in data.split(|&b| b == b'\n').enumerate() {
        consumed += line.len() + 1;
        if number % 8192 == 0 {
            progress.set_position(consumed as u64);
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let at = || format!("{}:{}", file.display(), number + 1);
        if format == Format::NpmTsv && number == 0 {
            // A wrong header is a wrong file, not a bad row.
            std::str::from_utf8(line)
                .map_err(anyhow::Error::from)
                .and_then(check_npm_header)
                .with_context(at)?;
            continue;
        }
        let parsed = match std::str::from_utf8(line) {
            Err(_) => Err(("not UTF-8", anyhow::anyhow!("not valid UTF-8"))),
            Ok(line) if line.trim().is_empty() => Ok(None),
            Ok(line) if format == Format::NpmTsv => npm_line(line).map(|p| Some(Row::Pack(p))),
            Ok(line) => crates_line(line).map(|s| Some(Row::Cargo(s))),
        };
        let parsed = parsed.and_then(|row| match row {
            Some(row) if !seen.insert(row.id()) => {
                let (name, version) = row.id();
                Err(("repeated", anyhow::anyhow!("{name} {version} appears a second time")))
            }
            row => Ok(row),
        });
        match parsed {
            Ok(Some(Row::Pack(pack))) => builder.push(pack),
            Ok(Some(Row::Cargo(summary))) => builder.push_cargo(summary),
            Ok(None) => {}
            Err((_, error)) if strict => return Err(error.context(at())),
            Err((reason, error)) => skipped.add(reason, at(), &error),
        }
    }
    progress.finish_and_clear();
    Ok((builder, skipped))
}

/// A row's problem: a short reason to count it by, and the whole story.
type RowError = (&'static str, anyhow::Error);

/// A line read: a pack's metadata, or a version as cargo sees it.
enum Row {
    Pack(PackVersion),
    Cargo(CargoSummary),
}

impl Row {
    fn id(&self) -> (String, Version) {
        match self {
            Row::Pack(p) => (p.name.clone(), p.version.clone()),
            Row::Cargo(s) => (s.name.clone(), s.version.clone()),
        }
    }
}

/// A file's bytes, gunzipped if they are gzip.
pub fn read_maybe_gzipped(path: &Path) -> Result<Vec<u8>> {
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

fn npm_line(line: &str) -> Result<PackVersion, RowError> {
    let fields: Vec<&str> = line.split('\t').collect();
    let [name, version, downloads, summary] = fields[..] else {
        let why = format!(
            "expected 4 tab-separated fields (name, version, downloads_a_month, summary), found {}",
            fields.len()
        );
        return Err(("wrong field count", anyhow::anyhow!(why)));
    };
    listed_name(name)?;
    let version = Version::parse(version)
        .map_err(|e| ("version not semver", anyhow::anyhow!("{name}: bad version {version:?}: {e}")))?;
    let downloads = match downloads {
        "" => 0,
        n => n.parse().map_err(|_| {
            ("bad downloads", anyhow::anyhow!("{name}: downloads_a_month {n:?} is not a whole number"))
        })?,
    };
    Ok(PackVersion { downloads, ..imported(name, version, summary.into()) })
}

/// A crates.io index file (JSON lines, plain or gzipped) as a resolver registry.
pub fn crates_registry(path: &Path) -> Result<cargo::CratesIndex> {
    let data = read_maybe_gzipped(path)?;
    let text = String::from_utf8(data).with_context(|| format!("{} is not UTF-8", path.display()))?;
    cargo::CratesIndex::new(text).map_err(|e| anyhow::anyhow!("{}:{}: {}", path.display(), e.line, e.error))
}

/// A crates.io index line as cargo sees it (`IndexBuilder::push_cargo` lists it, or keeps
/// it for lockfiles when it is yanked).
fn crates_line(line: &str) -> Result<CargoSummary, RowError> {
    let krate = cargo::index_line(line).map_err(|e| ("not an index line", anyhow::Error::from(e)))?;
    listed_name(&krate.name)?;
    Ok(krate)
}

/// The name rule every index row keeps (`souk_core::name::check_listed_name`): a row that
/// breaks it would make the whole snapshot unloadable, so it is skipped here.
fn listed_name(name: &str) -> Result<(), RowError> {
    souk_core::name::check_listed_name(name)
        .map_err(|rule| ("name not listable", anyhow::anyhow!("the package name {name:?} {rule}")))
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
