//! The tab's WebSocket transport: the browser's `WebSocket` as a byte stream, dial only.
//!
//! It replaces libp2p-websocket-websys 0.6, whose flush waits for the socket's send buffer
//! to empty and learns that from a 100 ms interval: the four flushes of a connection's
//! handshake made every WebSocket connection take 400 ms (BENCHMARKS.md). Here a flush is
//! done once the browser holds the bytes (its send buffer is the socket's); only a write
//! past [`MAX_BUFFERED`] waits, checking again on a short timer, since a WebSocket has no
//! "buffer low" event.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures::future::{Ready, ready};
use futures::{AsyncRead, AsyncWrite, FutureExt};
use futures_timer::Delay;
use js_sys::{ArrayBuffer, Uint8Array};
use libp2p::core::transport::{DialOpts, ListenerId, TransportError, TransportEvent};
use libp2p::multiaddr::{Multiaddr, Protocol};
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{BinaryType, MessageEvent, WebSocket};

/// The most bytes the browser may hold unsent before a write waits.
const MAX_BUFFERED: u32 = 1024 * 1024;
/// The most bytes received and not yet read: far past what yamux's windows let an honest
/// peer send ahead; a peer that sends past it loses the connection.
const MAX_READ: usize = 8 * 1024 * 1024;
/// How soon a write held back by a full send buffer looks again.
const RECHECK: Duration = Duration::from_millis(5);

/// Dials `/ip4|ip6|dns/.../tcp/P/ws` and `.../wss` (or `/tls/ws`) from the browser.
#[derive(Debug, Default)]
pub struct Transport;

#[derive(Debug, thiserror::Error)]
#[error("cannot open a WebSocket to {0}")]
pub struct Error(String);

impl libp2p::core::Transport for Transport {
    type Output = Connection;
    type Error = Error;
    type ListenerUpgrade = Ready<Result<Connection, Error>>;
    type Dial = Ready<Result<Connection, Error>>;

    fn listen_on(&mut self, _: ListenerId, addr: Multiaddr) -> Result<(), TransportError<Error>> {
        Err(TransportError::MultiaddrNotSupported(addr))
    }

    fn remove_listener(&mut self, _: ListenerId) -> bool {
        false
    }

    /// The connection at once: reads and writes wait for the socket to open, and a socket
    /// that fails to open fails them (and so the handshake above).
    fn dial(&mut self, addr: Multiaddr, opts: DialOpts) -> Result<Self::Dial, TransportError<Error>> {
        let url = match url(&addr) {
            Some(url) if opts.role.is_dialer() => url,
            _ => return Err(TransportError::MultiaddrNotSupported(addr)),
        };
        let socket = WebSocket::new(&url).map_err(|_| TransportError::Other(Error(url)))?;
        Ok(ready(Ok(Connection::new(socket))))
    }

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<TransportEvent<Self::ListenerUpgrade, Error>> {
        Poll::Pending
    }
}

/// The WebSocket URL of a multiaddr; `/p2p/...` after it is the swarm's to check.
fn url(addr: &Multiaddr) -> Option<String> {
    let mut protocols = addr.iter();
    let host = match protocols.next()? {
        Protocol::Ip4(ip) => ip.to_string(),
        Protocol::Ip6(ip) => format!("[{ip}]"),
        Protocol::Dns(host) | Protocol::Dns4(host) | Protocol::Dns6(host) => host.to_string(),
        _ => return None,
    };
    let Protocol::Tcp(port) = protocols.next()? else { return None };
    let (scheme, path) = match protocols.next()? {
        Protocol::Ws(path) => ("ws", path),
        Protocol::Wss(path) => ("wss", path),
        Protocol::Tls => match protocols.next()? {
            Protocol::Ws(path) => ("wss", path),
            _ => return None,
        },
        _ => return None,
    };
    let peer = protocols.next();
    match (peer, protocols.next()) {
        (None | Some(Protocol::P2p(_)), None) => Some(format!("{scheme}://{host}:{port}{path}")),
        _ => None,
    }
}

/// An open (or opening) WebSocket as a byte stream.
pub struct Connection(SendWrapper<Inner>);

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("url", &self.0.socket.url()).finish()
    }
}

struct Inner {
    socket: WebSocket,
    state: Rc<RefCell<State>>,
    /// A write held back by a full send buffer waits on this.
    recheck: Option<Delay>,
    /// Unset from the socket before they go.
    _on_event: Closure<dyn FnMut(web_sys::Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

#[derive(Default)]
struct State {
    /// The messages received and not yet read, the first from `offset` on: a read takes
    /// from the front without moving what is behind it.
    read: VecDeque<Vec<u8>>,
    offset: usize,
    /// Bytes in `read`, less `offset`.
    unread: usize,
    /// The socket failed, or the peer sent past [`MAX_READ`] or sent text.
    failed: bool,
    reader: Option<Waker>,
    writer: Option<Waker>,
}

impl State {
    fn wake(&mut self) {
        for waker in [self.reader.take(), self.writer.take()].into_iter().flatten() {
            waker.wake();
        }
    }
}

impl Connection {
    fn new(socket: WebSocket) -> Self {
        socket.set_binary_type(BinaryType::Arraybuffer);
        let state = Rc::new(RefCell::new(State::default()));
        let on_event = Closure::<dyn FnMut(web_sys::Event)>::new({
            let state = state.clone();
            move |event: web_sys::Event| {
                let mut state = state.borrow_mut();
                state.failed |= event.type_() == "error";
                state.wake();
            }
        });
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
            let state = state.clone();
            move |event: MessageEvent| {
                let mut state = state.borrow_mut();
                match event.data().dyn_into::<ArrayBuffer>() {
                    // An empty message would read as the end of the stream.
                    Ok(buffer) if buffer.byte_length() == 0 => {}
                    Ok(buffer) if state.unread + buffer.byte_length() as usize <= MAX_READ => {
                        state.unread += buffer.byte_length() as usize;
                        state.read.push_back(Uint8Array::new(&buffer).to_vec());
                    }
                    _ => state.failed = true,
                }
                state.wake();
            }
        });
        let handler = Some(on_event.as_ref().unchecked_ref());
        socket.set_onopen(handler);
        socket.set_onclose(handler);
        socket.set_onerror(handler);
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Self(SendWrapper::new(Inner {
            socket,
            state,
            recheck: None,
            _on_event: on_event,
            _on_message: on_message,
        }))
    }

    /// Ready once the socket is open; an error once it failed or closed.
    fn poll_open(&self, cx: &Context<'_>) -> Poll<io::Result<()>> {
        let mut state = self.0.state.borrow_mut();
        if state.failed {
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        match self.0.socket.ready_state() {
            WebSocket::OPEN => Poll::Ready(Ok(())),
            WebSocket::CONNECTING => {
                state.writer = Some(cx.waker().clone());
                Poll::Pending
            }
            _ => Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onclose(None);
        self.socket.set_onerror(None);
        self.socket.set_onmessage(None);
        let _ = self.socket.close();
    }
}

impl AsyncRead for Connection {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut state = self.0.state.borrow_mut();
        let state = &mut *state;
        if let Some(front) = state.read.front() {
            let n = buf.len().min(front.len() - state.offset);
            buf[..n].copy_from_slice(&front[state.offset..state.offset + n]);
            state.offset += n;
            state.unread -= n;
            if state.offset == front.len() {
                state.read.pop_front();
                state.offset = 0;
            }
            return Poll::Ready(Ok(n));
        }
        if state.failed {
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        match self.0.socket.ready_state() {
            WebSocket::CLOSING | WebSocket::CLOSED => Poll::Ready(Ok(0)),
            _ => {
                state.reader = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_open(cx))?;
        let inner = &mut *this.0;
        if inner.socket.buffered_amount() >= MAX_BUFFERED {
            let recheck = inner.recheck.get_or_insert_with(|| Delay::new(RECHECK));
            std::task::ready!(recheck.poll_unpin(cx));
            inner.recheck = None;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        inner.socket.send_with_u8_array(buf).map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
        Poll::Ready(Ok(buf.len()))
    }

    /// Done once the browser holds the bytes: its send buffer is the socket's.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_open(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.0.socket.ready_state() == WebSocket::CLOSED {
            return Poll::Ready(Ok(()));
        }
        let _ = self.0.socket.close();
        self.0.state.borrow_mut().writer = Some(cx.waker().clone());
        Poll::Pending
    }
}
