//! What the search walks: package versions and dependencies interned once per resolution,
//! each dependency's candidates in cargo's order of preference, and the dependencies still
//! to resolve, taken most constrained first.

use alloc::collections::BTreeSet;
use alloc::rc::Rc;
use alloc::vec::Vec;

use hashbrown::HashMap;
use semver::{Version, VersionReq};

use super::conflict::{ConflictMap, Reason};
use super::context::{Context, Pid, Slot};
use super::features::{FeatureMap, feature_map};
use super::{Dependency, Registry, Summary};

/// A dependency, interned by value: the same requirement in two versions of a package is
/// one dependency, so what the search learns about it serves both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct DepId(pub u32);

/// A package's semver-compatible range: versions that share it hold one slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Compat(u64, u64, u64);

fn compat(v: &Version) -> Compat {
    match (v.major, v.minor) {
        (0, 0) => Compat(0, 0, v.patch),
        (0, minor) => Compat(0, minor, 0),
        (major, _) => Compat(major, 0, 0),
    }
}

/// A feature set asked of a package, shared between the frames that ask it.
pub(crate) type Features<'r> = Rc<BTreeSet<&'r str>>;

/// A dependency to resolve: its candidates (newest first) and the features asked of it.
#[derive(Debug, Clone)]
pub(crate) struct DepInfo<'r> {
    pub dep: DepId,
    pub candidates: Rc<[Pid]>,
    pub features: Features<'r>,
}

struct Known<'r> {
    summary: &'r Summary,
    /// Its feature map once it is activated (`None` within: features cargo would refuse).
    features: Option<Option<Rc<FeatureMap<'r>>>>,
}

/// The registry as this resolution has met it.
pub(crate) struct Tables<'r, R: ?Sized> {
    registry: &'r R,
    versions: Vec<Known<'r>>,
    by_name: HashMap<&'r str, Rc<[Pid]>>,
    slots: HashMap<(&'r str, Compat), Slot>,
    slot_count: u32,
    deps: Vec<&'r Dependency>,
    dep_ids: HashMap<&'r Dependency, DepId>,
    /// The same, by address: a dependency met again is found without hashing its value.
    dep_at: HashMap<*const Dependency, DepId>,
    candidates: HashMap<DepId, Rc<[Pid]>>,
    by_req: HashMap<(&'r str, &'r VersionReq), Rc<[Pid]>>,
}

impl<'r, R: Registry + ?Sized> Tables<'r, R> {
    pub fn new(registry: &'r R) -> Self {
        Tables {
            registry,
            versions: Vec::new(),
            by_name: HashMap::new(),
            slots: HashMap::new(),
            slot_count: 0,
            deps: Vec::new(),
            dep_ids: HashMap::new(),
            dep_at: HashMap::new(),
            candidates: HashMap::new(),
            by_req: HashMap::new(),
        }
    }

    /// The root, in a slot of its own: it is not the registry's package of that name. It is
    /// the first version met, id 0.
    pub fn root(&mut self, root: &'r Summary) -> Pid {
        let slot = self.new_slot();
        self.push(root, slot)
    }

    fn new_slot(&mut self) -> Slot {
        self.slot_count += 1;
        Slot(self.slot_count - 1)
    }

    fn push(&mut self, summary: &'r Summary, slot: Slot) -> Pid {
        let pid = Pid { slot, id: self.versions.len() as u32 };
        self.versions.push(Known { summary, features: None });
        pid
    }

    pub fn registry(&self) -> &'r R {
        self.registry
    }

    pub fn summary(&self, pid: Pid) -> &'r Summary {
        self.versions[pid.id as usize].summary
    }

    pub fn links(&self, pid: Pid) -> Option<&'r str> {
        self.summary(pid).links.as_deref()
    }

    pub fn dep(&self, dep: DepId) -> &'r Dependency {
        self.deps[dep.0 as usize]
    }

    /// `pid`'s features, with the implicit ones; `None` where cargo would refuse them
    /// (a registry leaves such versions out, so only a root or a careless registry has
    /// them). Worked out once per version.
    pub fn features(&mut self, pid: Pid) -> Option<Rc<FeatureMap<'r>>> {
        // The registry's versions are checked already where it says so; the root never is.
        let checked = pid.id != 0 && self.registry.features_checked();
        let version = &mut self.versions[pid.id as usize];
        let summary = version.summary;
        version
            .features
            .get_or_insert_with(|| {
                (checked || summary.features_valid()).then(|| Rc::new(feature_map(summary)))
            })
            .clone()
    }

    pub fn intern_dep(&mut self, dep: &'r Dependency) -> DepId {
        if let Some(&id) = self.dep_at.get(&core::ptr::from_ref(dep)) {
            return id;
        }
        let next = DepId(self.deps.len() as u32);
        let id = *self.dep_ids.entry(dep).or_insert(next);
        if id == next {
            self.deps.push(dep);
        }
        self.dep_at.insert(core::ptr::from_ref(dep), id);
        id
    }

    /// Every published version of `name`.
    fn versions_of(&mut self, name: &'r str) -> Rc<[Pid]> {
        if let Some(pids) = self.by_name.get(name) {
            return pids.clone();
        }
        let mut pids = Vec::new();
        for summary in self.registry.versions(name) {
            let key = (summary.name.as_str(), compat(&summary.version));
            let slot = match self.slots.get(&key) {
                Some(&slot) => slot,
                None => {
                    let slot = self.new_slot();
                    self.slots.insert(key, slot);
                    slot
                }
            };
            pids.push(self.push(summary, slot));
        }
        let pids: Rc<[Pid]> = pids.into();
        self.by_name.insert(name, pids.clone());
        pids
    }

    /// The versions `dep` may resolve to, in cargo's order of preference (a version the
    /// lockfile names, then newest first): those its requirement matches that are not
    /// yanked, unless the lockfile names them.
    pub fn candidates(&mut self, dep: DepId) -> Rc<[Pid]> {
        if let Some(found) = self.candidates.get(&dep) {
            return found.clone();
        }
        let d = self.dep(dep);
        // The same requirement under another target, kind or feature set has the same
        // candidates.
        if let Some(found) = self.by_req.get(&(d.package.as_str(), &d.req)) {
            let found = found.clone();
            self.candidates.insert(dep, found.clone());
            return found;
        }
        let mut found: Vec<(bool, Pid)> = Vec::new();
        for &pid in self.versions_of(&d.package).iter() {
            let s = self.summary(pid);
            let preferred = self.registry.preferred(s);
            if (!s.yanked || preferred) && d.req.matches(&s.version) {
                found.push((preferred, pid));
            }
        }
        found.sort_by(|(a_pref, a), (b_pref, b)| {
            b_pref.cmp(a_pref).then_with(|| self.summary(*b).version.cmp(&self.summary(*a).version))
        });
        let found: Vec<Pid> = found.into_iter().map(|(_, pid)| pid).collect();
        let found: Rc<[Pid]> = found.into();
        self.candidates.insert(dep, found.clone());
        self.by_req.insert((d.package.as_str(), &d.req), found.clone());
        found
    }

    /// `name version`, for explanations.
    pub fn id(&self, pid: Pid) -> alloc::string::String {
        let s = self.summary(pid);
        alloc::format!("{} {}", s.name, s.version)
    }
}

/// One activated package's dependencies still to resolve, fewest candidates first.
#[derive(Debug, Clone)]
pub(crate) struct DepsFrame<'r> {
    pub parent: Pid,
    /// Known to fail: resolved only to explain the failure.
    pub for_errors: bool,
    pub siblings: Rc<[DepInfo<'r>]>,
    pub at: usize,
    time: u32,
}

impl<'r> DepsFrame<'r> {
    pub fn new(parent: Pid, siblings: Rc<[DepInfo<'r>]>) -> Self {
        DepsFrame { parent, for_errors: false, siblings, at: 0, time: 0 }
    }

    fn min_candidates(&self) -> usize {
        self.siblings.get(self.at).map_or(0, |d| d.candidates.len())
    }
}

/// Every frame with dependencies left. The next dependency is the first of the frame
/// whose next one has the fewest candidates (frames kept only to explain a failure first,
/// then the oldest): a dependency with one candidate pins the graph before those with many.
#[derive(Debug, Clone, Default)]
pub(crate) struct RemainingDeps<'r> {
    time: u32,
    frames: Vec<DepsFrame<'r>>,
}

impl<'r> RemainingDeps<'r> {
    pub fn push(&mut self, mut frame: DepsFrame<'r>) {
        frame.time = self.time;
        self.time += 1;
        self.frames.push(frame);
    }

    /// The most constrained dependency: (only to explain a failure, dependent, dependency).
    pub fn pop_most_constrained(&mut self) -> Option<(bool, Pid, DepInfo<'r>)> {
        loop {
            let (at, _) = self
                .frames
                .iter()
                .enumerate()
                .min_by_key(|(_, f)| (!f.for_errors, f.min_candidates(), f.time))?;
            let frame = &mut self.frames[at];
            match frame.siblings.get(frame.at) {
                Some(next) => {
                    frame.at += 1;
                    return Some((frame.for_errors, frame.parent, next.clone()));
                }
                None => drop(self.frames.swap_remove(at)),
            }
        }
    }

    /// Every dependency still to resolve, with its dependent.
    pub fn iter(&self) -> impl Iterator<Item = (Pid, DepId)> + '_ {
        self.frames.iter().flat_map(|f| f.siblings[f.at..].iter().map(move |d| (f.parent, d.dep)))
    }
}

/// A dependency's candidates not tried yet, each checked against the branch when reached:
/// one that another version's slot or `links` value excludes is skipped, with the reason.
#[derive(Debug, Clone)]
pub(crate) struct RemainingCandidates {
    list: Rc<[Pid]>,
    at: usize,
    /// The next valid candidate, looked at ahead to know whether there is another.
    ahead: Option<Pid>,
}

impl RemainingCandidates {
    pub fn new(list: Rc<[Pid]>) -> Self {
        RemainingCandidates { list, at: 0, ahead: None }
    }

    /// The next candidate valid in `cx`, and whether another follows it.
    pub fn next<'r, R: Registry + ?Sized>(
        &mut self,
        conflicts: &mut ConflictMap<'r>,
        cx: &Context<'r>,
        tables: &Tables<'r, R>,
    ) -> Option<(Pid, bool)> {
        while let Some(&pid) = self.list.get(self.at) {
            self.at += 1;
            if let Some(holder) = cx.holder(pid.slot)
                && holder.pid != pid
            {
                conflicts.entry(holder.pid).or_insert(Reason::Semver);
                continue;
            }
            if let Some(links) = tables.links(pid)
                && let Some(&holder) = cx.links.get(links)
                && holder != pid
            {
                conflicts.entry(holder).or_insert(Reason::Links(links));
                continue;
            }
            if let Some(previous) = self.ahead.replace(pid) {
                return Some((previous, true));
            }
        }
        self.ahead.take().map(|pid| (pid, false))
    }
}
