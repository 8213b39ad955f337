//! An index snapshot, as a sync's chunks or a store's base bring it, or a file `souk search`
//! opens: a snapshot that loads or opens answers a search, resolves its names and reads its
//! rows as cargo sees them without a panic. Opening skips the checksum, so the fuzzer gets
//! past it there and reaches everything reading does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use souk_core::Index;
use souk_core::search::{Query, search};

fuzz_target!(|bytes: &[u8]| {
    let bytes = bytes::Bytes::copy_from_slice(bytes);
    for index in [Index::load(bytes.clone()), Index::open(bytes)].into_iter().flatten() {
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
        let name = index.iter().next().map(|p| p.name().to_owned()).unwrap_or_default();
        for text in [name.as_str(), "a", "reqest tool"] {
            let _ = search(&index, &Query::new(text));
        }
    }
});
