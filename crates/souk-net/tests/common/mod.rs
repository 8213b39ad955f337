//! What the network tests share: real swarms on 127.0.0.1 and a bound on every step, so
//! a broken network fails a test instead of hanging it.
#![allow(dead_code)] // each test binary uses its own part of this

use std::time::Duration;

use libp2p::Multiaddr;
use libp2p::identity::Keypair;
use souk_core::record::PackRecord;
use souk_net::transport::{Transports, native_swarm};
use souk_net::{MemoryStore, Node, NodeHandle, Role, Store};

pub async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), f).await.unwrap_or_else(|_| panic!("{what} took over 30 s"))
}

/// A running node over `store`; it stops when its last handle is dropped.
pub async fn start(store: impl Store) -> NodeHandle {
    let swarm =
        native_swarm(Keypair::generate_ed25519(), Role::Peer, Transports::generate().unwrap()).await.unwrap();
    let (node, handle) = Node::new(swarm, store).unwrap();
    tokio::spawn(node.run());
    handle
}

/// A node listening on `addr`, and where.
pub async fn serve(store: impl Store, addr: &str) -> (NodeHandle, Multiaddr) {
    let node = start(store).await;
    let addr = within("listening", node.listen(addr.parse().unwrap())).await.unwrap();
    (node, addr)
}

/// Publishes until the record reaches a peer: the routing table is empty until identify
/// has told the publisher who speaks the DHT; at most 50 tries.
pub async fn publish(node: &NodeHandle, record: &PackRecord, body: &[u8]) {
    for _ in 0..50 {
        match node.publish(record.clone(), body.to_vec()).await {
            Ok(0) => tokio::time::sleep(Duration::from_millis(100)).await,
            Ok(_) => return,
            Err(e) => panic!("publishing failed: {e}"),
        }
    }
    panic!("publishing never reached a peer");
}

/// A listening bootstrap peer and two peers connected to it (the first listening too, so
/// others can fetch from it). A node stops when its last handle goes, so tests bind
/// `_bootstrap` to keep it running.
pub struct Network {
    pub _bootstrap: NodeHandle,
    pub first: NodeHandle,
    pub first_addr: Multiaddr,
    pub second: NodeHandle,
}

pub async fn network() -> Network {
    let (bootstrap, bootstrap_addr) = serve(MemoryStore::default(), "/ip4/127.0.0.1/tcp/0").await;
    let (first, first_addr) = serve(MemoryStore::default(), "/ip4/127.0.0.1/tcp/0").await;
    let second = start(MemoryStore::default()).await;
    within("bootstrapping", first.bootstrap(vec![bootstrap_addr.clone()])).await.unwrap();
    within("bootstrapping", second.bootstrap(vec![bootstrap_addr])).await.unwrap();
    Network { _bootstrap: bootstrap, first, first_addr, second }
}

/// A demo pack signed by `key`, and its body.
pub fn signed_demo_pack(name: &str, key: &[u8; 32]) -> (PackRecord, Vec<u8>) {
    let pack = souk_pack::demo::packs().unwrap().into_iter().find(|p| p.version.name == name).unwrap();
    (PackRecord::sign(pack.version, key).unwrap(), pack.body)
}
