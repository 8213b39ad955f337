//! `/souk/fetch/1.0.0`: a pack body by its content hash.
//!
//! The request is the 32-byte SHA-256 of the body. The response is one status byte (`1`
//! found, `0` not found) and, when found, the body to the end of the stream. Both sides
//! read at most what the protocol allows ([`MAX_BODY_LEN`]), so an oversized or endless
//! answer is an error, not a memory exhaustion; and the requester checks the body against
//! the hash it asked for, so a lying peer is caught before the bytes are used.

use std::io;

use futures::prelude::*;
use libp2p::StreamProtocol;
use libp2p::request_response;
use souk_core::Digest;
use souk_core::body::content_hash;

pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/souk/fetch/1.0.0");
/// The largest body a peer sends or accepts, in bytes.
pub const MAX_BODY_LEN: u64 = 8 * 1024 * 1024;

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

/// The wire format above, with its limits.
#[derive(Debug, Clone, Copy, Default)]
pub struct Codec;

impl request_response::Codec for Codec {
    type Protocol = StreamProtocol;
    type Request = Digest;
    type Response = FetchResponse;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Digest>
    where
        T: AsyncRead + Unpin + Send,
    {
        let mut hash = [0u8; 32];
        io.read_exact(&mut hash).await?;
        Ok(hash)
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<FetchResponse>
    where
        T: AsyncRead + Unpin + Send,
    {
        let mut status = [0u8; 1];
        io.read_exact(&mut status).await?;
        match status[0] {
            0 => Ok(FetchResponse::NotFound),
            1 => {
                let mut body = Vec::new();
                io.take(MAX_BODY_LEN + 1).read_to_end(&mut body).await?;
                if body.len() as u64 > MAX_BODY_LEN {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "pack body over the size limit"));
                }
                Ok(FetchResponse::Found(body))
            }
            other => Err(io::Error::new(io::ErrorKind::InvalidData, format!("unknown fetch status {other}"))),
        }
    }

    async fn write_request<T>(&mut self, _: &StreamProtocol, io: &mut T, hash: Digest) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&hash).await?;
        io.close().await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        response: FetchResponse,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        match response {
            FetchResponse::NotFound => io.write_all(&[0]).await?,
            FetchResponse::Found(body) => {
                io.write_all(&[1]).await?;
                io.write_all(&body).await?;
            }
        }
        io.close().await
    }
}
