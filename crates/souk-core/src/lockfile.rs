//! `souk.lock`: what an install or a resolution took, written the same way by the CLI and
//! the page (which calls this through the browser peer), so the same graph gives the same
//! bytes everywhere. TOML, sorted by name and version, each package with its dependencies
//! as `name version`.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write;

use crate::resolve::Resolution;

/// One package of a lockfile.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LockedPackage {
    pub name: String,
    pub version: String,
    /// Each as `name version`.
    pub dependencies: Vec<String>,
}

impl LockedPackage {
    /// Every package of a resolution, sorted.
    pub fn all(resolution: &Resolution) -> Vec<LockedPackage> {
        resolution
            .packages
            .iter()
            .map(|(id, package)| LockedPackage {
                name: id.name.clone(),
                version: id.version.to_string(),
                dependencies: package.dependencies.iter().map(ToString::to_string).collect(),
            })
            .collect()
    }
}

/// The `souk.lock` text for `packages`, in the order given (sorted, from [`LockedPackage::all`]).
pub fn souk_lock(packages: &[LockedPackage]) -> String {
    let mut out = String::from("# souk.lock: written by souk; do not edit.\nversion = 1\n");
    for package in packages {
        // Names and versions passed the manifest rules, but a lockfile read back is text:
        // quote them as TOML basic strings.
        let _ = write!(
            out,
            "\n[[package]]\nname = {}\nversion = {}\n",
            quoted(&package.name),
            quoted(&package.version)
        );
        if !package.dependencies.is_empty() {
            let deps: Vec<String> = package.dependencies.iter().map(|d| quoted(d)).collect();
            let _ = writeln!(out, "dependencies = [{}]", deps.join(", "));
        }
    }
    out
}

/// `text` as a TOML basic string.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn a_lockfile_lists_each_package_with_its_dependencies_and_escapes_text() {
        let packages = vec![
            LockedPackage {
                name: "app".into(),
                version: "1.0.0".into(),
                dependencies: vec!["lib 2.0.0".into()],
            },
            LockedPackage { name: "lib".into(), version: "2.0.0".into(), dependencies: vec![] },
            LockedPackage { name: "we\"ird\n".into(), version: "1.0.0".into(), dependencies: vec![] },
        ];
        assert_eq!(
            souk_lock(&packages),
            "# souk.lock: written by souk; do not edit.\nversion = 1\n\n\
             [[package]]\nname = \"app\"\nversion = \"1.0.0\"\ndependencies = [\"lib 2.0.0\"]\n\n\
             [[package]]\nname = \"lib\"\nversion = \"2.0.0\"\n\n\
             [[package]]\nname = \"we\\\"ird\\u000A\"\nversion = \"1.0.0\"\n"
        );
    }
}
