//! `souk.toml`: the manifest a publisher writes.
//!
//! ```toml
//! [pack]
//! name = "axum-service"
//! version = "1.0.0"
//! description = "An axum web service with tracing and graceful shutdown"
//! license = "MIT OR Apache-2.0"
//! tags = ["rust", "web"]        # optional
//! category = "service"          # optional
//! authors = ["Souk"]            # optional
//! homepage = "https://..."      # optional
//!
//! [dependencies]                # optional: pack name = semver requirement
//! rust-ci = "1"
//! ```
//!
//! Its `[[variables]]` and `[template]` tables say how a project is generated from the pack
//! ([`crate::template`], `docs/templates.md`).

use std::collections::BTreeMap;

use serde::Deserialize;
use souk_core::pack::Invalid;
use souk_core::{Manifest, PackVersion};

use serde::de::IgnoredAny;

use crate::template::Spec;
use crate::template::spec::SpecError;

/// The manifest's file name in a pack folder.
pub const MANIFEST_FILE: &str = "souk.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SoukToml {
    pack: Manifest,
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
    /// Generation settings: read by [`Spec::parse`] alone, so what reads a manifest for its
    /// pack (the page's peer) carries no template code.
    #[serde(default, rename = "variables")]
    _variables: Option<IgnoredAny>,
    #[serde(default, rename = "template")]
    _template: Option<IgnoredAny>,
}

/// Why a manifest was refused: its TOML, or the rules its fields break.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("not UTF-8")]
    NotUtf8,
    #[error("line {line}: {message}")]
    Toml { line: usize, message: String },
    #[error("{0}")]
    Invalid(Invalid),
    #[error("{0}")]
    Template(String),
}

/// Parses and validates `souk.toml`.
pub fn parse_manifest(text: &str) -> Result<PackVersion, ManifestError> {
    let SoukToml { mut pack, dependencies, .. } = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
    pack.dependencies = dependencies;
    pack.validate().map_err(ManifestError::Invalid)
}

/// Parses and validates `souk.toml`: the pack, and how a project is generated from it.
pub fn parse_pack_manifest(text: &str) -> Result<(PackVersion, Spec), ManifestError> {
    let pack = parse_manifest(text)?;
    let spec = Spec::parse(text).map_err(|e| match e {
        SpecError::Toml(e) => toml_error(text, &e),
        SpecError::Invalid(message) => ManifestError::Template(message),
    })?;
    Ok((pack, spec))
}

fn toml_error(text: &str, e: &toml::de::Error) -> ManifestError {
    ManifestError::Toml {
        line: e.span().map_or(1, |span| text[..span.start].matches('\n').count() + 1),
        message: e.message().trim_end().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn reads_a_full_manifest() {
        let pack = parse_manifest(
            r#"
            [pack]
            name = "axum-service"
            version = "1.0.0"
            description = "An axum service"
            license = "MIT"
            tags = ["rust", "web"]
            [dependencies]
            rust-ci = "1.2"
            "#,
        )
        .unwrap();
        assert_eq!(pack.name, "axum-service");
        assert_eq!(pack.tags, ["rust", "web"]);
        assert_eq!(pack.dependencies[0].req.to_string(), "^1.2");
    }

    #[test]
    fn names_what_is_wrong() {
        let missing = parse_manifest("[pack]\nname = \"x\"\nversion = \"1.0.0\"\n").unwrap_err();
        assert_eq!(missing.to_string(), "line 1: missing field `description`");
        let unknown = parse_manifest(
            "[pack]\nname=\"x\"\nversion=\"1.0.0\"\ndescription=\"d\"\nlicense=\"MIT\"\nlicence=\"MIT\"\n",
        )
        .unwrap_err();
        assert!(unknown.to_string().starts_with("line 6: unknown field `licence`"), "{unknown}");
        let invalid =
            parse_manifest("[pack]\nname=\"9lives\"\nversion=\"one\"\ndescription=\"d\"\nlicense=\"MIT\"\n")
                .unwrap_err();
        assert_eq!(
            invalid.to_string(),
            "name: must start with an ASCII letter; version: is not a semver version: unexpected character 'o' while parsing major version number"
        );
    }
}
