//! A WebTransport session as a libp2p stream muxer: each bidirectional WebTransport stream
//! is one libp2p stream.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures::future::BoxFuture;
use futures::{AsyncRead, AsyncWrite, FutureExt};
use libp2p::core::muxing::{StreamMuxer, StreamMuxerEvent};
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};
use wtransport::error::ConnectionError;
use wtransport::stream::{BiStream, RecvStream, SendStream};

use crate::Error;

/// A libp2p stream: one bidirectional WebTransport stream.
#[derive(Debug)]
pub struct Stream {
    inner: Compat<BiStream>,
    /// Whether the sending side was finished: libp2p protocols may close a stream more than
    /// once, and QUIC refuses a second finish.
    finished: bool,
}

impl Stream {
    pub(crate) fn new(stream: (SendStream, RecvStream)) -> Self {
        Self { inner: BiStream::join(stream).compat(), finished: false }
    }
}

impl AsyncRead for Stream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Stream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.finished {
            ready!(Pin::new(&mut self.inner).poll_close(cx))?;
            self.finished = true;
        }
        Poll::Ready(Ok(()))
    }
}

type Opening = BoxFuture<'static, Result<Stream, Error>>;

/// An established session, after its Noise handshake.
pub struct Connection {
    session: wtransport::Connection,
    inbound: Option<Opening>,
    outbound: Option<Opening>,
    closing: Option<BoxFuture<'static, ConnectionError>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("session", &self.session).finish_non_exhaustive()
    }
}

impl Connection {
    pub(crate) fn new(session: wtransport::Connection) -> Self {
        Self { session, inbound: None, outbound: None, closing: None }
    }

    /// Drives the stream being accepted or opened (`slot`), starting it with `start`.
    fn poll_stream(
        slot: &mut Option<Opening>,
        session: &wtransport::Connection,
        start: fn(wtransport::Connection) -> Opening,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Stream, Error>> {
        let opening = slot.get_or_insert_with(|| start(session.clone()));
        let stream = ready!(opening.poll_unpin(cx));
        *slot = None;
        Poll::Ready(stream)
    }
}

fn accept(session: wtransport::Connection) -> Opening {
    async move { Ok(Stream::new(session.accept_bi().await?)) }.boxed()
}

fn open(session: wtransport::Connection) -> Opening {
    async move { Ok(Stream::new(session.open_bi().await?.await?)) }.boxed()
}

impl StreamMuxer for Connection {
    type Substream = Stream;
    type Error = Error;

    fn poll_inbound(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Stream, Error>> {
        let this = self.get_mut();
        Self::poll_stream(&mut this.inbound, &this.session, accept, cx)
    }

    fn poll_outbound(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Stream, Error>> {
        let this = self.get_mut();
        Self::poll_stream(&mut this.outbound, &this.session, open, cx)
    }

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<StreamMuxerEvent, Error>> {
        Poll::Pending
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        let closing = this.closing.get_or_insert_with(|| {
            this.session.close(0u32.into(), b"");
            let session = this.session.clone();
            async move { session.closed().await }.boxed()
        });
        match ready!(closing.poll_unpin(cx)) {
            ConnectionError::LocallyClosed => Poll::Ready(Ok(())),
            error => Poll::Ready(Err(error.into())),
        }
    }
}
