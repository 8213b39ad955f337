//! The DHT and gossip between real swarms on 127.0.0.1: a pack published on one peer is
//! announced to the others and found by name through a third, checked, and its body
//! fetched by hash; a forged record never comes back from a lookup.
#![cfg(not(target_arch = "wasm32"))]

use std::time::Duration;

use futures::StreamExt;
use libp2p::Multiaddr;
use libp2p::identity::Keypair;
use souk_core::record::PackRecord;
use souk_net::node::{MemoryStore, NodeError, native_swarm};
use souk_net::{Node, NodeEvent, NodeHandle};

async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), f).await.unwrap_or_else(|_| panic!("{what} took over 30 s"))
}

async fn start(listen: bool) -> (NodeHandle, Option<Multiaddr>) {
    let (node, handle) =
        Node::new(native_swarm(Keypair::generate_ed25519()).unwrap(), MemoryStore::default());
    tokio::spawn(node.run());
    let addr = match listen {
        true => {
            Some(within("listening", handle.listen("/ip4/127.0.0.1/tcp/0".parse().unwrap())).await.unwrap())
        }
        false => None,
    };
    (handle, addr)
}

/// Publishes, retrying while the routing table is still empty (identify has not yet told
/// the publisher who speaks the DHT); at most 50 tries.
async fn publish(node: &NodeHandle, record: &PackRecord, body: &[u8]) {
    for _ in 0..50 {
        match node.publish(record.clone(), body.to_vec()).await {
            Ok(()) => return,
            Err(NodeError::Publish(_)) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => panic!("publishing failed: {e}"),
        }
    }
    panic!("publishing never reached a peer");
}

/// A listening bootstrap peer and two peers connected to it (the first listening too, so
/// others can fetch from it). A node stops when its last handle goes, so tests bind
/// `_bootstrap` to keep it running.
struct Network {
    _bootstrap: NodeHandle,
    first: NodeHandle,
    first_addr: Multiaddr,
    second: NodeHandle,
}

async fn network() -> Network {
    let (bootstrap, bootstrap_addr) = start(true).await;
    let (first, first_addr) = start(true).await;
    let (second, _) = start(false).await;
    let bootstrap_addr = bootstrap_addr.unwrap();
    within("dialing", first.dial(bootstrap_addr.clone())).await.unwrap();
    within("dialing", second.dial(bootstrap_addr)).await.unwrap();
    Network { _bootstrap: bootstrap, first, first_addr: first_addr.unwrap(), second }
}

fn signed_demo_pack(name: &str) -> (PackRecord, Vec<u8>) {
    let pack = souk_pack::demo::packs().unwrap().into_iter().find(|p| p.version.name == name).unwrap();
    (PackRecord::sign(pack.version, &[7; 32]).unwrap(), pack.body)
}

#[tokio::test]
async fn a_published_pack_is_found_by_name_and_fetched_by_hash() {
    let Network { _bootstrap, first: publisher, first_addr: publisher_addr, second: reader } =
        network().await;
    let (record, body) = signed_demo_pack("rust-cli");
    within("publishing", publish(&publisher, &record, &body)).await;

    // Any spelling of the name finds it; the record is checked on the way.
    let found = within("looking up", reader.lookup("Rust_CLI")).await.unwrap();
    assert_eq!(found, record);
    let hash = found.pack.content_hash.unwrap();
    let peer = within("dialing", reader.dial(publisher_addr)).await.unwrap();
    assert_eq!(within("fetching", reader.fetch(peer, hash)).await.unwrap(), body);

    assert_eq!(
        within("looking up", reader.lookup("no-such-pack")).await,
        Err(NodeError::NotFound("no-such-pack".into()))
    );
}

#[tokio::test]
async fn a_forged_record_is_never_returned() {
    let Network { _bootstrap, first: forger, second: reader, .. } = network().await;

    // Signed by one key, then claimed for another: the signature no longer matches.
    let (mut forged, body) = signed_demo_pack("axum-service");
    forged.pack.publisher = Some([1; 32]);
    within("publishing", publish(&forger, &forged, &body)).await;

    assert_eq!(
        within("looking up", reader.lookup("axum-service")).await,
        Err(NodeError::NotFound("axum-service".into()))
    );
}

#[tokio::test]
async fn a_published_pack_is_announced_to_the_other_peers() {
    let Network { _bootstrap, first: publisher, second: listener, .. } = network().await;
    let mut events = listener.events().await.unwrap();

    let (record, body) = signed_demo_pack("dockerfile-rust");
    // Gossip meshes form on heartbeats: announce until the listener hears it, at most 30 times.
    for _ in 0..30 {
        within("publishing", publish(&publisher, &record, &body)).await;
        if let Ok(Some(NodeEvent::Announced(heard))) =
            tokio::time::timeout(Duration::from_millis(500), events.next()).await
        {
            assert_eq!(*heard, record);
            return;
        }
    }
    panic!("the announcement never arrived");
}
