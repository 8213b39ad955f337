//! Souk's layout of the Kademlia DHT, and which record a peer keeps under a key.
//!
//! A pack's newest record lives under `/souk/pack/` and its folded name, so every spelling
//! of a name finds it; a body is provided under its 32-byte content hash. Nothing else
//! belongs in Souk's DHT.

use alloc::vec::Vec;

use crate::name::fold_byte;
use crate::record::PackRecord;

/// The prefix of every record key.
pub const RECORD_PREFIX: &[u8] = b"/souk/pack/";

/// The DHT key of `name`'s record.
pub fn record_key(name: &str) -> Vec<u8> {
    let mut key = RECORD_PREFIX.to_vec();
    key.extend(name.bytes().map(fold_byte));
    key
}

/// Whether a provider key is one Souk uses: a content hash.
pub fn is_provider_key(key: &[u8]) -> bool {
    key.len() == 32
}

/// Whether `new` should replace `held` in the DHT store: only a newer version replaces an
/// older. Whose the name is was settled before: a record is offered to the store only once
/// the catalog took it ([`super::Action::KeepInDht`]), holding the name to its owners.
pub fn replaces(held: Option<&PackRecord>, new: &PackRecord) -> bool {
    held.is_none_or(|held| held.pack.version < new.pack.version)
}
