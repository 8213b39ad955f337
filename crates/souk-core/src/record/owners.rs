//! Who holds a name, and which of its versions are yanked, as signed entries alone say.
//!
//! A name's first owner is the key of its earliest signed version (see [`Owners::of`] for
//! why not simply that), or, for a name imported
//! from another registry, the key that imported it ([`Index::importer`]): that key grants
//! the name by adding an owner. Each statement about the name is then replayed in serial
//! order, taken only if its signer was an owner at that point and its serial is past the
//! last; one that is not changes nothing. So an index served by a hostile relay can hide
//! statements, as it can hide versions, but cannot make anyone an owner.

use alloc::string::ToString;
use alloc::vec::Vec;

use semver::Version;

use super::RecordError;
use super::statement::{Claim, Statement};
use crate::index::Index;
use crate::pack::{Digest, to_hex};

/// A name's owners and yanked versions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owners {
    /// The keys that may publish, yank and change owners now, first owner first.
    pub current: Vec<Digest>,
    /// Every key that ever held the name: the versions each published stay valid.
    pub ever: Vec<Digest>,
    /// Versions new resolutions skip.
    pub yanked: Vec<Version>,
    /// The serial of the last statement taken; the next must be higher.
    pub serial: u64,
    /// The name came from another registry: its first owner is the key that imported it.
    pub imported: bool,
}

impl Owners {
    /// What `index` says of `name` (empty for a name it does not list).
    ///
    /// Publication times are the publishers' own word, so the earliest version alone cannot
    /// name the first owner: a key an owner added could backdate a version (or share the
    /// first one's second) and so unseat the owner who added it. The first owner is the
    /// earliest publisher under whom every version's publisher was an owner at some point;
    /// only when none is, the earliest.
    pub fn of(index: &Index, name: &str) -> Owners {
        let rows = index.versions_of(name);
        let imported = rows.clone().any(|r| index.get(r).publisher().is_none());
        if imported {
            return Owners::replayed(index, name, index.importer().copied(), true);
        }
        let mut publishers: Vec<(u64, Digest)> = rows
            .filter_map(|r| {
                let row = index.get(r);
                row.publisher().map(|key| (row.published(), *key))
            })
            .collect();
        publishers.sort_unstable();
        let mut candidates: Vec<Digest> = Vec::new();
        for (_, key) in &publishers {
            if !candidates.contains(key) {
                candidates.push(*key);
            }
        }
        let replay = |first: &Digest| Owners::replayed(index, name, Some(*first), false);
        let consistent = candidates
            .iter()
            .map(replay)
            .find(|owners| publishers.iter().all(|(_, key)| owners.ever.contains(key)));
        consistent.unwrap_or_else(|| Owners::replayed(index, name, candidates.first().copied(), false))
    }

    /// The owners `name`'s statements make, from `first`.
    fn replayed(index: &Index, name: &str, first: Option<Digest>, imported: bool) -> Owners {
        let mut owners = Owners { imported, ..Owners::default() };
        owners.current.extend(first);
        owners.ever.extend(first);
        for statement in index.statements_of(name) {
            // One that does not apply is not the owners' word: it has no effect.
            let _ = owners.apply(statement);
        }
        owners
    }

    pub fn is_owner(&self, key: &Digest) -> bool {
        self.current.contains(key)
    }

    pub fn is_yanked(&self, version: &Version) -> bool {
        self.yanked.contains(version)
    }

    /// Takes `statement` if an owner signed it after the last one taken.
    pub fn apply(&mut self, statement: &Statement) -> Result<(), RecordError> {
        let name = || statement.name.clone();
        if !self.is_owner(&statement.signer) {
            return Err(RecordError::NotOwner { name: name(), signer: to_hex(&statement.signer) });
        }
        if statement.serial <= self.serial {
            return Err(RecordError::Stale { name: name(), serial: statement.serial, last: self.serial });
        }
        match &statement.claim {
            Claim::AddOwner(key) => {
                if !self.is_owner(key) {
                    self.current.push(*key);
                }
                if !self.ever.contains(key) {
                    self.ever.push(*key);
                }
            }
            Claim::RemoveOwner(key) => {
                if !self.is_owner(key) {
                    return Err(RecordError::NotAnOwner { name: name(), key: to_hex(key) });
                }
                if self.current.len() == 1 {
                    return Err(RecordError::LastOwner { name: name() });
                }
                self.current.retain(|k| k != key);
            }
            Claim::Yank(version) => {
                if !self.is_yanked(version) {
                    self.yanked.push(version.clone());
                }
            }
            Claim::Unyank(version) => self.yanked.retain(|v| v != version),
        }
        self.serial = statement.serial;
        Ok(())
    }

    /// The owners, in hex, for messages.
    pub fn names(&self) -> alloc::string::String {
        self.current.iter().map(to_hex).collect::<Vec<_>>().join(", ")
    }
}

impl Statement {
    /// Whether `index` takes this statement: its name and version are listed and it applies
    /// to the name's owners ([`Owners::apply`]).
    pub fn check_against(&self, index: &Index) -> Result<(), RecordError> {
        let versions = index.versions_of(&self.name);
        if versions.is_empty() {
            return Err(RecordError::UnknownName { name: self.name.clone() });
        }
        if let Claim::Yank(v) | Claim::Unyank(v) = &self.claim {
            let v = v.to_string();
            if !versions.clone().any(|r| index.get(r).version() == v) {
                return Err(RecordError::UnknownVersion { name: self.name.clone(), version: v });
            }
        }
        Owners::of(index, &self.name).apply(self)
    }
}
