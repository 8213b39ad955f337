//! What a pack's `souk.toml` says about generating from it: its variables (`[[variables]]`,
//! asked in the order written) and how its files are treated (`[template]`).

use std::collections::BTreeMap;

use serde::Deserialize;

/// Names every template may use without declaring them.
pub const BUILTINS: &[&str] = &["name", "name_snake", "name_kebab", "name_pascal", "year", "author"];

/// A pack's generation settings: the `[[variables]]` and `[template]` of its `souk.toml`
/// ([`crate::manifest::parse_pack_manifest`] reads the rest).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Spec {
    #[serde(default)]
    pub variables: Vec<Variable>,
    #[serde(default)]
    pub template: Files,
}

/// Why a `souk.toml`'s generation settings were refused.
#[derive(Debug)]
pub(crate) enum SpecError {
    Toml(toml::de::Error),
    Invalid(String),
}

/// How a pack's files become the project's: globs over paths in the pack (`*` within a
/// folder, `**` across folders).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Files {
    /// Copied byte for byte, never rendered: binaries, and files that carry another tool's
    /// `{{ }}` (GitHub Actions' `${{ matrix.os }}`). Their paths are still rendered.
    #[serde(default)]
    pub verbatim: Vec<String>,
    /// Part of the pack, never of a project (its own README, fixtures).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Files generated only where an expression over the answers holds
    /// (`"Dockerfile" = "docker"`, `"docs/**" = "license != 'MIT'"`).
    #[serde(default)]
    pub when: BTreeMap<String, String>,
    /// How this pack's file joins one a pack it depends on wrote at the same path.
    #[serde(default)]
    pub merge: BTreeMap<String, Merge>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Merge {
    /// After the other's text, on a line of its own (`.gitignore`, `.editorconfig`).
    Append,
    /// Instead of the other's.
    Replace,
}

/// One question a pack asks.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: Kind,
    /// One line shown with the question.
    #[serde(default)]
    pub help: String,
    /// A string default is a template over the built-ins and the variables before it
    /// (`"A tool called {{ name }}"`); a bool or integer one is a literal.
    #[serde(default)]
    pub default: Option<toml::Value>,
    /// The allowed answers of a `choice`.
    #[serde(default)]
    pub choices: Vec<String>,
    /// A regular expression the whole answer must match (a `string`).
    #[serde(default)]
    pub pattern: Option<String>,
    /// Bounds of an `integer`, or of a `string`'s length in characters.
    #[serde(default)]
    pub min: Option<i64>,
    #[serde(default)]
    pub max: Option<i64>,
    /// An expression over earlier answers: when it is false the question is not asked and
    /// its default stands.
    #[serde(default)]
    pub when: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    String,
    Bool,
    Integer,
    Choice,
}

impl Spec {
    /// The settings in a `souk.toml`'s text, checked ([`Spec::check`]).
    pub(crate) fn parse(text: &str) -> Result<Spec, SpecError> {
        let spec: Spec = toml::from_str(text).map_err(SpecError::Toml)?;
        spec.check().map_err(SpecError::Invalid)?;
        Ok(spec)
    }

    /// Checks what needs no rendering: names, kinds, defaults of the right type, bounds,
    /// patterns that compile, relative globs.
    fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        for v in &self.variables {
            let named = |what: &str| format!("variable {:?}: {what}", v.name);
            let mut chars = v.name.chars();
            if !chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
                || !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(named("a name is lowercase letters, digits and `_`, not starting with a digit"));
            }
            if BUILTINS.contains(&v.name.as_str()) {
                return Err(named("is built in; use it without declaring it"));
            }
            if !seen.insert(&v.name) {
                return Err(named("is declared twice"));
            }
            let default_fits = matches!(
                (&v.default, v.kind),
                (None, _)
                    | (Some(toml::Value::String(_)), Kind::String | Kind::Choice)
                    | (Some(toml::Value::Boolean(_)), Kind::Bool)
                    | (Some(toml::Value::Integer(_)), Kind::Integer)
            );
            if !default_fits {
                return Err(named("its default is not of its type"));
            }
            if (v.kind == Kind::Choice) == v.choices.is_empty() {
                return Err(named("`choices` go with `type = \"choice\"`, and only there"));
            }
            if v.pattern.is_some() && v.kind != Kind::String {
                return Err(named("`pattern` is for strings"));
            }
            if let Some(pattern) = &v.pattern {
                regex_lite::Regex::new(pattern).map_err(|e| named(&format!("bad pattern: {e}")))?;
            }
            if v.min.zip(v.max).is_some_and(|(min, max)| min > max) {
                return Err(named("`min` is above `max`"));
            }
        }
        let t = &self.template;
        let globs = t.verbatim.iter().chain(&t.exclude).chain(t.when.keys()).chain(t.merge.keys());
        if let Some(glob) = globs.into_iter().find(|g| g.is_empty() || g.starts_with('/')) {
            return Err(format!("[template] {glob:?}: a glob is a relative path"));
        }
        Ok(())
    }
}

/// Whether `path` matches any of `globs`.
pub(crate) fn matches<'a>(globs: impl IntoIterator<Item = &'a String>, path: &str) -> bool {
    globs.into_iter().any(|glob| fast_glob::glob_match(glob, path))
}
