//! What the search learns from a dead end, as cargo's resolver learns it: a conflict is a
//! set of activated packages, each with why it is in the way, under which one dependency
//! cannot be met. Kept per dependency, a conflict prunes every later branch that holds all
//! of its packages, and says how far back a failure must jump.

use alloc::collections::{BTreeMap, BTreeSet};

use hashbrown::HashMap;

use super::context::{Age, Context, Pid};
use super::deps::DepId;

/// Why an activated package stands in a dependency's way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason<'r> {
    /// It holds the semver-compatible slot another version would need.
    Semver,
    /// It holds the `links` value another package would need.
    Links(&'r str),
    /// It asked `of` for a feature `of` lacks.
    MissingFeature { feature: &'r str, of: Pid },
    /// It asked `of` for a feature named after a required dependency of `of`.
    RequiredDependencyAsFeature { feature: &'r str, of: Pid },
    /// It asked `of` for the implicit feature of an optional dependency that `dep:` hides.
    NonImplicitDependencyAsFeature { feature: &'r str, of: Pid },
}

/// While all these packages are active, a dependency cannot be met.
pub(crate) type ConflictMap<'r> = BTreeMap<Pid, Reason<'r>>;

/// Conflicts of one dependency, by their packages in order, so that finding one whose
/// packages are all active walks only the branches of active packages.
enum Trie<'r> {
    Leaf(ConflictMap<'r>),
    Node(BTreeMap<Pid, Trie<'r>>),
}

impl<'r> Trie<'r> {
    /// The conflict whose packages are all active (`age_of`), that holds `must` if given,
    /// and whose newest package is older than `max_age`: of those, the oldest.
    fn find(
        &self,
        age_of: &impl Fn(Pid) -> Option<Age>,
        must: Option<Pid>,
        mut max_age: Age,
    ) -> Option<(&ConflictMap<'r>, Age)> {
        match self {
            Trie::Leaf(conflict) => must.is_none().then_some((conflict, 0)),
            Trie::Node(children) => {
                let mut found = None;
                let range = match must {
                    Some(must) => children.range(..=must),
                    None => children.range(..),
                };
                for (&pid, child) in range {
                    let Some(age) = age_of(pid) else { continue };
                    if age >= max_age && must != Some(pid) {
                        continue;
                    }
                    let rest = must.filter(|&m| m != pid);
                    if let Some((conflict, below)) = child.find(age_of, rest, max_age) {
                        let age = if must == Some(pid) { below } else { age.max(below) };
                        if age < max_age {
                            found = Some((conflict, age));
                            max_age = age;
                        }
                    }
                }
                found
            }
        }
    }

    fn insert(&mut self, mut path: impl Iterator<Item = Pid>, conflict: ConflictMap<'r>) {
        match path.next() {
            // A shorter conflict already covers this one.
            Some(_) if matches!(self, Trie::Leaf(_)) => {}
            Some(pid) => {
                if let Trie::Node(children) = self {
                    children.entry(pid).or_insert_with(|| Trie::Node(BTreeMap::new())).insert(path, conflict);
                }
            }
            // This one covers every longer conflict below it.
            None => *self = Trie::Leaf(conflict),
        }
    }
}

/// Every conflict learned, by dependency, and which dependencies each package is part of
/// a conflict of.
#[derive(Default)]
pub(crate) struct ConflictCache<'r> {
    by_dep: HashMap<DepId, Trie<'r>>,
    deps_of: HashMap<Pid, BTreeSet<DepId>>,
}

impl<'r> ConflictCache<'r> {
    pub fn find(
        &self,
        dep: DepId,
        age_of: &impl Fn(Pid) -> Option<Age>,
        must: Option<Pid>,
        max_age: Age,
    ) -> Option<&ConflictMap<'r>> {
        self.by_dep.get(&dep)?.find(age_of, must, max_age).map(|(conflict, _)| conflict)
    }

    /// A conflict of `dep` that holds `must` (if given) and is wholly active in `cx`.
    pub fn find_active(&self, cx: &Context<'r>, dep: DepId, must: Option<Pid>) -> Option<&ConflictMap<'r>> {
        self.find(dep, &|pid| cx.age_of(pid), must, Age::MAX)
    }

    pub fn insert(&mut self, dep: DepId, conflict: &ConflictMap<'r>) {
        self.by_dep
            .entry(dep)
            .or_insert_with(|| Trie::Node(BTreeMap::new()))
            .insert(conflict.keys().copied(), conflict.clone());
        for &pid in conflict.keys() {
            self.deps_of.entry(pid).or_default().insert(dep);
        }
    }

    /// The dependencies `pid` is part of a conflict of.
    pub fn deps_conflicting_with(&self, pid: Pid) -> Option<&BTreeSet<DepId>> {
        self.deps_of.get(&pid)
    }
}
