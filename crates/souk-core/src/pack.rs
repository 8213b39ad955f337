//! The pack model: one published version of a pack, and the manifest it comes from.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use semver::{Version, VersionReq};

use crate::name::{NameRule, check_name, eq_folded};

/// A SHA-256 digest or an ed25519 public key: the 32-byte values a record carries.
pub type Digest = [u8; 32];

/// One version of a pack, as the index holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PackVersion {
    pub name: String,
    pub version: Version,
    pub description: String,
    pub tags: Vec<String>,
    /// Empty when the pack names none.
    pub category: String,
    pub license: String,
    pub authors: Vec<String>,
    /// Empty when the pack names none.
    pub homepage: String,
    pub dependencies: Vec<Dependency>,
    pub downloads: u64,
    pub stars: u32,
    /// Seconds since the Unix epoch; given by the caller, the core has no clock.
    pub published: u64,
    /// The ed25519 key that signed the record; `None` for imported metadata.
    pub publisher: Option<Digest>,
    /// SHA-256 of the pack body (see [`crate::body`]); `None` for imported metadata.
    pub content_hash: Option<Digest>,
}

/// A digest or key as lower-case hex, as people and lockfiles read it.
pub fn to_hex(bytes: &Digest) -> String {
    bytes.iter().map(|b| alloc::format!("{b:02x}")).collect()
}

/// Reads [`to_hex`]'s output (either case); `None` unless it is exactly 64 hex digits.
pub fn from_hex(hex: &str) -> Option<Digest> {
    let mut out = [0u8; 32];
    if hex.len() != 64 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// A dependency on another pack.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Dependency {
    pub name: String,
    pub req: VersionReq,
}

/// What a publisher writes in `souk.toml`, before validation. The core does not parse TOML:
/// the shells deserialize into this and call [`Manifest::validate`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize), serde(deny_unknown_fields))]
pub struct Manifest {
    pub name: String,
    pub version: String,
    pub description: String,
    #[cfg_attr(feature = "serde", serde(default))]
    pub tags: Vec<String>,
    #[cfg_attr(feature = "serde", serde(default))]
    pub category: String,
    pub license: String,
    #[cfg_attr(feature = "serde", serde(default))]
    pub authors: Vec<String>,
    #[cfg_attr(feature = "serde", serde(default))]
    pub homepage: String,
    /// Pack name to semver requirement (cargo syntax: `1.2` means `^1.2`). `souk.toml`
    /// keeps these in their own `[dependencies]` table, so serde leaves them out here.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub dependencies: BTreeMap<String, String>,
}

/// Limits a published manifest must keep.
pub mod limits {
    pub const DESCRIPTION_LEN: usize = 1000;
    pub const TAGS: usize = 10;
    pub const TAG_LEN: usize = 32;
    pub const LICENSE_LEN: usize = 128;
    pub const AUTHORS: usize = 20;
    pub const AUTHOR_LEN: usize = 128;
    pub const HOMEPAGE_LEN: usize = 256;
    pub const DEPENDENCIES: usize = 256;
}

/// The manifest field a [`ValidationError`] is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Name,
    Version,
    Description,
    Tags,
    Tag(String),
    Category,
    License,
    Authors,
    Author(String),
    Homepage,
    Dependencies,
    Dependency(String),
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Name => f.write_str("name"),
            Field::Version => f.write_str("version"),
            Field::Description => f.write_str("description"),
            Field::Tags => f.write_str("tags"),
            Field::Tag(t) => write!(f, "tag {t:?}"),
            Field::Category => f.write_str("category"),
            Field::License => f.write_str("license"),
            Field::Authors => f.write_str("authors"),
            Field::Author(a) => write!(f, "author {a:?}"),
            Field::Homepage => f.write_str("homepage"),
            Field::Dependencies => f.write_str("dependencies"),
            Field::Dependency(d) => write!(f, "dependency {d:?}"),
        }
    }
}

/// The rule a field breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rule {
    #[error("{0}")]
    Name(NameRule),
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {0} characters long")]
    TooLong(usize),
    #[error("may have at most {0} entries")]
    TooMany(usize),
    #[error("may contain only ASCII letters, digits, `-`, `_` and `+`, starting with a letter or digit")]
    Keyword,
    #[error("must be an http:// or https:// URL without spaces")]
    NotHttpUrl,
    /// The parser's own words: `semver::Error` is neither `Clone` nor `Eq`.
    #[error("is not a semver version: {0}")]
    Version(String),
    #[error("is not a semver requirement: {0}")]
    Requirement(String),
    #[error("a pack cannot depend on itself")]
    SelfDependency,
}

/// One broken rule, naming the field: `name "1abc": must start with an ASCII letter`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct ValidationError {
    pub field: Field,
    pub rule: Rule,
}

/// Every rule a manifest breaks, so a form can mark all its fields at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub Vec<ValidationError>);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl core::error::Error for Invalid {}

impl Manifest {
    /// Checks every field and returns the pack version it describes. Downloads, stars,
    /// publication time, key and hash are left for the publisher's shell to fill in.
    pub fn validate(&self) -> Result<PackVersion, Invalid> {
        let mut errors = Vec::new();
        let mut fail = |field: Field, rule: Rule| errors.push(ValidationError { field, rule });

        if let Err(rule) = check_name(&self.name) {
            fail(Field::Name, Rule::Name(rule));
        }
        let version = Version::parse(&self.version)
            .map_err(|e| fail(Field::Version, Rule::Version(e.to_string())))
            .ok();
        check_text(&mut fail, Field::Description, &self.description, limits::DESCRIPTION_LEN, true);
        check_text(&mut fail, Field::License, &self.license, limits::LICENSE_LEN, true);
        if self.tags.len() > limits::TAGS {
            fail(Field::Tags, Rule::TooMany(limits::TAGS));
        }
        for tag in &self.tags {
            check_keyword(&mut fail, Field::Tag(tag.clone()), tag);
        }
        if !self.category.is_empty() {
            check_keyword(&mut fail, Field::Category, &self.category);
        }
        if self.authors.len() > limits::AUTHORS {
            fail(Field::Authors, Rule::TooMany(limits::AUTHORS));
        }
        for author in &self.authors {
            check_text(&mut fail, Field::Author(author.clone()), author, limits::AUTHOR_LEN, true);
        }
        if !self.homepage.is_empty() {
            let scheme_ok = self.homepage.starts_with("https://") || self.homepage.starts_with("http://");
            if !scheme_ok || self.homepage.contains(char::is_whitespace) {
                fail(Field::Homepage, Rule::NotHttpUrl);
            } else if self.homepage.len() > limits::HOMEPAGE_LEN {
                fail(Field::Homepage, Rule::TooLong(limits::HOMEPAGE_LEN));
            }
        }
        if self.dependencies.len() > limits::DEPENDENCIES {
            fail(Field::Dependencies, Rule::TooMany(limits::DEPENDENCIES));
        }
        let mut dependencies = Vec::with_capacity(self.dependencies.len());
        for (name, req) in &self.dependencies {
            let field = || Field::Dependency(name.clone());
            if let Err(rule) = check_name(name) {
                fail(field(), Rule::Name(rule));
            } else if eq_folded(name, &self.name) {
                fail(field(), Rule::SelfDependency);
            }
            match VersionReq::parse(req) {
                Ok(req) => dependencies.push(Dependency { name: name.clone(), req }),
                Err(e) => fail(field(), Rule::Requirement(e.to_string())),
            }
        }

        match version {
            Some(version) if errors.is_empty() => Ok(PackVersion {
                name: self.name.clone(),
                version,
                description: self.description.clone(),
                tags: self.tags.clone(),
                category: self.category.clone(),
                license: self.license.clone(),
                authors: self.authors.clone(),
                homepage: self.homepage.clone(),
                dependencies,
                downloads: 0,
                stars: 0,
                published: 0,
                publisher: None,
                content_hash: None,
            }),
            _ => Err(Invalid(errors)),
        }
    }
}

fn check_text(fail: &mut impl FnMut(Field, Rule), field: Field, text: &str, max: usize, required: bool) {
    if required && text.trim().is_empty() {
        fail(field, Rule::Empty);
    } else if text.chars().count() > max {
        fail(field, Rule::TooLong(max));
    }
}

/// Tags and categories: short ASCII keywords, as crates.io has them.
fn check_keyword(fail: &mut impl FnMut(Field, Rule), field: Field, word: &str) {
    let starts_well = word.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    let chars_ok = word.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+'));
    if !starts_well || !chars_ok {
        fail(field, Rule::Keyword);
    } else if word.len() > limits::TAG_LEN {
        fail(field, Rule::TooLong(limits::TAG_LEN));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn manifest() -> Manifest {
        Manifest {
            name: "axum-service".into(),
            version: "1.2.0".into(),
            description: "An axum web service".into(),
            tags: vec!["rust".into(), "web".into()],
            category: "service".into(),
            license: "MIT OR Apache-2.0".into(),
            authors: vec!["Souk <team@souk.dev>".into()],
            homepage: "https://souk.dev".into(),
            dependencies: [("rust-ci".to_string(), "1".to_string())].into(),
        }
    }

    #[test]
    fn a_good_manifest_becomes_a_pack_version() {
        let pack = manifest().validate().unwrap();
        assert_eq!(pack.version, Version::new(1, 2, 0));
        assert_eq!(pack.dependencies[0].name, "rust-ci");
        assert_eq!(pack.dependencies[0].req, VersionReq::parse("^1").unwrap());
    }

    #[test]
    fn every_broken_rule_is_reported_with_its_field() {
        let bad = Manifest {
            name: "1axum".into(),
            version: "1.2".into(),
            description: " ".into(),
            tags: vec!["ok".into(), "no spaces".into()],
            homepage: "ftp://x".into(),
            dependencies: [("1axum".to_string(), "1".to_string()), ("serde".to_string(), ">>1".to_string())]
                .into(),
            ..manifest()
        };
        let Invalid(errors) = bad.validate().unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.to_string()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "version",
                "description",
                "tag \"no spaces\"",
                "homepage",
                "dependency \"1axum\"",
                "dependency \"serde\"",
            ]
        );
        assert_eq!(errors[0].to_string(), "name: must start with an ASCII letter");
        assert!(matches!(&errors[1].rule, Rule::Version(m) if m.contains("unexpected end of input")));
        assert_eq!(errors[2].rule, Rule::Empty);
        assert_eq!(errors[4].rule, Rule::NotHttpUrl);
        assert_eq!(errors[5].rule, Rule::Name(NameRule::MustStartWithLetter));
        assert!(matches!(&errors[6].rule, Rule::Requirement(_)));
    }

    #[test]
    fn a_pack_cannot_depend_on_itself_under_another_spelling() {
        let bad =
            Manifest { dependencies: [("Axum_Service".to_string(), "1".to_string())].into(), ..manifest() };
        let Invalid(errors) = bad.validate().unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].to_string(), "dependency \"Axum_Service\": a pack cannot depend on itself");
    }

    #[test]
    fn limits_are_enforced() {
        let bad = Manifest {
            tags: (0..11).map(|i| alloc::format!("t{i}")).collect(),
            description: "x".repeat(limits::DESCRIPTION_LEN + 1),
            ..manifest()
        };
        let Invalid(errors) = bad.validate().unwrap_err();
        assert_eq!(errors[0].to_string(), "description: must be at most 1000 characters long");
        assert_eq!(errors[1].to_string(), "tags: may have at most 10 entries");
    }
}
