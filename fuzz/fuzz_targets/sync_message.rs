//! A sync request and a sync response (heads, chunks, deltas, offers and their answers):
//! whatever decodes encodes back to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use souk_core::catalog::{SyncRequest, SyncResponse};

fuzz_target!(|bytes: &[u8]| {
    if let Ok(request) = SyncRequest::decode(bytes) {
        assert_eq!(SyncRequest::decode(&request.encode()), Ok(request));
    }
    if let Ok(response) = SyncResponse::decode(bytes) {
        assert_eq!(SyncResponse::decode(&response.encode()), Ok(response));
    }
});
