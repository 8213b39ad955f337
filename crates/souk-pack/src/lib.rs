//! Packs and registries as files: what a publisher has on disk before it becomes a record,
//! and the formats other registries hand us.
//!
//! - [`manifest`]: parsing `souk.toml` into the core's [`souk_core::Manifest`].
//! - [`LocalPack`]: a pack folder's manifest and files, validated, with its body and hash.
//! - [`cargo`]: crates.io index lines and `Cargo.toml`, for resolving as cargo does.
//! - [`demo`]: the registry compiled into every Souk binary and module, so a fresh peer has
//!   something real to search, resolve and install before it meets the network.
//!
//! Shared by the native binary and the browser peer; the core stays free of TOML.

pub mod cargo;
pub mod demo;
pub mod manifest;

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
}

impl From<ManifestError> for PackError {
    fn from(err: ManifestError) -> Self {
        PackError::Manifest(err)
    }
}

impl LocalPack {
    /// Builds a pack from its files (the manifest among them, at the top level), stamping
    /// it with the publication time the caller supplies.
    pub fn from_files(files: Vec<PackFile>, published: u64) -> Result<Self, PackError> {
        let manifest = files.iter().find(|f| f.path == MANIFEST_FILE).ok_or(PackError::NoManifest)?;
        let text = std::str::from_utf8(&manifest.contents).map_err(|_| ManifestError::NotUtf8)?;
        let mut version = parse_manifest(text)?;
        let body = body::encode(&files)?;
        version.content_hash = Some(body::content_hash(&body));
        version.published = published;
        Ok(LocalPack { version, body })
    }
}
