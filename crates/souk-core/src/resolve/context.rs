//! The state of one branch of the search: which version holds each semver-compatible slot,
//! when it was activated (its age, which says how far back a failure it causes must jump),
//! with which features, and who depends on it. A backtrack point keeps a copy, so the
//! copy is cheap: chunks of slots shared until one changes, whose entries share their sets.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::rc::Rc;
use alloc::vec::Vec;

use super::conflict::ConflictMap;
use super::deps::DepId;

/// A slot: a package name and one semver-compatible range of its versions, interned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Slot(pub u32);

/// A package version met by this resolution, interned (`id`), with the slot it would hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Pid {
    pub slot: Slot,
    pub id: u32,
}

/// When a package was activated: the count of activations before it in this branch.
pub(crate) type Age = u32;

/// A package version holding its slot.
#[derive(Debug, Clone)]
pub(crate) struct Activation<'r> {
    pub pid: Pid,
    pub age: Age,
    /// The features every request so far turned on.
    pub features: Rc<BTreeSet<&'r str>>,
    /// Who depends on it, and through which dependency.
    pub parents: Rc<Vec<(Pid, DepId)>>,
}

/// Slots per shared chunk: a copy of the context shares every chunk, and a change copies
/// only the chunk it touches (a resolution meets thousands of slots and holds hundreds).
const CHUNK: usize = 64;

type Chunk<'r> = [Option<Activation<'r>>; CHUNK];

#[derive(Debug, Clone, Default)]
pub(crate) struct Context<'r> {
    /// Activations so far, failed or not: the age of the next.
    pub age: Age,
    slots: Vec<Rc<Chunk<'r>>>,
    /// Who holds each `links` value.
    pub links: BTreeMap<&'r str, Pid>,
}

impl<'r> Context<'r> {
    pub fn holder(&self, slot: Slot) -> Option<&Activation<'r>> {
        let at = slot.0 as usize;
        self.slots.get(at / CHUNK)?[at % CHUNK].as_ref()
    }

    pub fn holder_mut(&mut self, slot: Slot) -> Option<&mut Activation<'r>> {
        let at = slot.0 as usize;
        Rc::make_mut(self.slots.get_mut(at / CHUNK)?)[at % CHUNK].as_mut()
    }

    pub fn hold(&mut self, slot: Slot, activation: Activation<'r>) {
        let at = slot.0 as usize;
        while self.slots.len() <= at / CHUNK {
            self.slots.push(Rc::new(core::array::from_fn(|_| None)));
        }
        Rc::make_mut(&mut self.slots[at / CHUNK])[at % CHUNK] = Some(activation);
    }

    pub fn activations(&self) -> impl Iterator<Item = &Activation<'r>> {
        self.slots.iter().flat_map(|chunk| chunk.iter().flatten())
    }

    /// When `pid` was activated, if it is active in this branch.
    pub fn age_of(&self, pid: Pid) -> Option<Age> {
        self.holder(pid.slot).filter(|a| a.pid == pid).map(|a| a.age)
    }

    /// The newest age among `parent` and a conflict's packages, or `None` when one of
    /// them is not active (the conflict does not apply to this branch).
    pub fn is_conflicting(&self, parent: Option<Pid>, conflict: &ConflictMap<'r>) -> Option<Age> {
        let mut newest = 0;
        for pid in parent.into_iter().chain(conflict.keys().copied()) {
            newest = newest.max(self.age_of(pid)?);
        }
        Some(newest)
    }
}
