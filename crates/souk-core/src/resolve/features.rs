//! Features as cargo reads them: a package's feature map (with the implicit feature of each
//! optional dependency that no `dep:` hides), checked as cargo checks it when it loads an
//! index line, and what one request of features turns on.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use super::{DependencyKind, Summary};

/// One value of a feature's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FeatureValue<'r> {
    /// Another feature of the same package (or an optional dependency's implicit one).
    Feature(&'r str),
    /// `dep:name`: the optional dependency, without a feature of its name.
    Dep(&'r str),
    /// `name/feature`, or weak `name?/feature`.
    DepFeature { dep: &'r str, feature: &'r str, weak: bool },
}

impl<'r> FeatureValue<'r> {
    fn parse(value: &'r str) -> Self {
        match value.split_once('/') {
            Some((dep, feature)) => match dep.strip_suffix('?') {
                Some(dep) => FeatureValue::DepFeature { dep, feature, weak: true },
                None => FeatureValue::DepFeature { dep, feature, weak: false },
            },
            None => match value.strip_prefix("dep:") {
                Some(dep) => FeatureValue::Dep(dep),
                None => FeatureValue::Feature(value),
            },
        }
    }
}

pub(crate) type FeatureMap<'r> = BTreeMap<&'r str, Vec<FeatureValue<'r>>>;

/// Whether cargo would take `summary`'s features (as it checks them when it reads an index
/// line): every value names a feature, an optional dependency's implicit feature or a
/// dependency as its form allows, and every optional dependency is named somewhere.
pub(crate) fn valid(summary: &Summary) -> bool {
    let values: Vec<FeatureValue<'_>> =
        summary.features.values().flatten().map(|v| FeatureValue::parse(v)).collect();
    let hidden = hidden(&values);
    // Each dependency name with whether it is optional, sorted so a name's last entry says
    // whether any dependency of that name is; lookups stay logarithmic however long a
    // hostile line's lists are.
    let mut deps: Vec<(&str, bool)> =
        summary.dependencies.iter().map(|d| (d.name.as_str(), d.optional)).collect();
    deps.sort_unstable();
    let dep = |name: &str| {
        let end = deps.partition_point(|(n, _)| *n <= name);
        deps[..end].last().filter(|(n, _)| *n == name).map(|(_, optional)| *optional)
    };
    let implicit = |name: &str| dep(name) == Some(true) && has_implicit(summary, &hidden, name);
    let value_ok = |value: &FeatureValue<'_>| match *value {
        FeatureValue::Feature(f) => summary.features.contains_key(f) || implicit(f),
        FeatureValue::Dep(d) => dep(d) == Some(true),
        FeatureValue::DepFeature { dep: d, feature, weak } => {
            !feature.contains('/')
                && !d.starts_with("dep:")
                && dep(d).is_some_and(|optional| optional || !weak)
        }
    };
    // The dependencies some value enables, sorted.
    let mut enabled: Vec<&str> = values
        .iter()
        .filter_map(|v| match v {
            FeatureValue::Dep(d) | FeatureValue::DepFeature { dep: d, .. } => Some(*d),
            FeatureValue::Feature(_) => None,
        })
        .collect();
    enabled.sort_unstable();
    let named = |name: &str| implicit(name) || enabled.binary_search(&name).is_ok();
    values.iter().all(value_ok) && summary.dependencies.iter().filter(|d| d.optional).all(|d| named(&d.name))
}

/// `summary`'s features with the implicit one of each optional dependency that neither a
/// feature of its name nor a `dep:` replaces.
pub(crate) fn feature_map(summary: &Summary) -> FeatureMap<'_> {
    let mut map: FeatureMap<'_> = summary
        .features
        .iter()
        .map(|(name, values)| (name.as_str(), values.iter().map(|v| FeatureValue::parse(v)).collect()))
        .collect();
    let hidden = hidden(&map.values().flatten().copied().collect::<Vec<_>>());
    for dep in summary.dependencies.iter().filter(|d| d.optional) {
        let name = dep.name.as_str();
        if has_implicit(summary, &hidden, name) {
            map.insert(name, alloc::vec![FeatureValue::Dep(name)]);
        }
    }
    map
}

/// The dependencies a `dep:` value names, sorted.
fn hidden<'r>(values: &[FeatureValue<'r>]) -> Vec<&'r str> {
    let mut hidden: Vec<&str> = values
        .iter()
        .filter_map(|v| match v {
            FeatureValue::Dep(dep) => Some(*dep),
            _ => None,
        })
        .collect();
    hidden.sort_unstable();
    hidden
}

/// Whether an optional dependency called `name` has an implicit feature of its name: not
/// when a feature of that name or a `dep:` (`hidden`, sorted) takes its place.
fn has_implicit(summary: &Summary, hidden: &[&str], name: &str) -> bool {
    !summary.features.contains_key(name) && hidden.binary_search(&name).is_err()
}

/// A request of features that a package cannot meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FeatureError<'r> {
    /// No such feature (nor an optional dependency's implicit one).
    Missing(&'r str),
    /// A `dep/feature` of the root names no dependency.
    MissingDependency(&'r str),
    /// A feature that lists itself.
    Cycle(&'r str),
}

/// What a request turns on in a package: its features, and each dependency it enables
/// with the features asked of it (`dep/feature`).
#[derive(Debug, Default)]
pub(crate) struct Requirements<'r> {
    pub features: BTreeSet<&'r str>,
    pub deps: BTreeMap<&'r str, BTreeSet<&'r str>>,
}

impl<'r> Requirements<'r> {
    /// `features` of `summary` (every feature for the root), then `default` when asked
    /// for and present.
    pub fn of(
        summary: &'r Summary,
        map: &FeatureMap<'r>,
        features: impl IntoIterator<Item = &'r str>,
        uses_default: bool,
    ) -> Result<Self, FeatureError<'r>> {
        let mut reqs = Requirements::default();
        for feature in features {
            reqs.feature(summary, map, feature)?;
        }
        if uses_default && map.contains_key("default") {
            reqs.feature(summary, map, "default")?;
        }
        Ok(reqs)
    }

    /// Turns on `first` and everything it implies, depth first as cargo does (so the same
    /// error is met first), on a stack of its own: a registry's chain of features, each
    /// naming the next, is as long as it likes and must not exhaust the call stack.
    fn feature<'m>(
        &mut self,
        summary: &'r Summary,
        map: &'m FeatureMap<'r>,
        first: &'r str,
    ) -> Result<(), FeatureError<'r>> {
        let mut stack: Vec<(&'r str, &'m [FeatureValue<'r>])> = Vec::new();
        self.enter(map, first, &mut stack)?;
        while let Some((feature, values)) = stack.last_mut() {
            let (feature, Some((value, rest))) = (*feature, values.split_first()) else {
                stack.pop();
                continue;
            };
            *values = rest;
            match *value {
                FeatureValue::Feature(f) if f == feature => return Err(FeatureError::Cycle(feature)),
                FeatureValue::Feature(f) => self.enter(map, f, &mut stack)?,
                FeatureValue::Dep(dep) => drop(self.deps.entry(dep).or_default()),
                FeatureValue::DepFeature { dep, feature: f, weak } => {
                    // A strong `dep/feature` on an optional dependency also turns on the
                    // dependency's implicit feature, where `dep:` did not hide it. A weak
                    // one brings the dependency in too: this is the lockfile's resolution,
                    // which holds everything any build might use.
                    let optional = summary.dependencies.iter().any(|d| d.name == dep && d.optional);
                    if !weak && optional && map.contains_key(dep) {
                        self.enter(map, dep, &mut stack)?;
                    }
                    self.deps.entry(dep).or_default().insert(f);
                }
            }
        }
        Ok(())
    }

    /// Turns on `feature`, and if it is new, queues what it implies.
    fn enter<'m>(
        &mut self,
        map: &'m FeatureMap<'r>,
        feature: &'r str,
        stack: &mut Vec<(&'r str, &'m [FeatureValue<'r>])>,
    ) -> Result<(), FeatureError<'r>> {
        if self.features.insert(feature) {
            let values = map.get(feature).ok_or(FeatureError::Missing(feature))?;
            stack.push((feature, values));
        }
        Ok(())
    }
}

/// Development dependencies count for the root only.
pub(crate) fn considered(kind: DependencyKind, root: bool) -> bool {
    kind != DependencyKind::Development || root
}
