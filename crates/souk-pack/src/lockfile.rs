//! `souk.lock` as text, written with the `toml` crate (so any name or text is quoted as TOML
//! requires) and read back with every name, version and checksum checked.
//!
//! ```toml
//! # souk.lock: written by souk; do not edit.
//! version = 1
//!
//! [[package]]
//! name = "rust-cli"
//! version = "1.0.0"
//! checksum = "<SHA-256 of the body, hex>"
//! publisher = "<the signing key, hex>"
//! dependencies = ["editorconfig 1.0.0", "rust-ci 1.0.0"]
//! ```

use serde::{Deserialize, Serialize};
use souk_core::lockfile::LockedPackage;
use souk_core::name::check_name;

const HEADER: &str = "# souk.lock: written by souk; do not edit.\n";
/// The lockfile format this build writes and reads.
pub const LOCKFILE_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Lockfile {
    version: u32,
    #[serde(default)]
    package: Vec<LockedPackage>,
}

/// Why a lockfile was refused.
#[derive(Debug, thiserror::Error)]
pub enum LockfileError {
    #[error("souk.lock is not valid TOML: {0}")]
    Toml(String),
    #[error("souk.lock is format {0}; this souk reads format {LOCKFILE_VERSION}")]
    Version(u32),
    #[error("souk.lock locks `{name}`, whose name {rule}")]
    Name { name: String, rule: souk_core::name::NameRule },
    #[error("souk.lock locks {name} at `{version}`, which is not a semver version")]
    BadVersion { name: String, version: String },
    #[error("souk.lock gives {name} the checksum `{checksum}`, which is not 64 hex digits")]
    Checksum { name: String, checksum: String },
}

/// The `souk.lock` text for `packages`, in the order given (sorted, as
/// [`LockedPackage::all`] gives them).
pub fn to_toml(packages: &[LockedPackage]) -> String {
    let lockfile = Lockfile { version: LOCKFILE_VERSION, package: packages.to_vec() };
    let body = toml::to_string(&lockfile).expect("a lockfile is plain strings and numbers");
    format!("{HEADER}{body}")
}

/// Reads a lockfile, checking each package as any name from outside is checked.
pub fn from_toml(text: &str) -> Result<Vec<LockedPackage>, LockfileError> {
    let lockfile: Lockfile = toml::from_str(text).map_err(|e| LockfileError::Toml(e.message().to_owned()))?;
    if lockfile.version != LOCKFILE_VERSION {
        return Err(LockfileError::Version(lockfile.version));
    }
    for p in &lockfile.package {
        check_name(&p.name).map_err(|rule| LockfileError::Name { name: p.name.clone(), rule })?;
        if p.version.parse::<semver::Version>().is_err() {
            return Err(LockfileError::BadVersion { name: p.name.clone(), version: p.version.clone() });
        }
        if let Some(sum) = p.checksum.as_ref().filter(|s| souk_core::pack::from_hex(s).is_none()) {
            return Err(LockfileError::Checksum { name: p.name.clone(), checksum: sum.clone() });
        }
    }
    Ok(lockfile.package)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn package(name: &str, dependencies: &[&str]) -> LockedPackage {
        LockedPackage {
            name: name.into(),
            version: "1.0.0".into(),
            dependencies: dependencies.iter().map(|d| d.to_string()).collect(),
            ..LockedPackage::default()
        }
    }

    #[test]
    fn a_lockfile_reads_back_what_was_written() {
        let mut app = package("app", &["lib 1.0.0"]);
        app.checksum = Some("ab".repeat(32));
        let packages = vec![app, package("lib", &[])];
        let text = to_toml(&packages);
        assert!(text.starts_with("# souk.lock: written by souk; do not edit.\nversion = 1\n"), "{text}");
        assert!(text.contains("[[package]]\nname = \"app\"\nversion = \"1.0.0\"\nchecksum = "), "{text}");
        assert_eq!(from_toml(&text).unwrap(), packages);
    }

    #[test]
    fn a_lockfile_naming_a_path_or_a_broken_version_is_refused() {
        let text = to_toml(&[package("../escape", &[])]);
        assert!(matches!(from_toml(&text), Err(LockfileError::Name { .. })));
        // Any text is quoted as TOML requires: it reads back as it was.
        let text = to_toml(&[package("we\"ird\n\"\"\"", &[])]);
        let read: Lockfile = toml::from_str(&text).unwrap();
        assert_eq!(read.package[0].name, "we\"ird\n\"\"\"");
        let mut bad = package("app", &[]);
        bad.version = "1.0".into();
        assert!(matches!(from_toml(&to_toml(&[bad])), Err(LockfileError::BadVersion { .. })));
        let mut bad = package("app", &[]);
        bad.checksum = Some("zz".into());
        assert!(matches!(from_toml(&to_toml(&[bad])), Err(LockfileError::Checksum { .. })));
        assert!(matches!(from_toml("version = 9\n"), Err(LockfileError::Version(9))));
        assert!(matches!(from_toml("version = "), Err(LockfileError::Toml(_))));
    }
}
