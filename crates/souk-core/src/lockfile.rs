//! `souk.lock`: what an install or a resolution took, the same for the CLI and the page. The
//! packages live here; the TOML text is `souk_pack::lockfile`'s (the core stays free of TOML).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::pack::{PackVersion, to_hex};
use crate::resolve::Resolution;

/// One package of a lockfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LockedPackage {
    pub name: String,
    pub version: String,
    /// The SHA-256 of the body installed (hex): what a later install of this lockfile must get.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub checksum: Option<String>,
    /// The key that signed the version installed (hex).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub publisher: Option<String>,
    /// Each as `name version`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub dependencies: Vec<String>,
}

impl LockedPackage {
    /// Every package of a resolution, sorted.
    pub fn all(resolution: &Resolution) -> Vec<LockedPackage> {
        resolution
            .packages
            .iter()
            .map(|(id, package)| LockedPackage {
                name: id.name.clone(),
                version: id.version.to_string(),
                dependencies: package.dependencies.iter().map(ToString::to_string).collect(),
                ..LockedPackage::default()
            })
            .collect()
    }

    /// Every package of an install, each pinned to the body and the publisher it installed.
    pub fn installed(resolution: &Resolution, packs: &[&PackVersion]) -> Vec<LockedPackage> {
        let mut locked = LockedPackage::all(resolution);
        for package in &mut locked {
            let pack =
                packs.iter().find(|p| p.name == package.name && p.version.to_string() == package.version);
            if let Some(pack) = pack {
                package.checksum = pack.content_hash.as_ref().map(to_hex);
                package.publisher = pack.publisher.as_ref().map(to_hex);
            }
        }
        locked
    }
}
