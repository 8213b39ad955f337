//! Dependency resolution with cargo's rules, in the core so a browser tab resolves alone.
//!
//! The resolver asks a [`Registry`] (as pubgrub asks its dependency provider) for the
//! published versions of a package, each a [`Summary`]: version, dependencies, features,
//! `links`, yanked. The rules are cargo's:
//!
//! - a version the lockfile names first, then newest first; yanked versions only when a
//!   lockfile names them; pre-releases only where a requirement names one (the `semver`
//!   crate's matching, which is cargo's);
//! - one version per semver-compatible range of a package (`1.x`, `0.3.x`, `0.0.4`), so
//!   several incompatible versions may live side by side;
//! - at most one package per `links` value;
//! - optional dependencies only when a feature turns them on (`default`, `dep:name`,
//!   `name/feature`, a dependency's implicit feature, and, as in cargo's lockfile pass,
//!   weak `name?/feature`); features are unified: a package gets every feature any
//!   dependent asks for;
//! - normal and build dependencies everywhere, development dependencies of the root only,
//!   dependencies for every target platform (as Cargo.lock has them);
//! - the search is cargo's, so the answer is cargo's: the most constrained dependency
//!   next, a failure learned as the set of activated packages in its way, and a jump back
//!   past every choice that played no part (see [`engine`]); a budget of activations
//!   ([`MAX_ACTIVATIONS`]) far beyond any real graph stops a hostile registry.
//!
//! A failure is a [`ResolveError`] whose message names the packages and requirements that
//! clash. Souk's own packs use the same engine through [`Summary::from_pack`] (no features).

mod conflict;
mod context;
mod deps;
mod engine;
mod features;
mod registry;
mod report;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use semver::{Version, VersionReq};

pub use engine::{MAX_ACTIVATIONS, resolve};
pub use registry::{IndexRegistry, MemoryRegistry};
pub use report::ResolveError;

use crate::pack::{Digest, PackVersion};

/// Where the resolver finds packages.
pub trait Registry {
    /// Every published version of `name` (any order; empty if there is no such package),
    /// leaving out those cargo leaves out when it reads its index: a version whose
    /// features break cargo's rules ([`Summary::features_valid`]), as [`MemoryRegistry`]
    /// does. A version left in anyway fails when the resolver activates it.
    fn versions(&self, name: &str) -> &[Summary];

    /// Whether to try `summary` before every other version of its package, yanked or not,
    /// as cargo tries a version its lockfile names.
    fn preferred(&self, _summary: &Summary) -> bool {
        false
    }

    /// Whether every version [`Registry::versions`] gives already keeps cargo's feature
    /// rules (the registry checked each as it read it, as [`MemoryRegistry`] does), so the
    /// resolver checks only the root's. A registry that says so and lies gets a resolution
    /// that may differ from cargo's, never a panic.
    fn features_checked(&self) -> bool {
        false
    }
}

/// One published version of a package, as the resolver sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Summary {
    pub name: String,
    pub version: Version,
    pub dependencies: Vec<Dependency>,
    /// Feature name to what it enables (`other-feature`, `dep:name`, `name/feature`,
    /// `name?/feature`).
    pub features: BTreeMap<String, Vec<String>>,
    /// The native library this package links, of which a graph may hold one.
    pub links: Option<String>,
    pub yanked: bool,
    /// The registry's checksum of the package file, if it has one.
    pub checksum: Option<Digest>,
}

/// A dependency of a [`Summary`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Dependency {
    /// The name the dependent uses for it (differs from `package` when renamed).
    pub name: String,
    /// The package depended on.
    pub package: String,
    pub req: VersionReq,
    pub kind: DependencyKind,
    pub optional: bool,
    pub default_features: bool,
    pub features: Vec<String>,
    /// The platform it is for (`cfg(windows)`, a target triple), or `None` for every one.
    /// The resolver takes every platform's dependencies, as Cargo.lock does; an index line
    /// lists a dependency once per platform, and a snapshot keeps them apart the same way.
    pub target: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum DependencyKind {
    Normal,
    Build,
    Development,
}

/// A package in a resolution.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PackageId {
    pub name: String,
    pub version: Version,
}

impl core::fmt::Display for PackageId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} {}", self.name, self.version)
    }
}

/// The resolved graph: every package with the packages it depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Resolution {
    pub packages: BTreeMap<PackageId, ResolvedPackage>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ResolvedPackage {
    pub dependencies: Vec<PackageId>,
    pub checksum: Option<Digest>,
}

/// The name of the root [`install`] resolves from: not a package, so explanations leave it
/// out of the paths they name.
pub(crate) const INSTALL_ROOT: &str = "(install)";

/// What installing `name` at `req` takes: every pack of the resolution, each with the packs
/// it depends on (the install itself is not among them).
pub fn install<R: Registry + ?Sized>(
    registry: &R,
    name: &str,
    req: VersionReq,
) -> Result<Resolution, ResolveError> {
    let root = Summary {
        name: INSTALL_ROOT.into(),
        version: Version::new(0, 0, 0),
        dependencies: alloc::vec![Dependency {
            name: name.into(),
            package: name.into(),
            req,
            kind: DependencyKind::Normal,
            optional: false,
            default_features: true,
            features: Vec::new(),
            target: None,
        }],
        features: BTreeMap::new(),
        links: None,
        yanked: false,
        checksum: None,
    };
    let mut resolution = resolve(registry, &root)?;
    resolution.packages.remove(&PackageId { name: root.name, version: root.version });
    Ok(resolution)
}

impl Summary {
    /// Whether cargo would take this version's features: every value names a feature, an
    /// optional dependency's implicit feature, or a dependency as its form allows (`dep:`
    /// only on optional ones, `?/` likewise, no `dep:` with `/`), and every optional
    /// dependency is enabled by some feature. cargo leaves a version that breaks them out
    /// of its index, and a [`Registry`] does too.
    pub fn features_valid(&self) -> bool {
        features::valid(self)
    }

    /// A Souk pack as the resolver sees it: its dependencies, no features.
    pub fn from_pack(pack: &PackVersion) -> Summary {
        Summary {
            name: pack.name.clone(),
            version: pack.version.clone(),
            dependencies: pack
                .dependencies
                .iter()
                .map(|d| Dependency {
                    name: d.name.clone(),
                    package: d.name.clone(),
                    req: d.req.clone(),
                    kind: DependencyKind::Normal,
                    optional: false,
                    default_features: true,
                    features: Vec::new(),
                    target: None,
                })
                .collect(),
            features: BTreeMap::new(),
            links: None,
            yanked: false,
            checksum: pack.content_hash,
        }
    }
}

#[cfg(test)]
mod tests;
