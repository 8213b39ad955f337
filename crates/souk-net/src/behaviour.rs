//! The composed behaviour: one field per protocol, as rust-libp2p composes them.

use std::time::Duration;

use libp2p::kad::{self, store::MemoryStore};
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::NetworkBehaviour;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::{StreamProtocol, gossipsub, identify, identity, ping, relay};
use souk_core::record::MAX_RECORD_LEN;

use crate::keep_alive::OwnKeepAlive;
use crate::{fetch, sync};

/// Souk's own Kademlia DHT: not the IPFS one.
pub const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/souk/kad/1.0.0");
/// How long a connection nothing uses stays open (mesh peers, relay reservations and
/// requests in flight keep theirs): long enough that a burst of lookups reuses it.
pub const IDLE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(60);
/// Where new pack records are announced.
pub const ANNOUNCE_TOPIC: &str = "souk/announce/1";

pub fn announce_topic() -> gossipsub::IdentTopic {
    gossipsub::IdentTopic::new(ANNOUNCE_TOPIC)
}

/// What every Souk peer speaks.
#[derive(NetworkBehaviour)]
#[allow(missing_debug_implementations)] // libp2p's protocol behaviours are not Debug
pub struct Behaviour {
    pub kad: kad::Behaviour<MemoryStore>,
    /// Its streams do not hold connections open: only mesh peers stay connected.
    pub gossipsub: OwnKeepAlive<gossipsub::Behaviour>,
    pub fetch: request_response::Behaviour<fetch::Codec>,
    pub sync: request_response::Behaviour<sync::Codec>,
    /// The circuit relay v2 server, on relays only.
    pub relay: Toggle<relay::Behaviour>,
    /// The circuit relay v2 client, in tabs: reachable through a relay's reservation.
    pub relay_client: Toggle<relay::client::Behaviour>,
    pub identify: identify::Behaviour,
    pub ping: ping::Behaviour,
}

/// What a node does for others beyond being a peer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Role {
    #[default]
    Peer,
    /// Also relays circuits for peers that cannot be dialed (browser tabs).
    Relay,
}

impl Behaviour {
    pub fn new(key: &identity::Keypair, role: Role) -> Self {
        let requests = request_response::Config::default().with_request_timeout(Duration::from_secs(30));
        let peer_id = key.public().to_peer_id();
        // Signed, strictly validated messages no larger than a record; each one is checked by
        // the node before it is forwarded.
        let gossip_config = gossipsub::ConfigBuilder::default()
            .max_transmit_size(MAX_RECORD_LEN + 1024)
            .validation_mode(gossipsub::ValidationMode::Strict)
            .validate_messages()
            .build()
            .expect("a constant, valid gossipsub configuration");
        let mut gossipsub =
            gossipsub::Behaviour::new(gossipsub::MessageAuthenticity::Signed(key.clone()), gossip_config)
                .expect("signing with the node's own key is always possible");
        gossipsub.subscribe(&announce_topic()).expect("a fresh behaviour can subscribe");
        Behaviour {
            gossipsub: OwnKeepAlive::new(gossipsub),
            kad: kad::Behaviour::with_config(peer_id, MemoryStore::new(peer_id), kad_config()),
            fetch: request_response::Behaviour::new(
                [(fetch::PROTOCOL, ProtocolSupport::Full)],
                requests.clone(),
            ),
            sync: request_response::Behaviour::new([(sync::PROTOCOL, ProtocolSupport::Full)], requests),
            relay: (role == Role::Relay).then(|| relay::Behaviour::new(peer_id, relay_config())).into(),
            relay_client: None.into(),
            identify: identify::Behaviour::new(identify::Config::new("/souk/1.0.0".into(), key.public())),
            ping: ping::Behaviour::default(),
        }
    }
}

/// Souk's Kademlia: its own protocol name, and every record a peer sends checked
/// (signature, rules) by the node before it is stored.
pub fn kad_config() -> kad::Config {
    let mut config = kad::Config::new(KAD_PROTOCOL);
    config.set_record_filtering(kad::StoreInserts::FilterBoth);
    config
}

impl Behaviour {
    /// A tab's behaviour: reachable only through `relay_client`'s reservations, it asks the
    /// DHT but never serves it (its circuit address would make it a slow, short-lived hop).
    pub fn in_a_tab(mut self, relay_client: relay::client::Behaviour) -> Self {
        self.kad.set_mode(Some(kad::Mode::Client));
        self.relay_client = Some(relay_client).into();
        self
    }
}

/// Room for many tabs, and circuits long and large enough to sync an index and fetch packs
/// through (the defaults, 2 minutes and 128 KiB, cut a fetch short).
fn relay_config() -> relay::Config {
    relay::Config {
        max_reservations: 1024,
        max_circuits: 256,
        max_circuit_duration: Duration::from_secs(10 * 60),
        max_circuit_bytes: 64 * 1024 * 1024,
        ..relay::Config::default()
    }
}
