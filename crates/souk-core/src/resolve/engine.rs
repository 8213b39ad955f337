//! The search: activate packages newest first, following dependencies in the order they
//! are found, and back up to the last choice with alternatives when one fails.

use alloc::borrow::ToOwned;
use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cmp::Reverse;

use semver::Version;

use super::report::ResolveError;
use super::{DependencyKind, PackageId, Registry, Resolution, ResolvedPackage, Summary};

/// The most candidate activations one resolution may try before giving up, so a hostile
/// or pathological registry cannot make it search forever.
pub const MAX_STEPS: usize = 200_000;

/// A package's semver-compatible range: versions that share it are one slot in a graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Compat(u64, u64, u64);

fn compat(v: &Version) -> Compat {
    match (v.major, v.minor) {
        (0, 0) => Compat(0, 0, v.patch),
        (0, minor) => Compat(0, minor, 0),
        (major, _) => Compat(major, 0, 0),
    }
}

/// A slot in the graph: a package name and one of its compatible ranges.
type Key = (String, Compat);

fn key_of(s: &Summary) -> Key {
    (s.name.clone(), compat(&s.version))
}

/// A package version in the graph, and what its features turned on.
#[derive(Debug, Clone)]
struct Active<'r> {
    summary: &'r Summary,
    features: BTreeSet<String>,
    /// Dependencies turned on (indices into `summary.dependencies`).
    enabled: BTreeSet<usize>,
    /// Features this package's own features ask of each dependency (`dep/feature`).
    dep_features: BTreeMap<usize, BTreeSet<String>>,
    /// Where each enabled dependency resolved to.
    targets: BTreeMap<usize, Key>,
}

/// Everything a choice point must be able to return to.
#[derive(Debug, Clone)]
struct State<'r> {
    /// Shared between a choice point's saved state and the live one until either changes
    /// it, so saving a state copies only the map's nodes.
    active: BTreeMap<Key, Rc<Active<'r>>>,
    links: BTreeMap<String, Key>,
    /// Dependency edges still to resolve (or whose features to pass on): (dependent, index).
    pending: VecDeque<(Key, usize)>,
}

/// A choice with alternatives left: the state before it, the edge, and the candidates.
struct Frame<'r> {
    state: State<'r>,
    edge: (Key, usize),
    candidates: Vec<&'r Summary>,
    next: usize,
}

/// Resolves `root`'s dependencies from `registry`.
pub fn resolve<R: Registry + ?Sized>(registry: &R, root: &Summary) -> Result<Resolution, ResolveError> {
    let root_key = key_of(root);
    let mut state = State { active: BTreeMap::new(), links: BTreeMap::new(), pending: VecDeque::new() };
    state.activate(root, &root_key, &root_key);
    if root.features.contains_key("default") {
        state.enable_feature(&root_key, "default", &root_key).map_err(|c| c.explain(&state))?;
    }

    let mut frames: Vec<Frame<'_>> = Vec::new();
    let mut first_conflict: Option<ResolveError> = None;
    let mut steps = 0;
    loop {
        let Some(edge) = state.pending.pop_front() else {
            return Ok(state.resolution());
        };
        let outcome = match state.target_of(&edge) {
            Some(target) => state.pass_features(&edge, &target, &root_key),
            None => match state.candidates(registry, &edge) {
                Ok(candidates) => {
                    let newest = candidates[0];
                    if candidates.len() > 1 {
                        frames.push(Frame { state: state.clone(), edge: edge.clone(), candidates, next: 1 });
                    }
                    state.choose(newest, &edge, &root_key)
                }
                Err(conflict) => Err(conflict),
            },
        };
        steps += 1;
        let Err(conflict) = outcome else { continue };
        first_conflict.get_or_insert_with(|| conflict.explain(&state));
        // Back up to the newest choice with an alternative left, and take it.
        loop {
            if steps > MAX_STEPS {
                return Err(ResolveError::TooManySteps(MAX_STEPS));
            }
            let Some(frame) = frames.last_mut() else {
                return Err(first_conflict.expect("a conflict was recorded"));
            };
            let Some(&candidate) = frame.candidates.get(frame.next) else {
                frames.pop();
                continue;
            };
            frame.next += 1;
            steps += 1;
            state = frame.state.clone();
            let edge = frame.edge.clone();
            if state.choose(candidate, &edge, &root_key).is_ok() {
                break;
            }
        }
    }
}

impl<'r> State<'r> {
    fn active_mut(&mut self, key: &Key) -> &mut Active<'r> {
        Rc::make_mut(self.active.get_mut(key).expect("the package is active"))
    }

    fn summary(&self, key: &Key) -> &'r Summary {
        self.active[key].summary
    }

    fn target_of(&self, (key, dep): &(Key, usize)) -> Option<Key> {
        self.active[key].targets.get(dep).cloned()
    }

    /// The versions `edge` may resolve to, newest first.
    fn candidates<R: Registry + ?Sized>(
        &self,
        registry: &'r R,
        edge: &(Key, usize),
    ) -> Result<Vec<&'r Summary>, Conflict<'r>> {
        let dependent = self.summary(&edge.0);
        let dep = &dependent.dependencies[edge.1];
        let published = registry.versions(&dep.package);
        if published.is_empty() {
            return Err(Conflict::Missing { edge: edge.clone() });
        }
        let mut matching: Vec<&Summary> =
            published.iter().filter(|s| !s.yanked && dep.req.matches(&s.version)).collect();
        if matching.is_empty() {
            let yanked = published.iter().any(|s| s.yanked && dep.req.matches(&s.version));
            return Err(Conflict::NoMatch { edge: edge.clone(), yanked, newest: newest(published) });
        }
        matching.sort_unstable_by_key(|s| Reverse(&s.version));
        // The versions of this package already in the graph, one per compatible range.
        let first = (dep.package.clone(), Compat(0, 0, 0));
        let selected: Vec<(Compat, &Version)> = self
            .active
            .range(first..)
            .take_while(|((name, _), _)| *name == dep.package)
            .map(|((_, compat), active)| (*compat, &active.summary.version))
            .collect();
        let mut clash = None;
        let valid: Vec<&Summary> = matching
            .into_iter()
            .filter(|s| {
                let range = compat(&s.version);
                if let Some((_, version)) = selected.iter().find(|(c, _)| *c == range) {
                    let same = **version == s.version;
                    if !same {
                        clash.get_or_insert(Conflict::Clash { edge: edge.clone(), selected: key_of(s) });
                    }
                    return same;
                }
                match s.links.as_ref().and_then(|l| self.links.get(l)) {
                    Some(holder) if *holder != key_of(s) => {
                        clash.get_or_insert(Conflict::Links { candidate: s, holder: holder.clone() });
                        false
                    }
                    _ => true,
                }
            })
            .collect();
        if valid.is_empty() {
            return Err(clash.expect("every candidate was refused for a reason"));
        }
        Ok(valid)
    }

    /// Resolves `edge` to `candidate`, activating it unless its slot already holds it.
    fn choose(
        &mut self,
        candidate: &'r Summary,
        edge: &(Key, usize),
        root: &Key,
    ) -> Result<(), Conflict<'r>> {
        let key = key_of(candidate);
        if !self.active.contains_key(&key) {
            self.activate(candidate, &key, root);
        }
        self.active_mut(&edge.0).targets.insert(edge.1, key.clone());
        self.pass_features(edge, &key, root)
    }

    fn activate(&mut self, summary: &'r Summary, key: &Key, root: &Key) {
        if let Some(links) = &summary.links {
            self.links.insert(links.clone(), key.clone());
        }
        self.active.insert(
            key.clone(),
            Rc::new(Active {
                summary,
                features: BTreeSet::new(),
                enabled: BTreeSet::new(),
                dep_features: BTreeMap::new(),
                targets: BTreeMap::new(),
            }),
        );
        for (i, dep) in summary.dependencies.iter().enumerate() {
            if !dep.optional && considered(dep.kind, key, root) {
                self.enable_dependency(key, i);
            }
        }
    }

    /// Passes the features `edge` asks for on to its target.
    fn pass_features(&mut self, edge: &(Key, usize), target: &Key, root: &Key) -> Result<(), Conflict<'r>> {
        let active = &self.active[&edge.0];
        let dep = &active.summary.dependencies[edge.1];
        let mut wanted: Vec<String> = dep.features.clone();
        wanted.extend(active.dep_features.get(&edge.1).into_iter().flatten().cloned());
        if dep.default_features {
            wanted.push("default".to_owned());
        }
        for feature in wanted {
            self.enable_feature(target, &feature, root)?;
        }
        Ok(())
    }

    fn enable_dependency(&mut self, key: &Key, dep: usize) {
        let active = self.active_mut(key);
        if active.enabled.insert(dep) || active.targets.contains_key(&dep) {
            self.pending.push_back((key.clone(), dep));
        }
    }

    /// Turns on `feature` of the package in `key`, and whatever it implies.
    fn enable_feature(&mut self, key: &Key, feature: &str, root: &Key) -> Result<(), Conflict<'r>> {
        let summary = self.summary(key);
        let deps_named = |name: &str| -> Vec<usize> {
            summary
                .dependencies
                .iter()
                .enumerate()
                .filter(|(_, d)| d.name == name && considered(d.kind, key, root))
                .map(|(i, _)| i)
                .collect()
        };
        if let Some((dep, dep_feature)) = feature.split_once('/') {
            // A weak `dep?/feature` brings the dependency in too: like cargo's, this is the
            // lockfile's resolution, which holds everything any build might use; only the
            // later per-build feature pass leaves weak dependencies out.
            let dep = dep.strip_suffix('?').unwrap_or(dep);
            let deps = deps_named(dep);
            if deps.is_empty() {
                // Naming a development dependency is fine, and means nothing outside the root.
                if summary.dependencies.iter().any(|d| d.name == dep) {
                    return Ok(());
                }
                return Err(Conflict::UnknownFeature { package: key.clone(), feature: feature.to_owned() });
            }
            for i in deps {
                let active = self.active_mut(key);
                active.dep_features.entry(i).or_default().insert(dep_feature.to_owned());
                self.enable_dependency(key, i);
            }
            return Ok(());
        }
        if let Some(dep) = feature.strip_prefix("dep:") {
            for i in deps_named(dep) {
                self.enable_dependency(key, i);
            }
            return Ok(());
        }
        if !self.active_mut(key).features.insert(feature.to_owned()) {
            return Ok(());
        }
        if let Some(implied) = summary.features.get(feature) {
            for f in implied {
                self.enable_feature(key, f, root)?;
            }
            return Ok(());
        }
        // An optional dependency is a feature of its own name, unless `dep:` hides it.
        let hidden = summary.features.values().flatten().any(|f| f.strip_prefix("dep:") == Some(feature));
        let deps: Vec<usize> =
            deps_named(feature).into_iter().filter(|&i| summary.dependencies[i].optional).collect();
        if !deps.is_empty() && !hidden {
            for i in deps {
                self.enable_dependency(key, i);
            }
            Ok(())
        } else if feature == "default" {
            Ok(())
        } else {
            Err(Conflict::UnknownFeature { package: key.clone(), feature: feature.to_owned() })
        }
    }

    fn resolution(&self) -> Resolution {
        let id = |s: &Summary| PackageId { name: s.name.clone(), version: s.version.clone() };
        let mut resolution = Resolution::default();
        for active in self.active.values() {
            let mut dependencies: Vec<PackageId> =
                active.targets.values().map(|key| id(self.active[key].summary)).collect();
            dependencies.sort();
            dependencies.dedup();
            resolution.packages.insert(
                id(active.summary),
                ResolvedPackage { dependencies, checksum: active.summary.checksum },
            );
        }
        resolution
    }

    /// Who depends on the package in `key`, and with what requirement.
    fn dependents(&self, key: &Key) -> Vec<(&'r Summary, &'r super::Dependency)> {
        let mut out = Vec::new();
        for active in self.active.values() {
            for (&i, target) in &active.targets {
                if target == key {
                    out.push((active.summary, &active.summary.dependencies[i]));
                }
            }
        }
        out
    }

    fn edge(&self, (key, dep): &(Key, usize)) -> (&'r Summary, &'r super::Dependency) {
        let summary = self.summary(key);
        (summary, &summary.dependencies[*dep])
    }

    fn selected(&self, key: &Key) -> &'r Summary {
        self.summary(key)
    }
}

/// Development dependencies count for the root only.
fn considered(kind: DependencyKind, key: &Key, root: &Key) -> bool {
    kind != DependencyKind::Development || key == root
}

fn newest(published: &[Summary]) -> Option<Version> {
    published.iter().filter(|s| !s.yanked).map(|s| s.version.clone()).max()
}

/// A conflict as the search meets it, explained against the state it arose in.
#[derive(Debug, Clone)]
enum Conflict<'r> {
    Missing { edge: (Key, usize) },
    NoMatch { edge: (Key, usize), yanked: bool, newest: Option<Version> },
    Clash { edge: (Key, usize), selected: Key },
    Links { candidate: &'r Summary, holder: Key },
    UnknownFeature { package: Key, feature: String },
}

fn id(s: &Summary) -> String {
    alloc::format!("{} {}", s.name, s.version)
}

impl<'r> Conflict<'r> {
    fn explain(&self, state: &State<'r>) -> ResolveError {
        match self {
            Conflict::Missing { edge } => {
                let (dependent, dep) = state.edge(edge);
                ResolveError::Missing { name: dep.package.clone(), required_by: id(dependent) }
            }
            Conflict::NoMatch { edge, yanked, newest } => {
                let (dependent, dep) = state.edge(edge);
                ResolveError::NoMatch {
                    name: dep.package.clone(),
                    req: dep.req.to_string(),
                    required_by: id(dependent),
                    only_yanked: *yanked,
                    newest: newest.as_ref().map(ToString::to_string),
                }
            }
            Conflict::Clash { edge, selected } => {
                let (dependent, dep) = state.edge(edge);
                let holders: Vec<String> = state
                    .dependents(selected)
                    .iter()
                    .map(|(who, d)| alloc::format!("{} (which requires {} {})", id(who), d.package, d.req))
                    .collect();
                ResolveError::Clash {
                    name: dep.package.clone(),
                    req: dep.req.to_string(),
                    required_by: id(dependent),
                    selected: state.selected(selected).version.to_string(),
                    selected_for: holders.join(" and "),
                }
            }
            Conflict::Links { candidate, holder } => ResolveError::Links {
                links: candidate.links.clone().unwrap_or_default(),
                candidate: id(candidate),
                holder: id(state.selected(holder)),
            },
            Conflict::UnknownFeature { package, feature } => ResolveError::UnknownFeature {
                package: id(state.selected(package)),
                feature: feature.clone(),
            },
        }
    }
}
