//! `/souk/fetch/1.0.0`: a pack body by its content hash.
//!
//! The request is the 32-byte SHA-256 of the body. The response is one status byte (`1`
//! found, `0` not found) and, when found, the body to the end of the stream. Both sides
//! read at most what the protocol allows ([`MAX_BODY_LEN`]), so an oversized or endless
//! answer is an error, not a memory exhaustion; and the requester checks the body against
//! the hash it asked for, so a lying peer is caught before the bytes are used.
//!
//! [`Fetch`] serves bodies (the node answers each [`FetchEvent::Asked`] from its store) and
//! fetches them, asking the providers in the order the core's [`FetchPlan`] gives until one
//! serves a body that matches its hash.

use std::collections::HashMap;
use std::time::Duration;

use libp2p::request_response::{self, OutboundRequestId, ResponseChannel};
use libp2p::{PeerId, StreamProtocol};
use souk_core::Digest;
use souk_core::body::content_hash;
use souk_core::peer::{FetchAnswer, FetchPlan, FetchStep, Peer};
use tracing::debug;

use crate::codec::{self, Message};
use crate::protocol::{Protocol, State};

pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/souk/fetch/1.0.0");
/// The largest body a peer sends or accepts, in bytes.
pub const MAX_BODY_LEN: usize = 8 * 1024 * 1024;

pub type Codec = codec::Codec<FetchRequest, FetchResponse>;

/// The hash of the body asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchRequest(pub Digest);

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
    #[error("the connection closed before the peer answered: {0}")]
    Interrupted(String),
}

/// What a request that failed on the wire tells: whether its connection went from under it
/// (closed or reset), or the request itself failed. multistream-select reports a stream
/// that ends before a protocol is agreed as a refusal of every protocol offered, so a
/// refusal is counted an interruption too: a peer that truly does not speak the protocol
/// is asked one more time.
fn failure(error: request_response::OutboundFailure) -> FetchError {
    use request_response::OutboundFailure as F;
    use std::io::ErrorKind as K;
    let interrupted = match &error {
        F::ConnectionClosed | F::UnsupportedProtocols => true,
        F::Io(e) => {
            matches!(e.kind(), K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof)
        }
        F::DialFailure | F::Timeout => false,
    };
    let error = error.to_string();
    if interrupted { FetchError::Interrupted(error) } else { FetchError::Network(error) }
}

/// Checks what a peer sent for `hash`.
pub fn verify(hash: &Digest, response: FetchResponse) -> Result<Vec<u8>, FetchError> {
    match response {
        FetchResponse::NotFound => Err(FetchError::NotFound),
        FetchResponse::Found(body) if content_hash(&body) == *hash => Ok(body),
        FetchResponse::Found(_) => Err(FetchError::WrongHash),
    }
}

/// The fetch protocol: request-response, and the fetches under way.
pub type Fetch = Protocol<request_response::Behaviour<Codec>, Fetches>;

/// Where a fetch's answer goes: who served the body, and the body.
pub(crate) type Served = futures::channel::oneshot::Sender<Result<(PeerId, Vec<u8>), FetchError>>;

/// A fetch under way, and where its answer goes.
#[derive(Debug)]
pub struct Fetching {
    pub(crate) plan: FetchPlan<PeerId>,
    pub(crate) reply: Served,
}

/// The fetches under way, by the request now in flight for each.
#[derive(Debug, Default)]
pub struct Fetches {
    pending: HashMap<OutboundRequestId, Fetching>,
}

/// What the fetch protocol tells the node.
#[derive(Debug)]
pub enum FetchEvent {
    /// A peer asks for a body: answer with [`Fetch::respond`].
    Asked { peer: PeerId, hash: Digest, channel: ResponseChannel<FetchResponse> },
    /// The peer a fetch asked has answered, the answer checked against the hash.
    Answered { fetching: Fetching, result: Result<Vec<u8>, FetchError> },
}

impl State<request_response::Behaviour<Codec>> for Fetches {
    type Event = FetchEvent;

    fn on_event(
        &mut self,
        _: &mut request_response::Behaviour<Codec>,
        event: request_response::Event<FetchRequest, FetchResponse>,
    ) -> Option<FetchEvent> {
        use request_response::{Event, Message};
        match event {
            Event::Message {
                peer,
                message: Message::Request { request: FetchRequest(hash), channel, .. },
                ..
            } => Some(FetchEvent::Asked { peer, hash, channel }),
            Event::Message { message: Message::Response { request_id, response }, .. } => {
                let fetching = self.pending.remove(&request_id)?;
                let result = verify(&fetching.plan.hash(), response);
                Some(FetchEvent::Answered { fetching, result })
            }
            Event::OutboundFailure { request_id, error, .. } => {
                let fetching = self.pending.remove(&request_id)?;
                Some(FetchEvent::Answered { fetching, result: Err(failure(error)) })
            }
            Event::InboundFailure { peer, error, .. } => {
                debug!(%peer, %error, "a fetch request failed");
                None
            }
            Event::ResponseSent { .. } => None,
        }
    }
}

impl Fetch {
    pub fn with_timeout(timeout: Duration) -> Self {
        Protocol::wrap(codec::behaviour(PROTOCOL, timeout), Fetches::default())
    }

    /// Starts a fetch: asks the plan's first peer, or answers at once that there is none.
    pub(crate) fn start(&mut self, mut fetching: Fetching, now: u64) {
        match fetching.plan.first(now) {
            Some(peer) => self.ask(peer, fetching),
            None => drop(fetching.reply.send(Err(FetchError::Network("no peer to fetch from".into())))),
        }
    }

    /// Goes on after an answer, as the core decides: done, the next peer, or give up.
    pub(crate) fn answered(
        &mut self,
        core: &mut Peer<PeerId>,
        mut fetching: Fetching,
        result: Result<Vec<u8>, FetchError>,
        now: u64,
    ) {
        let answer = match &result {
            Ok(_) => FetchAnswer::Served,
            Err(FetchError::NotFound) => FetchAnswer::Missing,
            Err(FetchError::WrongHash) => FetchAnswer::WrongBody,
            Err(FetchError::Network(_)) => FetchAnswer::Failed,
            Err(FetchError::Interrupted(_)) => FetchAnswer::Interrupted,
        };
        let served_by = fetching.plan.current().map(|(peer, _)| *peer);
        match (core.handle_fetch_answer(&mut fetching.plan, answer, now), result, served_by) {
            (FetchStep::Done, Ok(body), Some(peer)) => drop(fetching.reply.send(Ok((peer, body)))),
            (FetchStep::Try(next), _, _) => self.ask(next, fetching),
            (_, result, _) => {
                let error = result.err().unwrap_or(FetchError::Network("no peer to fetch from".into()));
                drop(fetching.reply.send(Err(error)))
            }
        }
    }

    /// Answers a peer's request with the body, or that it is not here.
    pub fn respond(&mut self, channel: ResponseChannel<FetchResponse>, body: Option<Vec<u8>>) {
        let response = body.map_or(FetchResponse::NotFound, FetchResponse::Found);
        // The requester may have gone; then there is no one to answer.
        let _ = self.inner.send_response(channel, response);
    }

    fn ask(&mut self, peer: PeerId, fetching: Fetching) {
        let id = self.inner.send_request(&peer, FetchRequest(fetching.plan.hash()));
        self.state.pending.insert(id, fetching);
    }
}

impl Message for FetchRequest {
    const MAX_LEN: usize = 32;

    fn to_bytes(&self) -> Vec<u8> {
        self.0.to_vec()
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        bytes.try_into().map(FetchRequest).map_err(|_| "a fetch request is a 32-byte hash".into())
    }
}

impl Message for FetchResponse {
    const MAX_LEN: usize = MAX_BODY_LEN + 1;

    fn to_bytes(&self) -> Vec<u8> {
        match self {
            FetchResponse::NotFound => vec![0],
            FetchResponse::Found(body) => [&[1], body.as_slice()].concat(),
        }
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        match bytes.split_first() {
            Some((0, [])) => Ok(FetchResponse::NotFound),
            Some((1, body)) => Ok(FetchResponse::Found(body.to_vec())),
            _ => Err("not a fetch response".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_connection_interrupts_and_a_broken_answer_fails() {
        use request_response::OutboundFailure as F;
        use std::io::{Error, ErrorKind};
        let interrupted = [
            F::ConnectionClosed,
            F::UnsupportedProtocols,
            F::Io(Error::from(ErrorKind::ConnectionReset)),
            F::Io(Error::from(ErrorKind::UnexpectedEof)),
        ];
        for error in interrupted {
            assert!(matches!(failure(error), FetchError::Interrupted(_)));
        }
        let oversized = Error::new(ErrorKind::InvalidData, "message over the size limit");
        for error in [F::Timeout, F::DialFailure, F::Io(oversized)] {
            assert!(matches!(failure(error), FetchError::Network(_)));
        }
    }

    #[test]
    fn messages_round_trip_and_refuse_anything_else() {
        let request = FetchRequest([7; 32]);
        assert_eq!(FetchRequest::from_bytes(&request.to_bytes()), Ok(request));
        assert!(FetchRequest::from_bytes(&[7; 31]).is_err());
        for response in
            [FetchResponse::NotFound, FetchResponse::Found(b"body".to_vec()), FetchResponse::Found(vec![])]
        {
            assert_eq!(FetchResponse::from_bytes(&response.to_bytes()), Ok(response));
        }
        assert!(FetchResponse::from_bytes(&[]).is_err());
        assert!(FetchResponse::from_bytes(&[0, 1]).is_err(), "not found carries nothing");
        assert!(FetchResponse::from_bytes(&[2, 1]).is_err());
    }

    #[test]
    fn a_body_is_checked_against_the_hash_asked_for() {
        let hash = content_hash(b"body");
        assert_eq!(verify(&hash, FetchResponse::Found(b"body".to_vec())), Ok(b"body".to_vec()));
        assert_eq!(verify(&hash, FetchResponse::Found(b"other".to_vec())), Err(FetchError::WrongHash));
        assert_eq!(verify(&hash, FetchResponse::NotFound), Err(FetchError::NotFound));
    }
}
