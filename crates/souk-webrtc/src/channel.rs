//! One `RTCDataChannel` as a byte stream: what the browser delivers, buffered up to a bound,
//! and writes held back while the browser's own send buffer is full.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures::{AsyncRead, AsyncWrite};
use js_sys::{ArrayBuffer, Uint8Array};
use libp2p_webrtc_utils::MAX_MSG_LEN;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{MessageEvent, RtcDataChannel, RtcDataChannelState, RtcDataChannelType};

/// The most bytes read and not yet taken: a few framed messages. A peer that sends past it
/// without waiting overloads the stream, which then fails (and is reset).
const MAX_READ_BUFFER: usize = 4 * MAX_MSG_LEN;

/// A data channel as [`AsyncRead`] and [`AsyncWrite`]; clones share the channel.
#[derive(Clone)]
pub(crate) struct Channel(Rc<Shared>);

struct Shared {
    channel: RtcDataChannel,
    state: Rc<RefCell<State>>,
    /// Kept alive while the channel may call them; unset from the channel before they go
    /// (a browser calling a freed closure throws in the page).
    _on_event: Closure<dyn FnMut(web_sys::Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

#[derive(Default)]
struct State {
    read: Vec<u8>,
    overloaded: bool,
    /// Who waits for data.
    reader: Option<Waker>,
    /// Who waits for the channel to open or close, or for room in its send buffer.
    writer: Option<Waker>,
}

impl State {
    fn wake(&mut self) {
        for waker in [self.reader.take(), self.writer.take()].into_iter().flatten() {
            waker.wake();
        }
    }
}

impl Channel {
    pub(crate) fn new(channel: RtcDataChannel) -> Self {
        channel.set_binary_type(RtcDataChannelType::Arraybuffer);
        channel.set_buffered_amount_low_threshold(0);
        let state = Rc::new(RefCell::new(State::default()));
        let on_event = Closure::<dyn FnMut(web_sys::Event)>::new({
            let state = state.clone();
            move |_| state.borrow_mut().wake()
        });
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
            let state = state.clone();
            move |event: MessageEvent| {
                let Ok(buffer) = event.data().dyn_into::<ArrayBuffer>() else { return };
                let data = Uint8Array::new(&buffer);
                let mut state = state.borrow_mut();
                if state.read.len() + data.length() as usize > MAX_READ_BUFFER {
                    state.overloaded = true;
                } else {
                    let at = state.read.len();
                    state.read.resize(at + data.length() as usize, 0);
                    data.copy_to(&mut state.read[at..]);
                }
                state.wake();
            }
        });
        let handler = Some(on_event.as_ref().unchecked_ref());
        channel.set_onopen(handler);
        channel.set_onclose(handler);
        channel.set_onerror(handler);
        channel.set_onbufferedamountlow(handler);
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Self(Rc::new(Shared { channel, state, _on_event: on_event, _on_message: on_message }))
    }

    fn channel(&self) -> &RtcDataChannel {
        &self.0.channel
    }

    fn state(&self) -> std::cell::RefMut<'_, State> {
        self.0.state.borrow_mut()
    }

    /// Ready once the channel is open; an error if it closed first.
    fn poll_open(&self, cx: &Context<'_>) -> Poll<io::Result<()>> {
        match self.channel().ready_state() {
            RtcDataChannelState::Open => Poll::Ready(Ok(())),
            RtcDataChannelState::Connecting => {
                self.state().writer = Some(cx.waker().clone());
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

fn overloaded() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "the remote sent past the read buffer")
}

impl AsyncRead for Channel {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut state = self.state();
        if state.overloaded {
            return Poll::Ready(Err(overloaded()));
        }
        if !state.read.is_empty() {
            let n = buf.len().min(state.read.len());
            buf[..n].copy_from_slice(&state.read[..n]);
            state.read.drain(..n);
            return Poll::Ready(Ok(n));
        }
        match self.channel().ready_state() {
            RtcDataChannelState::Closing | RtcDataChannelState::Closed => Poll::Ready(Ok(0)),
            _ => {
                state.reader = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for Channel {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        std::task::ready!(self.poll_open(cx))?;
        if self.state().overloaded {
            return Poll::Ready(Err(overloaded()));
        }
        let buffered = self.channel().buffered_amount() as usize;
        if buffered >= MAX_MSG_LEN {
            self.state().writer = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = buf.len().min(MAX_MSG_LEN - buffered);
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
                self.state().writer = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
