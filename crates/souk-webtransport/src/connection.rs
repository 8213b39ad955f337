//! A WebTransport session as a libp2p stream muxer: each bidirectional WebTransport stream
//! is one libp2p stream.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures::FutureExt;
use futures::future::BoxFuture;
use libp2p::core::muxing::{StreamMuxer, StreamMuxerEvent};
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};
use wtransport::error::ConnectionError;
use wtransport::stream::BiStream;

use crate::Error;

/// A libp2p stream: one bidirectional WebTransport stream.
pub type Stream = Compat<BiStream>;

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
    async move { Ok(BiStream::join(session.accept_bi().await?).compat()) }.boxed()
}

fn open(session: wtransport::Connection) -> Opening {
    async move { Ok(BiStream::join(session.open_bi().await?.await?).compat()) }.boxed()
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
