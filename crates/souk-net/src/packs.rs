//! The pack code an install runs beside the network.

use souk_core::PackVersion;
use souk_core::resolve::{MemoryRegistry, Resolution, install};

use crate::error::NodeError;

/// What an install asks of pack code: a resolution over the versions the index offers, and
/// the check that a fetched body's own `souk.toml` says what its signed record says. Native
/// peers link both ([`Linked`]); a tab keeps them in a second module, loaded when a user
/// first needs one, so that the module every visit loads stays small.
pub trait Packs {
    /// Resolves `name` at `requirement` over `registry` (the versions `name` can reach).
    fn resolve(
        &self,
        registry: &MemoryRegistry,
        name: &str,
        requirement: &semver::VersionReq,
    ) -> Result<Resolution, NodeError>;

    /// Why `body` is not the body `pack`'s record describes, if it is not.
    fn check_body(&self, pack: &PackVersion, body: &[u8]) -> Result<(), String>;
}

/// The core's resolver and souk-pack's body check, linked in.
#[derive(Debug, Clone, Copy, Default)]
pub struct Linked;

impl Packs for Linked {
    fn resolve(
        &self,
        registry: &MemoryRegistry,
        name: &str,
        requirement: &semver::VersionReq,
    ) -> Result<Resolution, NodeError> {
        Ok(install(registry, name, requirement.clone())?)
    }

    fn check_body(&self, pack: &PackVersion, body: &[u8]) -> Result<(), String> {
        souk_pack::check_body(pack, body).map_err(|e| e.to_string())
    }
}
