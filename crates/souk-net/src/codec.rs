//! One request-response codec for every Souk protocol: a request is the bytes to the end
//! of the stream, and so is the response. Each side reads at most what the protocol allows
//! and decodes with a decoder that does not trust the bytes, so an oversized, endless or
//! malformed message is an error for that one request, never a crash or a memory blow-up.

use std::io;
use std::marker::PhantomData;

use futures::prelude::*;
use libp2p::{StreamProtocol, request_response};

/// A message of a protocol: its size limit and its bytes.
pub trait Message: Sized + Send + 'static {
    /// The most bytes a peer may send for one message.
    const MAX_LEN: usize;
    fn to_bytes(&self) -> Vec<u8>;
    fn from_bytes(bytes: &[u8]) -> Result<Self, String>;
}

/// A request-response behaviour speaking `protocol` with this codec, both ways.
pub fn behaviour<Q: Message, R: Message>(
    protocol: StreamProtocol,
    timeout: std::time::Duration,
) -> request_response::Behaviour<Codec<Q, R>> {
    let config = request_response::Config::default().with_request_timeout(timeout);
    request_response::Behaviour::new([(protocol, request_response::ProtocolSupport::Full)], config)
}

/// The codec for requests `Q` answered by responses `R`.
pub struct Codec<Q, R>(PhantomData<fn() -> (Q, R)>);

impl<Q, R> Default for Codec<Q, R> {
    fn default() -> Self {
        Codec(PhantomData)
    }
}

impl<Q, R> Clone for Codec<Q, R> {
    fn clone(&self) -> Self {
        Codec::default()
    }
}

impl<Q, R> std::fmt::Debug for Codec<Q, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Codec")
    }
}

/// The first read's size: a stream read from in small steps costs a tab dearly, as
/// libp2p-webtransport-websys copies what each read leaves of the browser's buffer again
/// (reading a 256 KiB base chunk from 32 bytes up took 0.27 s of a first sync).
const READ_STEP: usize = 64 * 1024;

async fn read<M: Message, T: AsyncRead + Unpin + Send>(io: &mut T) -> io::Result<M> {
    let mut bytes = Vec::with_capacity(M::MAX_LEN.min(READ_STEP));
    io.take(M::MAX_LEN as u64 + 1).read_to_end(&mut bytes).await?;
    if bytes.len() > M::MAX_LEN {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "message over the size limit"));
    }
    M::from_bytes(&bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

async fn write<M: Message, T: AsyncWrite + Unpin + Send>(io: &mut T, message: M) -> io::Result<()> {
    io.write_all(&message.to_bytes()).await?;
    io.close().await
}

impl<Q: Message, R: Message> request_response::Codec for Codec<Q, R> {
    type Protocol = StreamProtocol;
    type Request = Q;
    type Response = R;

    async fn read_request<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Q> {
        read(io).await
    }

    async fn read_response<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<R> {
        read(io).await
    }

    async fn write_request<T>(&mut self, _: &StreamProtocol, io: &mut T, request: Q) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write(io, request).await
    }

    async fn write_response<T>(&mut self, _: &StreamProtocol, io: &mut T, response: R) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write(io, response).await
    }
}
