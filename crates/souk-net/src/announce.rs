//! `souk/announce/2`: new pack records, announced by gossipsub.
//!
//! A message is a pack record and nothing else: the record carries its publisher's
//! signature, so gossipsub adds none of its own (anonymous messages, named by the hash of
//! their bytes), and each copy a peer receives costs a hash, not a signature check, before
//! gossipsub drops it as a duplicate. Messages are no larger than a record. Gossipsub holds each
//! one until the node has checked it ([`Announce::report`]): a valid record is forwarded to
//! the mesh, anything else is dropped there (and the core counts it against the peer that
//! sent it). Gossipsub's streams do not hold connections open
//! ([`OwnKeepAlive`]): only mesh peers stay connected.

use libp2p::gossipsub::{PeerScoreParams, PeerScoreThresholds, TopicScoreParams};
use libp2p::{PeerId, gossipsub};
use souk_core::body::content_hash;
use souk_core::peer::Verdict;
use souk_core::record::MAX_RECORD_LEN;

use crate::keep_alive::OwnKeepAlive;
use crate::protocol::{Protocol, State};

/// Where new pack records are announced.
pub const TOPIC: &str = "souk/announce/2";

pub fn topic() -> gossipsub::IdentTopic {
    gossipsub::IdentTopic::new(TOPIC)
}

type Gossipsub = OwnKeepAlive<gossipsub::Behaviour>;

/// The announce protocol.
pub type Announce = Protocol<Gossipsub, Announcements>;

/// Announcements hold no state of their own: each is checked as it arrives.
#[derive(Debug, Default)]
pub struct Announcements;

/// An announcement heard, waiting for the node's verdict.
#[derive(Debug)]
pub struct Heard {
    pub from: PeerId,
    pub id: gossipsub::MessageId,
    pub data: Vec<u8>,
}

impl State<Gossipsub> for Announcements {
    type Event = Heard;

    fn on_event(&mut self, _: &mut Gossipsub, event: gossipsub::Event) -> Option<Heard> {
        match event {
            gossipsub::Event::Message { propagation_source, message_id, message } => {
                Some(Heard { from: propagation_source, id: message_id, data: message.data })
            }
            _ => None,
        }
    }
}

/// Gossipsub's peer scoring on Souk's one topic: a peer whose announcements the node
/// rejects (bad signatures, broken rules) loses score by the square of their count, and
/// three quickly take it past every threshold: its gossip is no longer asked for, its
/// messages no longer taken (graylisted). The score decays by a tenth a second, so a peer
/// that stops recovers; one that goes on is soon banned by the node's own reputation.
/// Only invalid messages and protocol misbehaviour count: announcements are rare, so
/// delivery-rate scores would punish quiet honest peers, and many tabs share an address
/// (a NAT, loopback), so colocation does not count either.
fn scoring() -> (PeerScoreParams, PeerScoreThresholds) {
    let on_topic = TopicScoreParams {
        topic_weight: 1.0,
        time_in_mesh_weight: 0.0,
        first_message_deliveries_weight: 0.0,
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        invalid_message_deliveries_weight: -10.0,
        invalid_message_deliveries_decay: 0.9,
        ..TopicScoreParams::default()
    };
    let params = PeerScoreParams {
        topics: [(topic().hash(), on_topic)].into(),
        ip_colocation_factor_weight: 0.0,
        ..PeerScoreParams::default()
    };
    (params, PeerScoreThresholds::default())
}

/// Subscribed to [`TOPIC`].
impl Default for Announce {
    fn default() -> Self {
        // Anonymous messages no larger than a record, named by their content (the same
        // record from two peers is one message), each checked by the node before it is
        // forwarded.
        let config = gossipsub::ConfigBuilder::default()
            .max_transmit_size(MAX_RECORD_LEN + 1024)
            .validation_mode(gossipsub::ValidationMode::Anonymous)
            .message_id_fn(|message| gossipsub::MessageId::new(&content_hash(&message.data)))
            .validate_messages()
            .build()
            .expect("a constant, valid gossipsub configuration");
        let mut gossipsub = gossipsub::Behaviour::new(gossipsub::MessageAuthenticity::Anonymous, config)
            .expect("anonymous messages with anonymous validation are a valid pairing");
        let (params, thresholds) = scoring();
        gossipsub.with_peer_score(params, thresholds).expect("a constant, valid scoring");
        gossipsub.subscribe(&topic()).expect("a fresh behaviour can subscribe");
        Protocol::wrap(OwnKeepAlive::new(gossipsub), Announcements)
    }
}

impl Announce {
    /// Announces record bytes to whoever listens now. A peer with no listener yet learns
    /// the record from the DHT or a sync instead, so an announcement nobody hears is fine.
    pub fn publish(&mut self, record: Vec<u8>) {
        let _ = self.inner.publish(topic(), record);
    }

    /// Gossipsub's score of `peer`, if it is known.
    pub fn score(&self, peer: &PeerId) -> Option<f64> {
        self.inner.peer_score(peer)
    }

    /// The node's verdict on an announcement: forwarded if valid; dropped if not, and held
    /// against its sender in gossipsub's score unless no one is to blame (a publisher over
    /// its quota).
    pub fn report(&mut self, heard: &Heard, verdict: Verdict) {
        let acceptance = match verdict {
            Verdict::New | Verdict::Known => gossipsub::MessageAcceptance::Accept,
            Verdict::Ignored => gossipsub::MessageAcceptance::Ignore,
            Verdict::Refused => gossipsub::MessageAcceptance::Reject,
        };
        self.inner.report_message_validation_result(&heard.id, &heard.from, acceptance);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_wait_for_the_nodes_verdict_and_other_events_pass() {
        let mut announce = Announce::default();
        let from = PeerId::random();
        let message = gossipsub::Event::Message {
            propagation_source: from,
            message_id: gossipsub::MessageId::new(b"id"),
            message: gossipsub::Message {
                source: None,
                data: b"record".to_vec(),
                sequence_number: None,
                topic: topic().hash(),
            },
        };
        let heard = announce.state.on_event(&mut announce.inner, message).expect("heard");
        assert_eq!((heard.from, heard.data.as_slice()), (from, &b"record"[..]));
        // An unknown message id is no error: gossipsub may have dropped it meanwhile.
        announce.report(&heard, Verdict::Refused);
        let subscribed = gossipsub::Event::Subscribed { peer_id: from, topic: topic().hash() };
        assert!(announce.state.on_event(&mut announce.inner, subscribed).is_none());
    }
}
