//! The search, as cargo's resolver walks it, so that its answer is cargo's: depth first,
//! the most constrained dependency next, each dependency's newest valid candidate first.
//! A dependency that cannot be met leaves what the search learned (the activated packages
//! in its way, [`ConflictMap`]) in a cache, and the search jumps back past every choice
//! that played no part, to the newest one that did; a later branch that holds a learned
//! conflict is not walked again.

use alloc::collections::BTreeMap;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use hashbrown::HashMap;

use super::conflict::{ConflictCache, ConflictMap, Reason};
use super::context::{Activation, Age, Context, Pid};
use super::deps::{DepId, DepInfo, DepsFrame, Features, RemainingCandidates, RemainingDeps, Tables};
use super::features::{FeatureError, Requirements, considered};
use super::report::ResolveError;
use super::{PackageId, Registry, Resolution, ResolvedPackage, Summary};

/// The most activations one resolution may make before it gives up: a budget against a
/// hostile registry, far beyond any real graph (of the cargo cases and the random root
/// sets checked against cargo, the most any made was 4,624).
pub const MAX_ACTIVATIONS: usize = 1_000_000;

/// What a package is activated with.
enum Request<'r> {
    /// The root: every feature, and its development dependencies.
    Root,
    Dep {
        features: Features<'r>,
        uses_default: bool,
    },
}

enum ActivateError<'r> {
    /// This parent's request cannot be met in this branch.
    Conflict(Pid, Reason<'r>),
    /// No branch can help.
    Fatal(ResolveError),
}

/// A choice with candidates left, and everything the search must return to with it.
struct BacktrackFrame<'r> {
    cx: Context<'r>,
    remaining: RemainingDeps<'r>,
    candidates: RemainingCandidates,
    parent: Pid,
    dep: DepInfo<'r>,
    conflicts: ConflictMap<'r>,
}

/// What one activation request turns on ([`Search::build_deps`]): a pure function of the
/// parent (blamed for a failure), the package and the request, so it is kept.
type DepsKey<'r> = (Option<Pid>, Pid, Option<Features<'r>>, bool);
type Turned<'r> = (Rc<[&'r str]>, Rc<[DepInfo<'r>]>);

struct Search<'r, R: ?Sized> {
    tables: Tables<'r, R>,
    cache: ConflictCache<'r>,
    built: HashMap<DepsKey<'r>, Turned<'r>>,
    activations: usize,
    /// The first failure met that [`Search::explain`] could put in words: the explanation
    /// when the last failure is one the search generalized.
    first: Option<ResolveError>,
}

/// Resolves `root`'s dependencies from `registry`, to the graph cargo would lock.
pub fn resolve<'r, R: Registry + ?Sized>(
    registry: &'r R,
    root: &'r Summary,
) -> Result<Resolution, ResolveError> {
    let mut search = Search {
        tables: Tables::new(registry),
        cache: ConflictCache::default(),
        built: HashMap::new(),
        activations: 0,
        first: None,
    };
    let root = search.tables.root(root);
    let cx = search.run(root)?;
    Ok(search.resolution(&cx))
}

impl<'r, R: Registry + ?Sized> Search<'r, R> {
    fn run(&mut self, root: Pid) -> Result<Context<'r>, ResolveError> {
        let mut cx = Context::default();
        let mut remaining = RemainingDeps::default();
        let mut stack: Vec<BacktrackFrame<'r>> = Vec::new();
        match self.activate(&mut cx, None, root, &Request::Root) {
            Ok(Some(frame)) => remaining.push(frame),
            Ok(None) => {}
            Err(ActivateError::Fatal(e)) => return Err(e),
            Err(ActivateError::Conflict(..)) => unreachable!("the root has no parent to blame"),
        }
        while let Some((for_errors, mut parent, mut dep)) = remaining.pop_most_constrained() {
            let for_errors = for_errors && self.cache.find_active(&cx, dep.dep, None).is_some();
            let mut candidates = RemainingCandidates::new(dep.candidates.clone());
            let mut conflicts = ConflictMap::new();
            // Once back at a saved frame, `conflicts` no longer tells the whole reason.
            let mut backtracked = false;
            loop {
                let (candidate, has_another) = match candidates.next(&mut conflicts, &cx, &self.tables) {
                    Some(next) => next,
                    None => {
                        // `dep` cannot be met: learn why, and go back to the newest choice
                        // that could change that.
                        if self.first.is_none() {
                            self.first = self.explain(&cx, parent, &dep, &conflicts);
                        }
                        let mut generalized = None;
                        if !for_errors && !backtracked {
                            self.cache.insert(dep.dep, &conflicts);
                            generalized = self.generalize(&cx, parent, dep.dep, &conflicts);
                        }
                        let why = generalized.as_ref().unwrap_or(&conflicts);
                        let Some((next, frame)) = self.backtrack(&cx, &mut stack, parent, backtracked, why)
                        else {
                            let why = self.explain(&cx, parent, &dep, &conflicts).or(self.first.take());
                            let d = self.tables.dep(dep.dep);
                            return Err(why.unwrap_or_else(|| ResolveError::NoFit {
                                name: d.package.clone(),
                                req: d.req.to_string(),
                                required_by: self.path(&cx, parent),
                            }));
                        };
                        cx = frame.cx;
                        remaining = frame.remaining;
                        candidates = frame.candidates;
                        parent = frame.parent;
                        dep = frame.dep;
                        conflicts = frame.conflicts;
                        backtracked = true;
                        next
                    }
                };
                if for_errors && !backtracked && has_another {
                    continue;
                }
                let saved = has_another.then(|| BacktrackFrame {
                    cx: cx.clone(),
                    remaining: remaining.clone(),
                    candidates: candidates.clone(),
                    parent,
                    dep: dep.clone(),
                    conflicts: conflicts.clone(),
                });
                let request = Request::Dep {
                    features: dep.features.clone(),
                    uses_default: self.tables.dep(dep.dep).default_features,
                };
                let activated = match self.activate(&mut cx, Some((parent, dep.dep)), candidate, &request) {
                    Ok(Some(mut frame)) => {
                        let doomed =
                            for_errors || self.doomed(&cx, &remaining, candidate, &frame, &mut conflicts);
                        // The last candidate, known to fail, with nowhere to go back to:
                        // resolve on only to explain the failure.
                        let last = doomed
                            && !has_another
                            && (for_errors
                                || !Self::can_backtrack(&cx, &stack, parent, backtracked, &conflicts));
                        if last {
                            stack.clear();
                        }
                        frame.for_errors = doomed;
                        if !doomed || last {
                            remaining.push(frame);
                        }
                        !doomed || last
                    }
                    Ok(None) => true,
                    Err(ActivateError::Fatal(e)) => return Err(e),
                    Err(ActivateError::Conflict(pid, reason)) => {
                        conflicts.insert(pid, reason);
                        false
                    }
                };
                if activated {
                    stack.extend(saved);
                    break;
                }
                if let Some(saved) = saved {
                    cx = saved.cx;
                }
            }
        }
        Ok(cx)
    }

    /// Whether `candidate`, just activated, is known to fail: one of its own dependencies
    /// (`frame`), or one still pending elsewhere, has a learned conflict wholly active
    /// with it. The conflict joins `conflicts`, less the candidate.
    fn doomed(
        &self,
        cx: &Context<'r>,
        remaining: &RemainingDeps<'r>,
        candidate: Pid,
        frame: &DepsFrame<'r>,
        conflicts: &mut ConflictMap<'r>,
    ) -> bool {
        let others = |c: &ConflictMap<'r>| -> ConflictMap<'r> {
            c.iter().filter(|(p, _)| **p != candidate).map(|(p, r)| (*p, *r)).collect()
        };
        if let Some(known) = frame.siblings.iter().find_map(|s| self.cache.find_active(cx, s.dep, None)) {
            conflicts.extend(others(known));
            return true;
        }
        let Some(related) = self.cache.deps_conflicting_with(candidate) else { return false };
        let found = remaining
            .iter()
            .filter(|(_, dep)| related.contains(dep))
            .find_map(|(other, dep)| self.cache.find_active(cx, dep, Some(candidate)).map(|c| (other, c)));
        let Some((other_parent, known)) = found else { return false };
        // "That pending dependency fails with this candidate": so this candidate fails
        // while that dependency's parent is active.
        conflicts.extend(others(known));
        conflicts.insert(other_parent, known[&candidate]);
        true
    }

    /// Activates `candidate` for `parent`'s dependency (the root has none): takes its slot
    /// and `links` value if new, and answers the frame of dependencies this request turns
    /// on, or `None` when an earlier request turned on all of them already.
    fn activate(
        &mut self,
        cx: &mut Context<'r>,
        parent: Option<(Pid, DepId)>,
        candidate: Pid,
        request: &Request<'r>,
    ) -> Result<Option<DepsFrame<'r>>, ActivateError<'r>> {
        self.activations += 1;
        if self.activations > MAX_ACTIVATIONS {
            return Err(ActivateError::Fatal(ResolveError::Budget(MAX_ACTIVATIONS)));
        }
        cx.age += 1;
        let fresh = cx.holder(candidate.slot).is_none();
        if fresh {
            if let Some(links) = self.tables.links(candidate) {
                cx.links.insert(links, candidate);
            }
            let activation =
                Activation { pid: candidate, age: cx.age, features: Rc::default(), parents: Rc::default() };
            cx.hold(candidate.slot, activation);
        }
        let Some(map) = self.tables.features(candidate) else {
            let package = self.tables.id(candidate);
            return Err(ActivateError::Fatal(ResolveError::InvalidFeatures { package }));
        };
        let holder = cx.holder_mut(candidate.slot).expect("held above");
        if let Some(link) = parent
            && !holder.parents.contains(&link)
        {
            Rc::make_mut(&mut holder.parents).push(link);
        }
        let known = match request {
            Request::Root => false,
            Request::Dep { features, uses_default } => {
                let had = &holder.features;
                !fresh
                    && features.is_subset(had)
                    && (!uses_default || had.contains("default") || !map.contains_key("default"))
            }
        };
        if known {
            return Ok(None);
        }
        let (used, deps) = self.build_deps(parent.map(|p| p.0), candidate, &map, request)?;
        if !used.is_empty() {
            let holder = cx.holder_mut(candidate.slot).expect("held above");
            Rc::make_mut(&mut holder.features).extend(used.iter().copied());
        }
        Ok(Some(DepsFrame::new(candidate, deps)))
    }

    /// The features `request` turns on in `pid`, and the dependencies it enables, each with
    /// its candidates and the features asked of it, fewest candidates first.
    fn build_deps(
        &mut self,
        parent: Option<Pid>,
        pid: Pid,
        map: &super::features::FeatureMap<'r>,
        request: &Request<'r>,
    ) -> Result<Turned<'r>, ActivateError<'r>> {
        let key = match request {
            Request::Root => (parent, pid, None, true),
            Request::Dep { features, uses_default } => (parent, pid, Some(features.clone()), *uses_default),
        };
        if let Some(built) = self.built.get(&key) {
            return Ok(built.clone());
        }
        let summary = self.tables.summary(pid);
        let reqs = match request {
            Request::Root => Requirements::of(summary, map, map.keys().copied(), true),
            Request::Dep { features, uses_default } => {
                Requirements::of(summary, map, features.iter().copied(), *uses_default)
            }
        };
        let reqs = reqs.map_err(|e| self.feature_error(e, parent, pid))?;
        let root = matches!(request, Request::Root);
        let mut deps = Vec::new();
        let mut enabled = alloc::collections::BTreeSet::new();
        for dep in summary.dependencies.iter().filter(|d| considered(d.kind, root)) {
            if dep.optional && !reqs.deps.contains_key(dep.name.as_str()) {
                continue;
            }
            enabled.insert(dep.name.as_str());
            let mut features = reqs.deps.get(dep.name.as_str()).cloned().unwrap_or_default();
            features.extend(dep.features.iter().map(String::as_str));
            let id = self.tables.intern_dep(dep);
            deps.push(DepInfo {
                dep: id,
                candidates: self.tables.candidates(id),
                features: Rc::new(features),
            });
        }
        if parent.is_none()
            && let Some(name) = reqs.deps.keys().find(|name| !enabled.contains(*name))
        {
            return Err(self.feature_error(FeatureError::MissingDependency(name), parent, pid));
        }
        deps.sort_by_key(|d| d.candidates.len());
        let built: Turned<'r> = (reqs.features.into_iter().collect(), deps.into());
        self.built.insert(key, built.clone());
        Ok(built)
    }

    /// A request `pid` cannot meet: the parent that asked is to blame in this branch; for
    /// the root, nothing can help.
    fn feature_error(&self, error: FeatureError<'r>, parent: Option<Pid>, pid: Pid) -> ActivateError<'r> {
        let package = self.tables.id(pid);
        let (feature, reason) = match error {
            FeatureError::Cycle(feature) => {
                return ActivateError::Fatal(ResolveError::FeatureCycle { package, feature: feature.into() });
            }
            FeatureError::MissingDependency(feature) => {
                (feature, Reason::MissingFeature { feature, of: pid })
            }
            FeatureError::Missing(feature) => {
                let named: Vec<bool> = self
                    .tables
                    .summary(pid)
                    .dependencies
                    .iter()
                    .filter(|d| d.name == feature)
                    .map(|d| d.optional)
                    .collect();
                let reason = match named.as_slice() {
                    [] => Reason::MissingFeature { feature, of: pid },
                    _ if named.contains(&true) => Reason::NonImplicitDependencyAsFeature { feature, of: pid },
                    _ => Reason::RequiredDependencyAsFeature { feature, of: pid },
                };
                (feature, reason)
            }
        };
        match parent {
            Some(parent) => ActivateError::Conflict(parent, reason),
            None => ActivateError::Fatal(ResolveError::UnknownFeature { package, feature: feature.into() }),
        }
    }

    /// Whether a saved frame would take the search back for this failure.
    fn can_backtrack(
        cx: &Context<'r>,
        stack: &[BacktrackFrame<'r>],
        parent: Pid,
        backtracked: bool,
        conflicts: &ConflictMap<'r>,
    ) -> bool {
        match Self::jump_limit(cx, parent, backtracked, conflicts) {
            Some(age) => stack.iter().any(|frame| frame.cx.age < age),
            None => !stack.is_empty(),
        }
    }

    /// The age a saved frame must predate to undo this failure: that of the newest package
    /// among `parent` and the conflict. `None` (go back one frame) after a backtrack, or
    /// when the conflict does not hold in `cx`.
    fn jump_limit(
        cx: &Context<'r>,
        parent: Pid,
        backtracked: bool,
        conflicts: &ConflictMap<'r>,
    ) -> Option<Age> {
        if backtracked { None } else { cx.is_conflicting(Some(parent), conflicts) }
    }

    /// Goes back to the newest saved frame that predates every package of the failure,
    /// and takes its next candidate.
    fn backtrack(
        &self,
        cx: &Context<'r>,
        stack: &mut Vec<BacktrackFrame<'r>>,
        parent: Pid,
        backtracked: bool,
        conflicts: &ConflictMap<'r>,
    ) -> Option<((Pid, bool), BacktrackFrame<'r>)> {
        let limit = Self::jump_limit(cx, parent, backtracked, conflicts);
        while let Some(mut frame) = stack.pop() {
            if limit.is_some_and(|age| frame.cx.age >= age) {
                continue;
            }
            // A frame is saved only with a candidate left, valid in its own context.
            if let Some(next) = frame.candidates.next(&mut frame.conflicts, &frame.cx, &self.tables) {
                return Some((next, frame));
            }
        }
        None
    }

    /// Makes a failure of `dep` more general, so it jumps further: when the newest package
    /// of the conflict (X) was brought in by an older package (Y) through a dependency (E),
    /// and every candidate of E would fail `dep` by a conflict already learned, then `dep`
    /// fails whenever Y is active; Y takes X's place. The result is learned too.
    fn generalize(
        &mut self,
        cx: &Context<'r>,
        parent: Pid,
        dep: DepId,
        conflicts: &ConflictMap<'r>,
    ) -> Option<ConflictMap<'r>> {
        let mut newest: Option<(Age, Pid)> = None;
        for &pid in conflicts.keys() {
            newest = newest.max(Some((cx.age_of(pid)?, pid)));
        }
        let (critical_age, critical) = newest?;
        let reason = conflicts[&critical];
        if is_ancestor(cx, critical, parent) {
            return None;
        }
        let parents: Vec<(Pid, DepId)> = cx.holder(critical.slot)?.parents.iter().copied().collect();
        for (older, through) in parents {
            if cx.age_of(older).is_none_or(|age| age >= critical_age) {
                continue;
            }
            let candidates = self.tables.candidates(through);
            let mut found = Vec::new();
            for &other in candidates.iter().rev() {
                let age_of = |pid: Pid| if pid == other { Some(critical_age) } else { cx.age_of(pid) };
                match self.cache.find(dep, &age_of, Some(other), critical_age) {
                    Some(conflict) => found.push((other, conflict.clone())),
                    None => break,
                }
            }
            if found.len() < candidates.len() {
                continue;
            }
            let mut general = conflicts.clone();
            for (_, conflict) in &found {
                general.extend(conflict.iter().map(|(p, r)| (*p, *r)));
            }
            for (other, _) in &found {
                general.remove(other);
            }
            general.insert(older, reason);
            self.cache.insert(dep, &general);
            return Some(general);
        }
        None
    }

    /// Why `dep` of `parent` cannot be met, in words, when `conflicts` says it first hand:
    /// no such package or version, a version of it already selected, its `links` value
    /// held, a feature it lacks. A conflict the search generalized (an ancestor standing
    /// in for the package in the way) does not.
    fn explain(
        &self,
        cx: &Context<'r>,
        parent: Pid,
        dep: &DepInfo<'r>,
        conflicts: &ConflictMap<'r>,
    ) -> Option<ResolveError> {
        let d = self.tables.dep(dep.dep);
        let (name, req, required_by) = (d.package.clone(), d.req.to_string(), self.path(cx, parent));
        let published = self.tables.registry().versions(&d.package);
        if dep.candidates.is_empty() {
            if published.is_empty() {
                return Some(ResolveError::Missing { name, required_by });
            }
            let only_yanked = published.iter().any(|s| s.yanked && d.req.matches(&s.version));
            let newest =
                published.iter().filter(|s| !s.yanked).map(|s| &s.version).max().map(ToString::to_string);
            return Some(ResolveError::NoMatch { name, req, required_by, only_yanked, newest });
        }
        for (&holder, reason) in conflicts {
            match *reason {
                Reason::Semver if self.tables.summary(holder).name == d.package => {
                    let parents = cx.holder(holder.slot).map(|a| a.parents.clone()).unwrap_or_default();
                    let holders: Vec<String> = parents
                        .iter()
                        .map(|&(who, through)| {
                            let t = self.tables.dep(through);
                            alloc::format!("{} (which requires {} {})", self.path(cx, who), t.package, t.req)
                        })
                        .collect();
                    let selected = self.tables.summary(holder).version.to_string();
                    return Some(ResolveError::Clash {
                        name,
                        req,
                        required_by,
                        selected,
                        selected_for: holders.join(" and "),
                    });
                }
                Reason::Links(links) if self.tables.links(holder) == Some(links) => {
                    let candidate = dep.candidates.iter().find(|&&c| self.tables.links(c) == Some(links));
                    return Some(ResolveError::Links {
                        links: links.into(),
                        candidate: candidate.map_or_else(|| name.clone(), |&c| self.tables.id(c)),
                        holder: self.tables.id(holder),
                    });
                }
                Reason::MissingFeature { feature, of }
                | Reason::RequiredDependencyAsFeature { feature, of }
                | Reason::NonImplicitDependencyAsFeature { feature, of } => {
                    return Some(ResolveError::UnknownFeature {
                        package: self.tables.id(of),
                        feature: feature.into(),
                    });
                }
                _ => {}
            }
        }
        None
    }

    /// How the root came to need `pid`: `root → a → pid`, each step the first dependent
    /// that brought the next in (an install's root left out).
    fn path(&self, cx: &Context<'r>, pid: Pid) -> String {
        let mut steps = alloc::vec![pid];
        while let Some(&(parent, _)) = cx.holder(steps[steps.len() - 1].slot).and_then(|a| a.parents.first())
        {
            if steps.contains(&parent) {
                break;
            }
            steps.push(parent);
        }
        let shown = steps.iter().rev().filter(|&&p| self.tables.summary(p).name != super::INSTALL_ROOT);
        let path = shown.map(|&p| self.tables.id(p)).collect::<Vec<_>>().join(" → ");
        if path.is_empty() { "the install".into() } else { path }
    }

    /// The graph of a finished branch: every active package with what it depends on.
    fn resolution(&self, cx: &Context<'r>) -> Resolution {
        let mut children: BTreeMap<Pid, Vec<PackageId>> = BTreeMap::new();
        for activation in cx.activations() {
            let id = self.package_id(activation.pid);
            for (parent, _) in activation.parents.iter() {
                children.entry(*parent).or_default().push(id.clone());
            }
        }
        let mut resolution = Resolution::default();
        for activation in cx.activations() {
            let mut dependencies = children.remove(&activation.pid).unwrap_or_default();
            dependencies.sort();
            dependencies.dedup();
            let checksum = self.tables.summary(activation.pid).checksum;
            resolution
                .packages
                .insert(self.package_id(activation.pid), ResolvedPackage { dependencies, checksum });
        }
        resolution
    }

    fn package_id(&self, pid: Pid) -> PackageId {
        let s = self.tables.summary(pid);
        PackageId { name: s.name.clone(), version: s.version.clone() }
    }
}

/// Whether `ancestor` is among those `pid` was brought in by, at any depth.
fn is_ancestor(cx: &Context<'_>, ancestor: Pid, pid: Pid) -> bool {
    let mut seen = alloc::collections::BTreeSet::from([pid]);
    let mut stack = alloc::vec![pid];
    while let Some(next) = stack.pop() {
        let Some(activation) = cx.holder(next.slot).filter(|a| a.pid == next) else { continue };
        for &(parent, _) in activation.parents.iter() {
            if parent == ancestor {
                return true;
            }
            if seen.insert(parent) {
                stack.push(parent);
            }
        }
    }
    false
}
