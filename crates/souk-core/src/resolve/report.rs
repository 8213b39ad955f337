//! Why a resolution failed, in words that name the packages and requirements that clash.

use alloc::string::String;

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
    #[error("{package} declares invalid features, so it cannot be resolved")]
    InvalidFeatures { package: String },
    #[error("{package} has a cyclic feature: `{feature}` enables itself")]
    FeatureCycle { package: String, feature: String },
    #[error("{required_by} requires {name} {req}, but no matching version fits with the rest of the graph")]
    NoFit { name: String, req: String, required_by: String },
    #[error(
        "gave up after {0} activations without a resolution: a safety budget far beyond any real graph \
         (real graphs take a few thousand at most), so this registry is likely hostile"
    )]
    Budget(usize),
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
