//! Networks of real souk-net nodes in one process, for the network benchmarks: over TCP
//! on 127.0.0.1 or over libp2p's memory transport (noise and yamux included).

use std::time::Duration;

use libp2p::core::transport::{MemoryTransport, Transport, upgrade};
use libp2p::identity::Keypair;
use libp2p::{Multiaddr, Swarm, kad, noise, tcp, yamux};
use serde::Serialize;
use souk_net::behaviour::IDLE_CONNECTION_TIMEOUT;
use souk_net::transport::{Transports, native_swarm};
use souk_net::{Behaviour, MemoryStore, Node, NodeHandle, Role};
use tokio::task::AbortHandle;

/// Peers each new node dials when it joins a network.
pub const JOIN_PEERS: usize = 3;
/// How long an unused connection stays open in a benchmark's own swarms ([`swarm`]).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Net {
    Memory,
    Tcp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Build {
    Joined,
    Converged,
}

/// A tiny deterministic generator: the same networks every run.
#[derive(Debug)]
pub struct Lcg(pub u64);

impl Lcg {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// A benchmark node's swarm: libp2p's memory transport and TCP (noise and yamux on both) and
/// the product's behaviour, with a converged network's DHT if `build` says so. The
/// connections each DHT walk opens would pile up for the product's 60 s (over TCP, past the
/// process's open files at 1,000 nodes), so they idle out sooner.
pub fn swarm(key: Keypair, build: Build) -> Swarm<Behaviour> {
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_other_transport(|key| {
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(
                MemoryTransport::default()
                    .or_transport(tcp::tokio::Transport::new(tcp::Config::default()))
                    .upgrade(upgrade::Version::V1)
                    .authenticate(noise::Config::new(key)?)
                    .multiplex(yamux::Config::default())
                    .boxed(),
            )
        })
        .expect("the transports build")
        .with_behaviour(|key| Behaviour::new(key, Role::Peer))
        .expect("the behaviour builds")
        .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_TIMEOUT))
        .build();
    if build == Build::Converged {
        converge(&mut swarm);
    }
    swarm
}

/// A converged network's node: its routing table is given, as a long-running network's
/// would be. Left to itself, each node would walk the DHT every 5 minutes, and test every
/// new peer against a full bucket by dialing the bucket's oldest entry, whose own full
/// bucket dials on: at 1,000 nodes sharing two cores, such chains of dials never let the
/// network settle. Done before the swarm runs, so no connection knows the DHT it replaces.
fn converge(swarm: &mut Swarm<Behaviour>) {
    let mut config = souk_net::dht::config();
    config.set_periodic_bootstrap_interval(None);
    config.set_kbucket_inserts(kad::BucketInserts::Manual);
    let id = *swarm.local_peer_id();
    *swarm.behaviour_mut().dht.inner_mut() =
        kad::Behaviour::with_config(id, souk_net::dht::DhtStore::in_memory(id), config);
}

/// A node of a benchmark's network, running on its own task.
#[derive(Debug)]
pub struct Member {
    pub handle: NodeHandle,
    pub addr: Multiaddr,
    /// Aborting it drops the node at once, as a peer that loses power would go.
    pub task: AbortHandle,
}

/// How long an unused connection stays open in a network's nodes: a joined TCP network is
/// made of the product's own swarms ([`node`]), every other of [`swarm`]s.
pub fn idle_timeout(net: Net, build: Build) -> Duration {
    match (net, build) {
        (Net::Tcp, Build::Joined) => IDLE_CONNECTION_TIMEOUT,
        _ => IDLE_TIMEOUT,
    }
}

/// A fresh node listening on `net`.
pub async fn node(net: Net) -> Member {
    let key = Keypair::generate_ed25519();
    let (swarm, listen) = match net {
        Net::Memory => (swarm(key, Build::Joined), "/memory/0"),
        Net::Tcp => {
            let browser = Transports::generate().expect("a certificate");
            (native_swarm(key, Role::Peer, browser).await.expect("the swarm builds"), "/ip4/127.0.0.1/tcp/0")
        }
    };
    let (node, handle) = Node::new(swarm, MemoryStore::default()).expect("a fresh node");
    let task = tokio::spawn(node.run()).abort_handle();
    let addr = handle.listen(listen.parse().unwrap()).await.expect("listens");
    Member { handle, addr, task }
}

/// `n` nodes, each joined to up to three earlier ones, with a moment for identify and the
/// DHT walks to fill the routing tables.
pub async fn network(n: usize, net: Net, rng: &mut Lcg) -> Vec<Member> {
    let mut nodes: Vec<Member> = Vec::with_capacity(n);
    for i in 0..n {
        let member = node(net).await;
        // A join can time out when every node is busy; then it tries other peers.
        for attempt in (0..).take_while(|_| i > 0) {
            let peers: Vec<Multiaddr> =
                (0..JOIN_PEERS.min(i)).map(|_| nodes[rng.below(i)].addr.clone()).collect();
            match member.handle.bootstrap(peers).await {
                Ok(_) => break,
                Err(e) if attempt < 3 => eprintln!("  node {i} could not join ({e}); trying other peers"),
                Err(e) => panic!("node {i} could not join: {e}"),
            }
        }
        nodes.push(member);
        if (i + 1) % 100 == 0 && n >= 1000 {
            eprintln!("  {} nodes joined", i + 1);
        }
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    nodes
}
