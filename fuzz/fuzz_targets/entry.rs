//! A signed entry (record or statement) as gossip, the DHT, a sync and the stores carry it:
//! whatever decodes encodes back to bytes that decode to the same entry.
#![no_main]

use libfuzzer_sys::fuzz_target;
use souk_core::record::Entry;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(entry) = Entry::decode(bytes) {
        assert_eq!(Entry::decode(&entry.encode()), Ok(entry));
    }
});
