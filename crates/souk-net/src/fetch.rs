//! `/souk/fetch/1.0.0`: a pack body by its content hash.
//!
//! The request is the 32-byte SHA-256 of the body. The response is one status byte (`1`
//! found, `0` not found) and, when found, the body to the end of the stream. Both sides
//! read at most what the protocol allows ([`MAX_BODY_LEN`]), so an oversized or endless
//! answer is an error, not a memory exhaustion; and the requester checks the body against
//! the hash it asked for, so a lying peer is caught before the bytes are used.

use libp2p::StreamProtocol;
use souk_core::Digest;
use souk_core::body::content_hash;

use crate::codec::{self, Message};

pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/souk/fetch/1.0.0");
/// The largest body a peer sends or accepts, in bytes.
pub const MAX_BODY_LEN: usize = 8 * 1024 * 1024;

pub type Codec = codec::Codec<FetchRequest, FetchResponse>;

/// The hash of the body asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchRequest(pub Digest);

/// What a peer answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchResponse {
    Found(Vec<u8>),
    NotFound,
}

/// Why a fetched body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("the peer does not have the body")]
    NotFound,
    #[error("the peer sent a body whose hash is not the one asked for")]
    WrongHash,
    #[error("the fetch failed: {0}")]
    Network(String),
}

/// Checks what a peer sent for `hash`.
pub fn verify(hash: &Digest, response: FetchResponse) -> Result<Vec<u8>, FetchError> {
    match response {
        FetchResponse::NotFound => Err(FetchError::NotFound),
        FetchResponse::Found(body) if content_hash(&body) == *hash => Ok(body),
        FetchResponse::Found(_) => Err(FetchError::WrongHash),
    }
}

impl Message for FetchRequest {
    const MAX_LEN: usize = 32;

    fn to_bytes(&self) -> Vec<u8> {
        self.0.to_vec()
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        bytes.try_into().map(FetchRequest).map_err(|_| "a fetch request is a 32-byte hash".into())
    }
}

impl Message for FetchResponse {
    const MAX_LEN: usize = MAX_BODY_LEN + 1;

    fn to_bytes(&self) -> Vec<u8> {
        match self {
            FetchResponse::NotFound => vec![0],
            FetchResponse::Found(body) => [&[1], body.as_slice()].concat(),
        }
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        match bytes.split_first() {
            Some((0, [])) => Ok(FetchResponse::NotFound),
            Some((1, body)) => Ok(FetchResponse::Found(body.to_vec())),
            _ => Err("not a fetch response".into()),
        }
    }
}
