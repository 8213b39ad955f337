//! The catalog fed entries in any order: records and statements of a few names, versions
//! and keys, signed once up front (a fuzzer does not forge signatures), chosen and ordered
//! by the input. Whatever it takes, its index stays consistent: every entry it answers it
//! took is held, and a snapshot of it loads back to the same packs.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use souk_core::Index;
use souk_core::catalog::Catalog;
use souk_core::record::{Claim, Entry, PackRecord, Statement};

fn entries() -> &'static [Entry] {
    static ENTRIES: OnceLock<Vec<Entry>> = OnceLock::new();
    ENTRIES.get_or_init(|| {
        let keys = [[1u8; 32], [2; 32], [3; 32]];
        let public = |k: &[u8; 32]| ed25519_public(k);
        let template = souk_pack::demo::packs().expect("the demo packs load").remove(0).version;
        let mut entries = Vec::new();
        for name in ["rust-cli", "Rust_CLI", "web-app"] {
            for (v, version) in ["1.0.0", "1.1.0", "2.0.0-beta.1"].into_iter().enumerate() {
                for (k, key) in keys.iter().enumerate() {
                    let mut pack = template.clone();
                    pack.name = name.into();
                    pack.version = version.parse().expect("a valid version");
                    pack.published = (v * 10 + k) as u64;
                    pack.content_hash = Some([(v * 3 + k) as u8; 32]);
                    entries.push(PackRecord::sign(pack, key).expect("a valid pack").into());
                }
            }
            for (serial, key) in keys.iter().enumerate() {
                let claims = [
                    Claim::AddOwner(public(&keys[(serial + 1) % 3])),
                    Claim::RemoveOwner(public(&keys[serial])),
                    Claim::Yank("1.0.0".parse().expect("a valid version")),
                    Claim::Unyank("1.0.0".parse().expect("a valid version")),
                ];
                for (c, claim) in claims.into_iter().enumerate() {
                    let serial = 100 + (serial * 4 + c) as u64;
                    entries
                        .push(Statement::sign(name, claim, serial, key).expect("a valid statement").into());
                }
            }
        }
        entries
    })
}

fn ed25519_public(key: &[u8; 32]) -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(key).verifying_key().to_bytes()
}

fuzz_target!(|bytes: &[u8]| {
    let entries = entries();
    let mut catalog = Catalog::default();
    for &b in bytes.iter().take(256) {
        let entry = entries[b as usize % entries.len()].clone();
        if catalog.accept(entry.clone()).is_ok() {
            assert!(catalog.holds(&entry), "an accepted entry is held");
        }
    }
    let packs = catalog.index().len();
    catalog.compact();
    let index = Index::from_snapshot(catalog.base()).expect("a compacted base loads");
    assert_eq!(index.len(), packs);
});
