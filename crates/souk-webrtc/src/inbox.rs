//! What a browser byte stream (a data channel here, the tab's WebSocket in souk-net) has
//! received and not yet read, and who waits on it: the browser hands over whole messages
//! from its event handlers, the stream's reader takes bytes.

use std::collections::VecDeque;
use std::io;
use std::task::{Context, Poll, Waker};

/// Received messages, bounded, with the wakers of whoever reads and writes.
#[derive(Debug)]
pub struct Inbox {
    /// The messages not yet read, the first from `offset` on: a read takes from the front
    /// without moving what is behind it.
    messages: VecDeque<Vec<u8>>,
    offset: usize,
    /// Bytes in `messages`, less `offset`.
    unread: usize,
    /// The most unread bytes held: a peer sending past it fails the stream.
    limit: usize,
    failure: Option<io::ErrorKind>,
    /// Who waits for data.
    reader: Option<Waker>,
    /// Who waits for the stream to open or close, or for room to send.
    writer: Option<Waker>,
}

impl Inbox {
    pub fn new(limit: usize) -> Self {
        Self {
            messages: VecDeque::new(),
            offset: 0,
            unread: 0,
            limit,
            failure: None,
            reader: None,
            writer: None,
        }
    }

    /// Takes a binary message (an empty one is skipped: it would read as the end); one that
    /// would pass the limit fails the stream instead.
    pub fn receive(&mut self, message: Vec<u8>) {
        let len = message.len();
        if self.unread + len > self.limit {
            self.fail(io::ErrorKind::InvalidData);
        } else if len > 0 {
            self.unread += len;
            self.messages.push_back(message);
        }
        self.wake();
    }

    /// Fails the stream: reads fail once what arrived before is read, writes at once.
    pub fn fail(&mut self, kind: io::ErrorKind) {
        self.failure.get_or_insert(kind);
    }

    /// The failure, if the stream failed.
    pub fn failure(&self) -> Option<io::Error> {
        self.failure.map(io::Error::from)
    }

    /// Wakes the reader and the writer: something they wait for may have changed.
    pub fn wake(&mut self) {
        for waker in [self.reader.take(), self.writer.take()].into_iter().flatten() {
            waker.wake();
        }
    }

    /// Wakes this writer at the next event.
    pub fn wait_to_write(&mut self, cx: &Context<'_>) {
        self.writer = Some(cx.waker().clone());
    }

    /// What arrived, then the failure, then the end once `ended` (the stream closed), else
    /// a wait for the next event.
    pub fn poll_read(&mut self, cx: &Context<'_>, buf: &mut [u8], ended: bool) -> Poll<io::Result<usize>> {
        if let Some(front) = self.messages.front() {
            let n = buf.len().min(front.len() - self.offset);
            buf[..n].copy_from_slice(&front[self.offset..self.offset + n]);
            self.offset += n;
            self.unread -= n;
            if self.offset == front.len() {
                self.messages.pop_front();
                self.offset = 0;
            }
            return Poll::Ready(Ok(n));
        }
        if let Some(failure) = self.failure() {
            return Poll::Ready(Err(failure));
        }
        if ended {
            return Poll::Ready(Ok(0));
        }
        self.reader = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn message(bytes: &[u8]) -> Vec<u8> {
        bytes.to_vec()
    }

    fn read(inbox: &mut Inbox, len: usize, ended: bool) -> Poll<io::Result<Vec<u8>>> {
        let cx = Context::from_waker(futures::task::noop_waker_ref());
        let mut buf = vec![0; len];
        inbox.poll_read(&cx, &mut buf, ended).map_ok(|n| buf[..n].to_vec())
    }

    #[test]
    fn reads_cross_messages_in_order_then_the_failure_then_nothing_more() {
        let mut inbox = Inbox::new(8);
        assert!(read(&mut inbox, 4, false).is_pending());
        inbox.receive(message(b"abc"));
        inbox.receive(message(b""));
        inbox.receive(message(b"defg"));
        assert_eq!(read(&mut inbox, 2, false).map(Result::unwrap), Poll::Ready(b"ab".to_vec()));
        assert_eq!(read(&mut inbox, 8, false).map(Result::unwrap), Poll::Ready(b"c".to_vec()));
        // With "defg" unread, five bytes more pass the limit of 8: the stream fails, and
        // what came before is still read.
        inbox.receive(message(b"hijkl"));
        assert_eq!(read(&mut inbox, 8, false).map(Result::unwrap), Poll::Ready(b"defg".to_vec()));
        match read(&mut inbox, 8, true) {
            Poll::Ready(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::InvalidData),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_ended_stream_reads_as_the_end_once_drained() {
        let mut inbox = Inbox::new(8);
        inbox.receive(message(b"x"));
        assert_eq!(read(&mut inbox, 8, true).map(Result::unwrap), Poll::Ready(b"x".to_vec()));
        assert_eq!(read(&mut inbox, 8, true).map(Result::unwrap), Poll::Ready(Vec::new()));
    }
}
