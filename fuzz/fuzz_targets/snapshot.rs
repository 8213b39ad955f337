//! An index snapshot, as a sync's chunks or a store's base bring it: a snapshot that loads
//! answers a search, resolves its names and reads its rows as cargo sees them without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use souk_core::Index;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(index) = Index::from_snapshot(bytes) {
        let mut reqs = souk_core::index::ReqCache::default();
        for pack in index.iter().take(64) {
            let _ = index.versions_of(pack.name());
            let _ = index.latest(pack.name());
            let _ = pack.to_version();
            let _ = pack.dependencies().count();
            let _ = pack.summary(&mut reqs);
            for yanked in index.yanked_of(pack.name()) {
                let _ = yanked.cargo(&mut reqs);
            }
        }
    }
});
