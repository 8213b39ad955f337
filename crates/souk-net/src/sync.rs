//! `/souk/sync/1.0.0`: the registry index from a peer, as a base snapshot in
//! content-addressed chunks and then the signed records since. The messages and the
//! serving side are in [`souk_core::catalog`]; this names the protocol for libp2p.

use libp2p::StreamProtocol;
use souk_core::catalog::message::{MAX_REQUEST_LEN, MAX_RESPONSE_LEN};
pub use souk_core::catalog::{SyncRequest, SyncResponse};

use crate::codec::{self, Message};

pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/souk/sync/1.0.0");

pub type Codec = codec::Codec<SyncRequest, SyncResponse>;

impl Message for SyncRequest {
    const MAX_LEN: usize = MAX_REQUEST_LEN;

    fn to_bytes(&self) -> Vec<u8> {
        self.encode()
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        SyncRequest::decode(bytes).map_err(|e| e.to_string())
    }
}

impl Message for SyncResponse {
    const MAX_LEN: usize = MAX_RESPONSE_LEN;

    fn to_bytes(&self) -> Vec<u8> {
        self.encode()
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        SyncResponse::decode(bytes).map_err(|e| e.to_string())
    }
}
