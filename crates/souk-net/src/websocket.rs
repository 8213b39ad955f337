//! The tab's WebSocket transport: the browser's `WebSocket` as a byte stream, dial only.
//!
//! It replaces libp2p-websocket-websys 0.6, whose flush waits for the socket's send buffer
//! to empty and learns that from a 100 ms interval: the four flushes of a connection's
//! handshake made every WebSocket connection take 400 ms (BENCHMARKS.md). Here a flush is
//! done once the browser holds the bytes (its send buffer is the socket's); only a write
//! past [`MAX_BUFFERED`] waits, checking again on a short timer, since a WebSocket has no
//! "buffer low" event.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::{Ready, ready};
use futures::{AsyncRead, AsyncWrite, FutureExt};
use futures_timer::Delay;
use js_sys::{ArrayBuffer, Uint8Array};
use libp2p::core::transport::{DialOpts, ListenerId, TransportError, TransportEvent};
use libp2p::multiaddr::{Multiaddr, Protocol};
use send_wrapper::SendWrapper;
use souk_webrtc::inbox::Inbox;
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
    inbox: Rc<RefCell<Inbox>>,
    /// A write held back by a full send buffer waits on this.
    recheck: Option<Delay>,
    /// Unset from the socket before they go.
    _on_event: Closure<dyn FnMut(web_sys::Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Connection {
    fn new(socket: WebSocket) -> Self {
        socket.set_binary_type(BinaryType::Arraybuffer);
        let inbox = Rc::new(RefCell::new(Inbox::new(MAX_READ)));
        let on_event = Closure::<dyn FnMut(web_sys::Event)>::new({
            let inbox = inbox.clone();
            move |event: web_sys::Event| {
                let mut inbox = inbox.borrow_mut();
                if event.type_() == "error" {
                    inbox.fail(io::ErrorKind::ConnectionReset);
                }
                inbox.wake();
            }
        });
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
            let inbox = inbox.clone();
            move |event: MessageEvent| {
                let mut inbox = inbox.borrow_mut();
                match event.data().dyn_into::<ArrayBuffer>() {
                    Ok(message) => inbox.receive(Uint8Array::new(&message).to_vec()),
                    // libp2p over WebSocket is binary: text is a broken peer.
                    Err(_) => {
                        inbox.fail(io::ErrorKind::InvalidData);
                        inbox.wake();
                    }
                }
            }
        });
        let handler = Some(on_event.as_ref().unchecked_ref());
        socket.set_onopen(handler);
        socket.set_onclose(handler);
        socket.set_onerror(handler);
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Self(SendWrapper::new(Inner {
            socket,
            inbox,
            recheck: None,
            _on_event: on_event,
            _on_message: on_message,
        }))
    }

    /// Ready once the socket is open; an error once it failed or closed.
    fn poll_open(&self, cx: &Context<'_>) -> Poll<io::Result<()>> {
        let mut inbox = self.0.inbox.borrow_mut();
        if let Some(failure) = inbox.failure() {
            return Poll::Ready(Err(failure));
        }
        match self.0.socket.ready_state() {
            WebSocket::OPEN => Poll::Ready(Ok(())),
            WebSocket::CONNECTING => {
                inbox.wait_to_write(cx);
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
        let ended = matches!(self.0.socket.ready_state(), WebSocket::CLOSING | WebSocket::CLOSED);
        self.0.inbox.borrow_mut().poll_read(cx, buf, ended)
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
        self.0.inbox.borrow_mut().wait_to_write(cx);
        Poll::Pending
    }
}
