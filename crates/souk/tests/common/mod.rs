//! What the `souk` test binaries share.
#![allow(dead_code)] // each test binary uses its own part of this

use std::path::{Path, PathBuf};

#[cfg(unix)]
pub mod relay;

/// A file from `shared/` (see its README), or `None` with a note when `SOUK_SHARED` is unset.
/// Where it is set, a missing file fails the test: CI must never pass by skipping.
pub fn shared(relative: &str) -> Option<PathBuf> {
    let Some(root) = std::env::var_os("SOUK_SHARED") else {
        eprintln!("skipped: set SOUK_SHARED to the shared/ folder to run this test on {relative}");
        return None;
    };
    let path = Path::new(&root).join(relative);
    assert!(path.is_file(), "SOUK_SHARED is set but {} is missing", path.display());
    Some(path)
}

/// This crate's folder, read when the test runs: a shared target folder may reuse a test
/// binary built for a checkout at another path.
pub fn manifest_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
}
