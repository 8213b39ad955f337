//! An index snapshot, as a sync's chunks or a store's base bring it: a snapshot that loads
//! answers a search and resolves its names without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use souk_core::Index;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(index) = Index::from_snapshot(bytes) {
        for pack in index.iter().take(64) {
            let _ = index.versions_of(pack.name());
            let _ = index.latest(pack.name());
            let _ = pack.to_version();
            let _ = pack.dependencies().count();
        }
    }
});
