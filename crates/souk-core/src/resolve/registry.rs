//! A registry held in memory: what the CLI builds from an index file and the tab from its
//! snapshot.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use super::{Registry, Summary};
use crate::index::Index;
use crate::record::Owners;

#[derive(Debug, Clone, Default)]
pub struct MemoryRegistry {
    packages: BTreeMap<String, Vec<Summary>>,
    /// Versions their owners yanked: offered only to a lockfile that names one
    /// ([`MemoryRegistry::prefer`]).
    yanked: BTreeMap<String, Vec<Summary>>,
    /// Versions a lockfile names, by package.
    preferred: BTreeMap<String, Vec<semver::Version>>,
}

impl MemoryRegistry {
    /// Adds a version, unless cargo would leave it out of its index for its features
    /// ([`Summary::features_valid`]). Versions are kept newest first.
    pub fn insert(&mut self, summary: Summary) {
        if !summary.features_valid() {
            return;
        }
        let versions = self.packages.entry(summary.name.clone()).or_default();
        let at = versions.partition_point(|v| v.version > summary.version);
        versions.insert(at, summary);
    }

    /// Every pack version of a Souk index, as the resolver sees it. It fails only for a
    /// snapshot whose version or requirement text does not parse.
    pub fn from_index(index: &Index) -> Result<Self, semver::Error> {
        let mut registry = MemoryRegistry::default();
        for pack in index.iter() {
            registry.insert(Summary::from_pack(&pack.to_version()?));
        }
        Ok(registry)
    }

    /// The pack versions of a Souk index that a resolution of `root` can reach: `root`'s
    /// versions, then every version of each name their dependencies name, and so on. An
    /// install reads these few in place instead of copying the whole index. Versions their
    /// owners yanked are left aside, as cargo leaves them. It fails only for a snapshot
    /// whose version or requirement text does not parse.
    pub fn reachable(index: &Index, root: &str) -> Result<Self, semver::Error> {
        let mut registry = MemoryRegistry::default();
        let mut seen = BTreeSet::new();
        let mut next = alloc::vec![root];
        while let Some(name) = next.pop() {
            let owners = Owners::of(index, name);
            for record in index.versions_of(name) {
                let pack = index.get(record);
                if !seen.insert(record) {
                    continue;
                }
                next.extend(pack.dependencies().map(|(dependency, _)| dependency));
                let summary = Summary::from_pack(&pack.to_version()?);
                if owners.is_yanked(&summary.version) {
                    registry.yanked.entry(summary.name.clone()).or_default().push(summary);
                } else {
                    registry.insert(summary);
                }
            }
        }
        Ok(registry)
    }

    /// Prefers `version` of `name`, as a lockfile that names it does: the resolver tries it
    /// before any other version, even a yanked one, and falls back to the others only where
    /// it no longer fits (cargo's rule for a locked version).
    pub fn prefer(&mut self, name: &str, version: &semver::Version) {
        if let Some(yanked) = self.yanked.get_mut(name)
            && let Some(at) = yanked.iter().position(|v| v.version == *version)
        {
            // Offered from now on, but as yanked: only the preference takes it.
            let summary = Summary { yanked: true, ..yanked.swap_remove(at) };
            self.insert(summary);
        }
        self.preferred.entry(name.into()).or_default().push(version.clone());
    }

    /// How many package versions it holds.
    pub fn len(&self) -> usize {
        self.packages.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.packages.is_empty()
    }
}

impl Registry for MemoryRegistry {
    fn versions(&self, name: &str) -> &[Summary] {
        self.packages.get(name).map_or(&[], Vec::as_slice)
    }

    fn preferred(&self, summary: &Summary) -> bool {
        self.preferred.get(&summary.name).is_some_and(|versions| versions.contains(&summary.version))
    }
}
