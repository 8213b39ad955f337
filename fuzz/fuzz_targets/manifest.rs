//! A pack's `souk.toml` (name, version, requirements) and a project's lockfile, as a body
//! or a checkout brings them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = souk_pack::parse_manifest(text);
        let _ = souk_pack::lockfile::from_toml(text);
    }
});
