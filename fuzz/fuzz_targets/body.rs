//! A pack body as a fetch brings it: whatever decodes encodes back to the same files, and
//! every path it names is a safe relative path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use souk_core::body;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(files) = body::decode(bytes) {
        let again = body::encode(&files).expect("decoded files encode");
        assert_eq!(body::decode(&again).expect("encoded files decode"), files);
    }
});
