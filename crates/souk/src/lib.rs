//! The native shell's library half: importers from other registries' formats and the
//! file-system helpers the `souk` binary uses. Kept apart from `main.rs` so benches and
//! tests can import a registry without spawning the binary.

pub mod fsutil;
pub mod import;
pub mod lockfile;
pub mod store;
