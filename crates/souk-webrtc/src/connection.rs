//! A WebRTC peer connection as a libp2p stream muxer: each data channel is one stream,
//! framed as libp2p's WebRTC specification says (a protobuf envelope per message, with flags
//! to half-close and to reset), by `libp2p-webrtc-utils`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures::stream::FuturesUnordered;
use futures::{AsyncRead, AsyncWrite, StreamExt};
use js_sys::Reflect;
use libp2p::core::muxing::{StreamMuxer, StreamMuxerEvent};
use libp2p_webrtc_utils::DropListener;
use send_wrapper::SendWrapper;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{RtcDataChannelEvent, RtcDataChannelInit, RtcPeerConnection, RtcPeerConnectionState};

use crate::channel::Channel;

/// Data channels the other side opened that no one has taken yet, at most; more are closed
/// as they come.
const MAX_PENDING_INBOUND: usize = 32;
/// The label of the data channel a dialer opens before its offer, so the offer describes
/// an SCTP association; it is never a stream.
pub const INIT_LABEL: &str = "init";

/// A libp2p stream: one data channel.
pub struct Stream(SendWrapper<libp2p_webrtc_utils::Stream<Channel>>);

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stream")
    }
}

impl Stream {
    fn new(channel: Channel) -> (Self, DropListener<Channel>) {
        let (stream, dropped) = libp2p_webrtc_utils::Stream::new(channel);
        (Self(SendWrapper::new(stream)), dropped)
    }
}

impl AsyncRead for Stream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Stream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_close(cx)
    }
}

/// An established peer connection, whose data channels are streams.
pub struct Connection(SendWrapper<Inner>);

struct Inner {
    peer: RtcPeerConnection,
    inbound: Rc<RefCell<Inbound>>,
    /// Unset from the peer connection before it goes.
    _on_channel: Closure<dyn FnMut(RtcDataChannelEvent)>,
    /// Streams dropped without closing reset their channel through these.
    dropped: FuturesUnordered<DropListener<Channel>>,
    dropped_waker: Option<Waker>,
    /// Wakes the muxer when the connection or its SCTP association (`watched`) changes
    /// state, set on the first poll (the negotiation watches the connection until then).
    on_change: Option<Closure<dyn FnMut()>>,
    watched: Option<JsValue>,
    change_waker: Rc<RefCell<Option<Waker>>>,
}

/// Channels are taken as the browser announces them, so no message that arrives before
/// the stream is accepted is lost.
#[derive(Default)]
struct Inbound {
    channels: VecDeque<Channel>,
    waker: Option<Waker>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("pending_inbound", &self.0.inbound.borrow().channels.len())
            .finish()
    }
}

impl Connection {
    /// Takes `peer` before its negotiation ends, so no data channel the other side opens is
    /// missed.
    pub fn new(peer: RtcPeerConnection) -> Self {
        let inbound = Rc::new(RefCell::new(Inbound::default()));
        let on_channel = Closure::<dyn FnMut(RtcDataChannelEvent)>::new({
            let inbound = inbound.clone();
            move |event: RtcDataChannelEvent| {
                let channel = event.channel();
                let mut inbound = inbound.borrow_mut();
                if channel.label() == INIT_LABEL {
                    return;
                }
                if inbound.channels.len() >= MAX_PENDING_INBOUND {
                    return channel.close();
                }
                inbound.channels.push_back(Channel::new(channel));
                if let Some(waker) = inbound.waker.take() {
                    waker.wake();
                }
            }
        });
        peer.set_ondatachannel(Some(on_channel.as_ref().unchecked_ref()));
        Self(SendWrapper::new(Inner {
            peer,
            inbound,
            _on_channel: on_channel,
            dropped: FuturesUnordered::new(),
            dropped_waker: None,
            on_change: None,
            watched: None,
            change_waker: Rc::default(),
        }))
    }

    fn stream(&mut self, channel: Channel) -> Stream {
        let (stream, dropped) = Stream::new(channel);
        self.0.dropped.push(dropped);
        if let Some(waker) = self.0.dropped_waker.take() {
            waker.wake();
        }
        stream
    }
}

impl Inner {
    /// Why the connection is over, if it is; until then `cx` is woken when that may change.
    /// A data channel opened on a connection that is over never opens: the other side
    /// closed its peer connection (Chromium closes the SCTP association at once, while the
    /// connection's own state waits for ICE to give up), or vanished without closing it
    /// (a crashed or killed tab: only ICE notices, after some 15 s, as "failed").
    fn closed(&mut self, cx: &Context<'_>) -> Option<io::Error> {
        // web-sys has no `RTCSctpTransport`.
        let sctp = Reflect::get(&self.peer, &"sctp".into()).ok().filter(JsValue::is_object);
        let state = sctp.as_ref().and_then(|sctp| Reflect::get(sctp, &"state".into()).ok());
        let reason = match (state.and_then(|s| s.as_string()).as_deref(), self.peer.connection_state()) {
            (Some("closed"), _) => "the other side closed the connection",
            (_, RtcPeerConnectionState::Failed | RtcPeerConnectionState::Closed) => "the connection failed",
            _ => {
                *self.change_waker.borrow_mut() = Some(cx.waker().clone());
                self.watch(sctp);
                return None;
            }
        };
        Some(io::Error::new(io::ErrorKind::ConnectionReset, reason))
    }

    fn watch(&mut self, sctp: Option<JsValue>) {
        if self.on_change.is_some() {
            return;
        }
        let waker = self.change_waker.clone();
        let on_change = Closure::<dyn FnMut()>::new(move || {
            if let Some(waker) = waker.borrow_mut().take() {
                waker.wake();
            }
        });
        self.peer.set_onconnectionstatechange(Some(on_change.as_ref().unchecked_ref()));
        if let Some(sctp) = &sctp {
            let _ = Reflect::set(sctp, &"onstatechange".into(), on_change.as_ref());
        }
        (self.on_change, self.watched) = (Some(on_change), sctp);
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.peer.set_ondatachannel(None);
        if self.on_change.is_some() {
            self.peer.set_onconnectionstatechange(None);
        }
        if let Some(sctp) = &self.watched {
            let _ = Reflect::set(sctp, &"onstatechange".into(), &JsValue::NULL);
        }
        self.peer.close();
    }
}

impl StreamMuxer for Connection {
    type Substream = Stream;
    type Error = io::Error;

    fn poll_inbound(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<Stream>> {
        let this = self.get_mut();
        let next = {
            let mut inbound = this.0.inbound.borrow_mut();
            let next = inbound.channels.pop_front();
            if next.is_none() {
                inbound.waker = Some(cx.waker().clone());
            }
            next
        };
        match next {
            Some(channel) => Poll::Ready(Ok(this.stream(channel))),
            None => Poll::Pending,
        }
    }

    /// A new data channel, negotiated in band; writes wait for it to open.
    fn poll_outbound(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<Stream>> {
        let this = self.get_mut();
        if let Some(error) = this.0.closed(cx) {
            return Poll::Ready(Err(error));
        }
        let channel = this.0.peer.create_data_channel_with_data_channel_dict("", &RtcDataChannelInit::new());
        Poll::Ready(Ok(this.stream(Channel::new(channel))))
    }

    /// Ends the connection once the other side has closed its own.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<StreamMuxerEvent>> {
        let this = self.get_mut();
        if let Some(error) = this.0.closed(cx) {
            return Poll::Ready(Err(error));
        }
        loop {
            match this.0.dropped.poll_next_unpin(cx) {
                Poll::Ready(Some(Err(error))) => tracing::debug!(%error, "resetting a dropped stream failed"),
                Poll::Ready(Some(Ok(()))) => {}
                Poll::Ready(None) => {
                    this.0.dropped_waker = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().0.peer.close();
        Poll::Ready(Ok(()))
    }
}
