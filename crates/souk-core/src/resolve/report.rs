//! Why a resolution failed, in words that name the packages and requirements that clash.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use semver::Version;

use super::Summary;
use super::engine::{Key, State};

/// A resolution that could not be found, explained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("no package named `{name}` exists (required by {required_by})")]
    Missing { name: String, required_by: String },
    #[error("{}", no_match(.name, .req, .required_by, *.only_yanked, .newest.as_ref()))]
    NoMatch { name: String, req: String, required_by: String, only_yanked: bool, newest: Option<String> },
    #[error(
        "{required_by} requires {name} {req}, but {name} {selected} is already selected for {selected_for}; \
         no choice of versions satisfies both"
    )]
    Clash { name: String, req: String, required_by: String, selected: String, selected_for: String },
    #[error(
        "{candidate} and {holder} both link the native library `{links}`, and a graph may hold only one \
         package per `links` value"
    )]
    Links { links: String, candidate: String, holder: String },
    #[error("{package} has no feature `{feature}`")]
    UnknownFeature { package: String, feature: String },
    #[error("gave up after {0} steps without finding a resolution")]
    TooManySteps(usize),
}

fn no_match(name: &str, req: &str, required_by: &str, only_yanked: bool, newest: Option<&String>) -> String {
    let why = match (only_yanked, newest) {
        (true, _) => alloc::format!("every version of {name} that matches {req} is yanked"),
        (false, Some(newest)) => {
            alloc::format!("no version of {name} matches {req} (the newest is {newest})")
        }
        (false, None) => alloc::format!("no version of {name} matches {req} (every version is yanked)"),
    };
    alloc::format!("{required_by} requires {name} {req}, but {why}")
}

/// A conflict as the search meets it, explained against the state it arose in.
#[derive(Debug, Clone)]
pub(super) enum Conflict<'r> {
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
    pub(super) fn explain(&self, state: &State<'r>) -> ResolveError {
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
