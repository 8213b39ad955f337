//! A registry held in memory: what the CLI builds from an index file and the tab from its
//! snapshot.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;
use core::borrow::Borrow;
use core::cell::{OnceCell, RefCell};

use super::{DependencyKind, Registry, Summary};
use crate::index::{Index, ReqCache, RowError};
use crate::record::Owners;

/// Serde carries it to a resolver elsewhere: a tab resolves in its second module.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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

    /// Every version of a Souk index, as the resolver sees it ([`crate::index::PackRef::summary`]),
    /// with those its source registry yanked (offered only as [`MemoryRegistry::prefer`]
    /// offers them). It fails only for a snapshot with a row that does not read.
    pub fn from_index(index: &Index) -> Result<Self, RowError> {
        let mut registry = MemoryRegistry::default();
        let mut reqs = ReqCache::default();
        for row in index.iter() {
            registry.insert(row.summary(&mut reqs)?);
        }
        for yanked in index.yanked() {
            registry.insert(yanked.cargo(&mut reqs)?);
        }
        Ok(registry)
    }

    /// The versions of a Souk index that a resolution of `root` can reach
    /// ([`MemoryRegistry::reachable_from`]).
    pub fn reachable(index: &Index, root: &str) -> Result<Self, RowError> {
        Self::reachable_from(index, [root])
    }

    /// The versions of a Souk index that a resolution depending on `roots` can reach: every
    /// version of each root, then of each name their normal and build dependencies (optional
    /// or not) name, and so on. A resolution reads these few instead of the whole index.
    /// Versions their owners yanked are left aside, as cargo leaves them; those the source
    /// registry yanked are offered only as [`MemoryRegistry::prefer`] offers them. It fails
    /// only for a snapshot with a row that does not read.
    pub fn reachable_from<'n>(
        index: &Index,
        roots: impl IntoIterator<Item = &'n str>,
    ) -> Result<Self, RowError> {
        let mut registry = MemoryRegistry::default();
        let mut reqs = ReqCache::default();
        let mut seen = BTreeSet::new();
        let mut next: Vec<String> = roots.into_iter().map(Into::into).collect();
        while let Some(name) = next.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            let owners = Owners::of(index, &name);
            let follow = |summary: &Summary, next: &mut Vec<String>| {
                let deps = summary.dependencies.iter().filter(|d| d.kind != DependencyKind::Development);
                next.extend(deps.filter(|d| !seen.contains(&d.package)).map(|d| d.package.clone()));
            };
            for record in index.versions_of(&name) {
                let summary = index.get(record).summary(&mut reqs)?;
                follow(&summary, &mut next);
                if owners.is_yanked(&summary.version) {
                    registry.yanked.entry(summary.name.clone()).or_default().push(summary);
                } else {
                    registry.insert(summary);
                }
            }
            for yanked in index.yanked_of(&name) {
                let summary = yanked.cargo(&mut reqs)?;
                follow(&summary, &mut next);
                registry.insert(summary);
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

    fn features_checked(&self) -> bool {
        true
    }
}

/// A Souk index as the resolver asks for it: a name's versions are read the first time a
/// resolution reaches that name, as cargo reads its index, so a resolution that touches a
/// few hundred crates of a large index decodes only those. Names are exact, as cargo's are.
/// A row that does not read is left out, as cargo leaves out an index line it cannot
/// parse; versions their owners yanked are left out too (no lockfile prefers here). It
/// holds the index or borrows it (`I` is `Index` or `&Index`).
#[derive(Debug)]
pub struct IndexRegistry<I> {
    index: I,
    /// One cell per name: at the first row of its versions, or past the rows at its first
    /// yanked version when it has no rows.
    names: Vec<OnceCell<Vec<Summary>>>,
    reqs: RefCell<ReqCache>,
}

impl<I: Borrow<Index>> IndexRegistry<I> {
    pub fn new(index: I) -> Self {
        let i = index.borrow();
        let names = (0..i.len() + i.yanked().len()).map(|_| OnceCell::new()).collect();
        IndexRegistry { index, names, reqs: RefCell::default() }
    }

    /// The rows named exactly `name` (a folded lookup may find another spelling).
    fn rows(&self, name: &str) -> core::ops::Range<usize> {
        let index = self.index.borrow();
        let rows = index.versions_of(name);
        match rows.clone().next() {
            Some(first) if index.get(first).name() == name => rows,
            _ => 0..0,
        }
    }

    fn read(&self, name: &str) -> Vec<Summary> {
        let index = self.index.borrow();
        let reqs = &mut *self.reqs.borrow_mut();
        let owners = Owners::of(index, name);
        let rows = self.rows(name).filter_map(|r| index.get(r).summary(reqs).ok());
        let mut versions: Vec<Summary> = rows.filter(|s| !owners.is_yanked(&s.version)).collect();
        versions.extend(index.yanked_of(name).filter_map(|y| y.cargo(reqs).ok()));
        versions.retain(Summary::features_valid);
        versions.sort_unstable_by(|a, b| b.version.cmp(&a.version));
        versions
    }
}

impl<I: Borrow<Index>> Registry for IndexRegistry<I> {
    fn versions(&self, name: &str) -> &[Summary] {
        let index = self.index.borrow();
        let rows = self.rows(name);
        let cell = match index.yanked_of(name).next() {
            _ if !rows.is_empty() => rows.start,
            Some(first) => index.len() + first.entry(),
            None => return &[],
        };
        self.names[cell].get_or_init(|| self.read(name))
    }

    fn features_checked(&self) -> bool {
        true
    }
}
