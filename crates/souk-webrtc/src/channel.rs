//! One `RTCDataChannel` as a byte stream: what the browser delivers, buffered up to a bound
//! (each FIN acknowledged, FIN_ACKs taken out: [`crate::fin_ack`]), and writes held back
//! while the browser's own send buffer is full.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures::{AsyncRead, AsyncWrite};
use js_sys::{ArrayBuffer, Uint8Array};
use libp2p_webrtc_utils::MAX_MSG_LEN;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{MessageEvent, RtcDataChannel, RtcDataChannelState, RtcDataChannelType};

use crate::fin_ack::{FIN_ACK, Frames};
use crate::inbox::Inbox;

/// The most bytes this side keeps in the browser's send buffer: enough in flight that a
/// channel is not held to one message per round trip.
const MAX_BUFFERED: usize = 256 * 1024;
/// The most bytes received and not yet read: a data channel has no flow control the reader
/// drives, so room for four times what a Souk sender keeps in flight. A peer that sends past
/// it without waiting overloads the stream, which then fails (and is reset).
const MAX_READ_BUFFER: usize = 4 * MAX_BUFFERED;

/// A data channel as [`AsyncRead`] and [`AsyncWrite`]; clones share the channel.
#[derive(Clone)]
pub(crate) struct Channel(Rc<Shared>);

struct Shared {
    channel: RtcDataChannel,
    inbox: Rc<RefCell<Inbox>>,
    /// Kept alive while the channel may call them; unset from the channel before they go
    /// (a browser calling a freed closure throws in the page).
    _on_event: Closure<dyn FnMut(web_sys::Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Channel {
    pub(crate) fn new(channel: RtcDataChannel) -> Self {
        channel.set_binary_type(RtcDataChannelType::Arraybuffer);
        channel.set_buffered_amount_low_threshold((MAX_BUFFERED / 2) as u32);
        let inbox = Rc::new(RefCell::new(Inbox::new(MAX_READ_BUFFER)));
        let on_event = Closure::<dyn FnMut(web_sys::Event)>::new({
            let inbox = inbox.clone();
            move |_| inbox.borrow_mut().wake()
        });
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
            let (inbox, channel, mut frames) = (inbox.clone(), channel.clone(), Frames::default());
            move |event: MessageEvent| {
                // libp2p's WebRTC streams are binary; anything else is not ours to read.
                let Ok(message) = event.data().dyn_into::<ArrayBuffer>() else { return };
                let received = frames.receive(Uint8Array::new(&message).to_vec());
                for _ in 0..received.fins {
                    // A channel closing under the acknowledgment lets it go: the FIN is
                    // still read.
                    let _ = channel.send_with_u8_array(&FIN_ACK);
                }
                inbox.borrow_mut().receive(received.bytes);
            }
        });
        let handler = Some(on_event.as_ref().unchecked_ref());
        channel.set_onopen(handler);
        channel.set_onclose(handler);
        channel.set_onerror(handler);
        channel.set_onbufferedamountlow(handler);
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Self(Rc::new(Shared { channel, inbox, _on_event: on_event, _on_message: on_message }))
    }

    fn channel(&self) -> &RtcDataChannel {
        &self.0.channel
    }

    fn inbox(&self) -> std::cell::RefMut<'_, Inbox> {
        self.0.inbox.borrow_mut()
    }

    /// Ready once the channel is open; an error if it closed first.
    fn poll_open(&self, cx: &Context<'_>) -> Poll<io::Result<()>> {
        match self.channel().ready_state() {
            RtcDataChannelState::Open => Poll::Ready(Ok(())),
            RtcDataChannelState::Connecting => {
                self.inbox().wait_to_write(cx);
                Poll::Pending
            }
            _ => Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        for unset in [
            RtcDataChannel::set_onopen,
            RtcDataChannel::set_onclose,
            RtcDataChannel::set_onerror,
            RtcDataChannel::set_onbufferedamountlow,
        ] {
            unset(&self.channel, None);
        }
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}

impl AsyncRead for Channel {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let ended = matches!(
            self.channel().ready_state(),
            RtcDataChannelState::Closing | RtcDataChannelState::Closed
        );
        self.inbox().poll_read(cx, buf, ended)
    }
}

impl AsyncWrite for Channel {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        std::task::ready!(self.poll_open(cx))?;
        if let Some(failure) = self.inbox().failure() {
            return Poll::Ready(Err(failure));
        }
        let buffered = self.channel().buffered_amount() as usize;
        if buffered >= MAX_BUFFERED {
            self.inbox().wait_to_write(cx);
            return Poll::Pending;
        }
        let n = buf.len().min(MAX_MSG_LEN).min(MAX_BUFFERED - buffered);
        self.channel()
            .send_with_u8_array(&buf[..n])
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
        Poll::Ready(Ok(n))
    }

    /// Sent once the browser holds it: its send buffer is the channel's.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_open(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.channel().ready_state() {
            RtcDataChannelState::Closed => Poll::Ready(Ok(())),
            _ => {
                self.channel().close();
                self.inbox().wait_to_write(cx);
                Poll::Pending
            }
        }
    }
}
