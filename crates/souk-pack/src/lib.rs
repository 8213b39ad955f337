//! Packs and registries as files: what a publisher has on disk before it becomes a record,
//! and the formats other registries hand us.
//!
//! - [`manifest`]: parsing `souk.toml` into the core's [`souk_core::Manifest`].
//! - [`LocalPack`]: a pack folder's manifest and files, validated, with its body and hash.
//! - [`cargo`]: crates.io index lines and `Cargo.toml`, for resolving as cargo does.
//! - [`lockfile`]: `souk.lock` as TOML text, written and read back checked.
//! - [`check_body`]: whether a fetched body is the pack its signed record describes.
//! - [`template`]: a pack and its dependencies rendered into a new project.
//! - [`demo`]: the registry compiled into every Souk binary and module, so a fresh peer has
//!   something real to search, resolve and install before it meets the network.
//!
//! Shared by the native binary and the browser peer; the core stays free of TOML.

#![forbid(unsafe_code)]

pub mod cargo;
pub mod demo;
pub mod lockfile;
pub mod manifest;
pub mod template;

use souk_core::PackVersion;
use souk_core::body::{self, BodyError, PackFile};

pub use manifest::{MANIFEST_FILE, ManifestError, parse_manifest};

/// A pack read from files: its validated version record and its encoded body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPack {
    pub version: PackVersion,
    pub body: Vec<u8>,
}

/// Why a set of files is not a publishable pack.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("no {MANIFEST_FILE} among the pack's files")]
    NoManifest,
    /// Shown in full here (not as a source) so one line says it all.
    #[error("{MANIFEST_FILE}: {0}")]
    Manifest(ManifestError),
    #[error(transparent)]
    Body(#[from] BodyError),
    /// A template that does not parse or render with the pack's defaults.
    #[error("{0}")]
    Template(#[from] template::GenerateError),
}

impl From<ManifestError> for PackError {
    fn from(err: ManifestError) -> Self {
        PackError::Manifest(err)
    }
}

impl LocalPack {
    /// Builds a pack from its files (the manifest among them, at the top level), stamping
    /// it with the publication time the caller supplies. Whether its templates render is
    /// [`LocalPack::check_templates`]'s to say: kept apart, so the page's module does not
    /// carry the template engine.
    pub fn from_files(files: Vec<PackFile>, published: u64) -> Result<Self, PackError> {
        let mut version = manifest_of(&files)?;
        let body = body::encode(&files)?;
        version.content_hash = Some(body::content_hash(&body));
        version.published = published;
        Ok(LocalPack { version, body })
    }
}

impl LocalPack {
    /// Whether its templates parse and render with its defaults ([`template::check`]):
    /// what `souk pack` and `souk publish` require before a pack leaves the machine.
    pub fn check_templates(&self) -> Result<(), PackError> {
        let files = body::decode(&self.body)?;
        Ok(template::check(&template::Source::from_files(files)?)?)
    }
}

/// The version a set of files declares in its `souk.toml`.
fn manifest_of(files: &[PackFile]) -> Result<PackVersion, PackError> {
    let manifest = files.iter().find(|f| f.path == MANIFEST_FILE).ok_or(PackError::NoManifest)?;
    read_manifest(&manifest.contents)
}

fn read_manifest(contents: &[u8]) -> Result<PackVersion, PackError> {
    let text = std::str::from_utf8(contents).map_err(|_| ManifestError::NotUtf8)?;
    Ok(parse_manifest(text)?)
}

/// Why a fetched body is not the pack its record describes.
#[derive(Debug, thiserror::Error)]
pub enum BodyMismatch {
    #[error("it is not a pack: {0}")]
    NotAPack(#[from] PackError),
    #[error("its {MANIFEST_FILE} says {field} is {found:?}, its signed record says {signed:?}")]
    Differs { field: &'static str, found: String, signed: String },
}

/// Checks that `body` (already matched to the record's content hash) is the pack the signed
/// record describes: its own manifest names the same pack, version and dependencies, and
/// says the same about itself. A publisher cannot sign one pack's name over another's files.
pub fn check_body(record: &PackVersion, body: &[u8]) -> Result<(), BodyMismatch> {
    // In place: a body of megabytes is read for one small file.
    let files = body::files(body).map_err(PackError::Body)?;
    let manifest = files.iter().find(|f| f.path == MANIFEST_FILE).ok_or(PackError::NoManifest)?;
    let found = read_manifest(manifest.contents)?;
    let fields: [(&'static str, String, String); 9] = [
        ("name", found.name, record.name.clone()),
        ("version", found.version.to_string(), record.version.to_string()),
        ("description", found.description, record.description.clone()),
        ("license", found.license, record.license.clone()),
        ("category", found.category, record.category.clone()),
        ("homepage", found.homepage, record.homepage.clone()),
        ("tags", found.tags.join(", "), record.tags.join(", ")),
        ("authors", found.authors.join(", "), record.authors.join(", ")),
        ("dependencies", dependencies(&found.dependencies), dependencies(&record.dependencies)),
    ];
    match fields.into_iter().find(|(_, found, signed)| found != signed) {
        Some((field, found, signed)) => Err(BodyMismatch::Differs { field, found, signed }),
        None => Ok(()),
    }
}

fn dependencies(deps: &[souk_core::Dependency]) -> String {
    let mut deps: Vec<String> = deps.iter().map(|d| format!("{} {}", d.name, d.req)).collect();
    deps.sort();
    deps.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_body_matches_its_own_record_and_no_other() {
        let packs = demo::packs().unwrap();
        let (cli, lib) = (&packs[0], &packs[1]);
        check_body(&cli.version, &cli.body).unwrap();
        let err = check_body(&lib.version, &cli.body).unwrap_err().to_string();
        assert!(err.contains(&format!("says name is {:?}", cli.version.name)), "{err}");
        let mut newer = cli.version.clone();
        newer.version = "9.0.0".parse().unwrap();
        let err = check_body(&newer, &cli.body).unwrap_err().to_string();
        assert!(err.contains("version is") && err.contains("\"9.0.0\""), "{err}");
        let err = check_body(&cli.version, b"SOUKPACK\x01").unwrap_err().to_string();
        assert!(err.starts_with("it is not a pack"), "{err}");
    }
}
