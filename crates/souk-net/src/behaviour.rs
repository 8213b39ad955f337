//! The composed behaviour: one field per protocol, as rust-libp2p composes them.

use std::time::Duration;

use libp2p::connection_limits::{self, ConnectionLimits};
use libp2p::swarm::NetworkBehaviour;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::{PeerId, allow_block_list, identify, identity, kad, ping, relay};

use crate::announce::Announce;
use crate::dht::Dht;
use crate::fetch::Fetch;
use crate::limits::{MAX_CONNECTIONS_PER_PEER, MAX_INCOMING_ON_A_RELAY, MAX_PENDING_INCOMING};
use crate::sync::Sync;

/// How long a connection nothing uses stays open (mesh peers, relay reservations and
/// requests in flight keep theirs): long enough that a burst of lookups reuses it.
pub const IDLE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a fetch or sync request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What every Souk peer speaks.
#[derive(NetworkBehaviour)]
#[allow(missing_debug_implementations)] // libp2p's protocol behaviours are not Debug
pub struct Behaviour {
    /// Peers the core banned: disconnected, their connections refused until unblocked.
    pub blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    /// Connections past [`crate::limits`]'s bounds are refused.
    pub limits: connection_limits::Behaviour,
    /// New connections are refused while this process holds more than
    /// [`crate::limits::MAX_MEMORY_SHARE`] of the machine's memory.
    pub memory: MemoryLimits,
    pub dht: Dht,
    pub announce: Announce,
    pub fetch: Fetch,
    pub sync: Sync,
    /// The circuit relay v2 server, on relays only.
    pub relay: Toggle<RelayServer>,
    /// The circuit relay v2 client, in tabs: reachable through a relay's reservation.
    pub relay_client: Toggle<relay::client::Behaviour>,
    /// In tabs: answers other tabs' signaling for a direct WebRTC connection.
    pub direct: Toggle<Direct>,
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
        let peer_id = key.public().to_peer_id();
        Behaviour {
            blocked: Default::default(),
            limits: connection_limits::Behaviour::new(connection_limits(role)),
            memory: memory_limits(),
            dht: Dht::new(peer_id),
            announce: Announce::default(),
            fetch: Fetch::with_timeout(REQUEST_TIMEOUT),
            sync: Sync::new(REQUEST_TIMEOUT, key),
            relay: relay_server(role, peer_id).into(),
            relay_client: None.into(),
            direct: None.into(),
            identify: identify::Behaviour::new(identify::Config::new("/souk/1.0.0".into(), key.public())),
            ping: ping::Behaviour::default(),
        }
    }

    /// A tab's behaviour: reachable only through `relay_client`'s reservations, it asks the
    /// DHT but never serves it (its circuit address would make it a slow, short-lived hop).
    pub fn in_a_tab(mut self, relay_client: relay::client::Behaviour, direct: Direct) -> Self {
        self.dht.inner_mut().set_mode(Some(kad::Mode::Client));
        self.relay_client = Some(relay_client).into();
        self.direct = Some(direct).into();
        self
    }

    /// Direct connections to other tabs refused or given up, by reason (none but in tabs).
    pub fn direct_refused(&self) -> Vec<(&'static str, u64)> {
        #[cfg(target_arch = "wasm32")]
        if let Some(direct) = self.direct.as_ref() {
            return direct.refusals().snapshot();
        }
        Vec::new()
    }
}

#[cfg(not(target_arch = "wasm32"))]
type MemoryLimits = libp2p::memory_connection_limits::Behaviour;
/// A tab cannot read its own memory use; its browser bounds it.
#[cfg(target_arch = "wasm32")]
type MemoryLimits = libp2p::swarm::dummy::Behaviour;

fn memory_limits() -> MemoryLimits {
    #[cfg(not(target_arch = "wasm32"))]
    return MemoryLimits::with_max_percentage(crate::limits::MAX_MEMORY_SHARE);
    #[cfg(target_arch = "wasm32")]
    MemoryLimits {}
}

#[cfg(target_arch = "wasm32")]
type Direct = souk_webrtc::Behaviour;
/// Only a tab sets up WebRTC connections to other tabs.
#[cfg(not(target_arch = "wasm32"))]
type Direct = libp2p::swarm::dummy::Behaviour;

#[cfg(not(target_arch = "wasm32"))]
type RelayServer = relay::Behaviour;
/// A tab never relays for others: its module carries nothing of the server.
#[cfg(target_arch = "wasm32")]
type RelayServer = libp2p::swarm::dummy::Behaviour;

#[cfg(not(target_arch = "wasm32"))]
fn relay_server(role: Role, peer_id: PeerId) -> Option<RelayServer> {
    (role == Role::Relay).then(|| relay::Behaviour::new(peer_id, relay_config()))
}

#[cfg(target_arch = "wasm32")]
fn relay_server(_: Role, _: PeerId) -> Option<RelayServer> {
    None
}

fn connection_limits(role: Role) -> ConnectionLimits {
    let incoming = if role == Role::Relay { MAX_INCOMING_ON_A_RELAY } else { MAX_INCOMING_ON_A_RELAY / 10 };
    ConnectionLimits::default()
        .with_max_established_per_peer(Some(MAX_CONNECTIONS_PER_PEER))
        .with_max_pending_incoming(Some(MAX_PENDING_INCOMING))
        .with_max_established_incoming(Some(incoming))
}

/// Room for many tabs, and circuits long and large enough to sync an index and fetch packs
/// through (the defaults, 2 minutes and 128 KiB, cut a fetch short).
#[cfg(not(target_arch = "wasm32"))]
fn relay_config() -> relay::Config {
    relay::Config {
        max_reservations: 1024,
        max_circuits: 256,
        max_circuit_duration: Duration::from_secs(10 * 60),
        max_circuit_bytes: 64 * 1024 * 1024,
        ..relay::Config::default()
    }
}
