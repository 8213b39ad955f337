//! `/souk/sync/1.0.0`: the registry index from a peer, as a base snapshot in
//! content-addressed chunks and then the signed records since. The messages and the
//! serving side are in [`souk_core::catalog`], where a sync starts in
//! [`souk_core::peer::SyncStart`]; [`Sync`] carries the requests, and
//! [`crate::NodeHandle::sync_index`] runs a whole sync as plain async code.

use std::collections::HashMap;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use libp2p::identity::Keypair;
use libp2p::request_response::{self, OutboundRequestId, ResponseChannel};
use libp2p::{PeerId, StreamProtocol};
use souk_core::catalog::message::{MAX_REQUEST_LEN, MAX_RESPONSE_LEN};
pub use souk_core::catalog::{SyncRequest, SyncResponse};
use souk_core::peer::Peer;
use tracing::debug;
use web_time::{SystemTime, UNIX_EPOCH};

use crate::client::signing_secret;
use crate::codec::{self, Message};
use crate::error::Reply;
use crate::error::SyncError;
use crate::protocol::{Protocol, State};

pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/souk/sync/1.0.0");

pub type Codec = codec::Codec<SyncRequest, SyncResponse>;

/// The sync protocol: request-response, and the requests in flight.
pub type Sync = Protocol<request_response::Behaviour<Codec>, Requests>;

/// Sync requests in flight, where each answer goes, and the key this node signs its heads
/// with (its peer key, so a syncing peer can hold it to them).
#[derive(Debug)]
pub struct Requests {
    pending: HashMap<OutboundRequestId, Reply<SyncResponse>>,
    key: SigningKey,
}

/// What the sync protocol tells the node.
#[derive(Debug)]
pub enum SyncEvent {
    /// A peer asks: answer with [`Sync::answer`].
    Asked { peer: PeerId, request: SyncRequest, channel: ResponseChannel<SyncResponse> },
    /// A peer sent an answer that does not decode or breaks the size limit.
    Broken { peer: PeerId, error: String },
}

impl State<request_response::Behaviour<Codec>> for Requests {
    type Event = SyncEvent;

    fn on_event(
        &mut self,
        _: &mut request_response::Behaviour<Codec>,
        event: request_response::Event<SyncRequest, SyncResponse>,
    ) -> Option<SyncEvent> {
        use request_response::{Event, Message, OutboundFailure};
        match event {
            Event::Message { peer, message: Message::Request { request, channel, .. }, .. } => {
                Some(SyncEvent::Asked { peer, request, channel })
            }
            Event::Message { message: Message::Response { request_id, response }, .. } => {
                let _ = self.pending.remove(&request_id)?.send(Ok(response));
                None
            }
            Event::OutboundFailure { request_id, error, peer, .. } => {
                let reply = self.pending.remove(&request_id)?;
                let _ = reply.send(Err(SyncError::Request(error.to_string()).into()));
                // A malformed or oversized answer shows as an I/O failure of the request.
                matches!(error, OutboundFailure::Io(_))
                    .then(|| SyncEvent::Broken { peer, error: error.to_string() })
            }
            Event::InboundFailure { peer, error, .. } => {
                debug!(%peer, %error, "a sync request failed");
                None
            }
            Event::ResponseSent { .. } => None,
        }
    }
}

impl Sync {
    /// The protocol for a node whose identity is `key`. (Souk's identities are ed25519; any
    /// other signs heads with a key no peer will take.)
    pub fn new(timeout: Duration, key: &Keypair) -> Self {
        let key = SigningKey::from_bytes(&signing_secret(key).unwrap_or_default());
        Protocol::wrap(codec::behaviour(PROTOCOL, timeout), Requests { pending: HashMap::new(), key })
    }

    /// Answers `peer`'s `request` as the core decides (from its catalog; an offer taken or
    /// refused), a head signed now.
    pub fn answer(
        &mut self,
        channel: ResponseChannel<SyncResponse>,
        core: &mut Peer<PeerId>,
        peer: PeerId,
        request: SyncRequest,
        epoch: u64,
    ) {
        let response = core.answer(peer, request, epoch, unix_seconds(), &self.state.key);
        self.respond(channel, response);
    }

    pub(crate) fn ask(&mut self, peer: PeerId, request: SyncRequest, reply: Reply<SyncResponse>) {
        let id = self.inner.send_request(&peer, request);
        self.state.pending.insert(id, reply);
    }

    pub fn respond(&mut self, channel: ResponseChannel<SyncResponse>, response: SyncResponse) {
        // The requester may have gone; then there is no one to answer.
        let _ = self.inner.send_response(channel, response);
    }
}

/// Now, in Unix seconds: the one clock signed heads, records and statements are stamped
/// with, and heads judged by.
pub fn unix_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Message for SyncRequest {
    const MAX_LEN: usize = MAX_REQUEST_LEN;

    fn to_bytes(&self) -> Vec<u8> {
        self.encode()
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        SyncRequest::decode(bytes).map_err(|e| e.to_string())
    }
}

impl Message for SyncResponse {
    const MAX_LEN: usize = MAX_RESPONSE_LEN;

    fn to_bytes(&self) -> Vec<u8> {
        self.encode()
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        SyncResponse::decode(bytes).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use souk_core::catalog::{Head, SignedHead};

    use super::*;

    #[test]
    fn messages_round_trip_through_the_codec_and_refuse_garbage() {
        for request in [SyncRequest::Head, SyncRequest::Chunk([3; 32]), SyncRequest::Since(u64::MAX)] {
            assert_eq!(SyncRequest::from_bytes(&request.to_bytes()), Ok(request));
        }
        let head = Head { seq: 9, base_seq: 4, chunks: vec![[1; 32], [2; 32]], chain: [3; 32] };
        let key = SigningKey::from_bytes(&[4; 32]);
        for response in [
            SyncResponse::Head(SignedHead::sign(7, head, 1_800_000_000, &key)),
            SyncResponse::Chunk(vec![1, 2, 3]),
            SyncResponse::Records { records: vec![b"r".to_vec()], more: true },
            SyncResponse::Rebase,
            SyncResponse::NotFound,
        ] {
            assert_eq!(SyncResponse::from_bytes(&response.to_bytes()), Ok(response));
        }
        assert!(SyncRequest::from_bytes(&[0xff]).is_err());
        assert!(SyncResponse::from_bytes(&[]).is_err());
    }
}
