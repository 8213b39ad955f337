//! The demo registry: real template packs compiled in from `registry/demo/`, the default
//! registry wherever no other is given.

use souk_core::body::PackFile;
use souk_core::{Index, IndexBuilder};

use crate::{LocalPack, PackError};

/// When the demo packs count as published: 2026-01-01T00:00:00Z.
pub const PUBLISHED: u64 = 1_767_225_600;

/// `(path under registry/demo, contents)`, sorted by path.
const FILES: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/demo_files.rs"));

/// Every demo pack, in name order.
pub fn packs() -> Result<Vec<LocalPack>, PackError> {
    let mut packs = Vec::new();
    let mut rest = FILES;
    while let Some((first, _)) = rest.first() {
        let folder = first.split('/').next().unwrap_or_default();
        let prefix = format!("{folder}/");
        let len = rest.iter().take_while(|(p, _)| p.starts_with(&prefix)).count();
        let files = rest[..len]
            .iter()
            .map(|(path, bytes)| PackFile { path: path[prefix.len()..].into(), contents: bytes.to_vec() })
            .collect();
        packs.push(LocalPack::from_files(files, PUBLISHED)?);
        rest = &rest[len..];
    }
    Ok(packs)
}

/// The demo registry as an index.
pub fn index() -> Index {
    let mut builder = IndexBuilder::default();
    for pack in packs().expect("the demo registry is valid: its test checks every pack") {
        builder.push(pack.version);
    }
    builder.build().expect("demo pack versions are distinct")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_demo_pack_is_valid_and_its_dependencies_exist() {
        let packs = packs().unwrap();
        assert!(packs.len() >= 20, "only {} demo packs", packs.len());
        let index = index();
        for pack in &packs {
            for dep in &pack.version.dependencies {
                let target = index.latest(&dep.name);
                assert!(target.is_some(), "{} depends on missing {}", pack.version.name, dep.name);
                let version = semver::Version::parse(target.unwrap().version()).unwrap();
                assert!(dep.req.matches(&version), "{} needs {} {}", pack.version.name, dep.name, dep.req);
            }
        }
    }

    #[test]
    fn demo_packs_carry_their_manifest_and_a_content_hash() {
        for pack in packs().unwrap() {
            let files = souk_core::body::decode(&pack.body).unwrap();
            assert!(files.iter().any(|f| f.path == crate::MANIFEST_FILE));
            assert!(files.len() >= 2, "{} has no template files", pack.version.name);
            assert_eq!(pack.version.content_hash, Some(souk_core::body::content_hash(&pack.body)));
        }
    }
}
