//! `/souk/fetch/1.0.0` between real swarms on 127.0.0.1, over TCP and over QUIC: a body
//! comes back checked against its hash, and lying or flooding peers are refused.
#![cfg(not(target_arch = "wasm32"))]

use std::time::Duration;

use libp2p::identity::Keypair;
use libp2p::{Multiaddr, PeerId};
use souk_core::Digest;
use souk_net::fetch::{FetchError, MAX_BODY_LEN};
use souk_net::node::{MemoryStore, NodeError, native_swarm};
use souk_net::{Node, NodeHandle, Store};

/// Every network step is bounded, so a broken network fails the test instead of hanging it.
async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), f).await.unwrap_or_else(|_| panic!("{what} took over 20 s"))
}

fn start(store: impl Store) -> NodeHandle {
    let (node, handle) = Node::new(native_swarm(Keypair::generate_ed25519()).unwrap(), store);
    tokio::spawn(node.run());
    handle
}

/// A peer that serves `answer` whatever it is asked for.
struct Liar(Vec<u8>);

impl Store for Liar {
    fn body(&self, _: &Digest) -> Option<Vec<u8>> {
        Some(self.0.clone())
    }
    fn put_body(&mut self, _: Vec<u8>) -> Digest {
        [0; 32]
    }
}

async fn serve(store: impl Store, listen: &str) -> (NodeHandle, Multiaddr) {
    let node = start(store);
    let addr = within("listening", node.listen(listen.parse().unwrap())).await.unwrap();
    (node, addr)
}

async fn connect(from: &NodeHandle, to: &NodeHandle, addr: Multiaddr) -> PeerId {
    let peer = within("dialing", from.dial(addr)).await.unwrap();
    assert_eq!(peer, to.peer_id());
    peer
}

async fn fetches_bodies(listen: &str) {
    let pack = souk_pack::demo::packs().unwrap().into_iter().find(|p| p.version.name == "rust-cli").unwrap();
    let (server, addr) = serve(MemoryStore::default(), listen).await;
    let hash = server.put_body(pack.body.clone()).await.unwrap();
    assert_eq!(Some(hash), pack.version.content_hash);

    let client = start(MemoryStore::default());
    let peer = connect(&client, &server, addr).await;
    assert_eq!(within("fetching", client.fetch(peer, hash)).await.unwrap(), pack.body);
    assert_eq!(
        within("fetching", client.fetch(peer, [9; 32])).await,
        Err(NodeError::Fetch(FetchError::NotFound))
    );
}

#[tokio::test]
async fn fetches_a_body_by_its_hash_over_tcp() {
    fetches_bodies("/ip4/127.0.0.1/tcp/0").await;
}

#[tokio::test]
async fn fetches_a_body_by_its_hash_over_quic() {
    fetches_bodies("/ip4/127.0.0.1/udp/0/quic-v1").await;
}

#[tokio::test]
async fn a_lying_peer_is_caught_by_the_hash() {
    let (liar, addr) = serve(Liar(b"not the body you asked for".to_vec()), "/ip4/127.0.0.1/tcp/0").await;
    let client = start(MemoryStore::default());
    let peer = connect(&client, &liar, addr).await;
    assert_eq!(
        within("fetching", client.fetch(peer, [1; 32])).await,
        Err(NodeError::Fetch(FetchError::WrongHash))
    );
}

#[tokio::test]
async fn an_oversized_body_is_refused_and_the_node_lives_on() {
    let flood = vec![7u8; MAX_BODY_LEN as usize + 1];
    let (flooder, addr) = serve(Liar(flood), "/ip4/127.0.0.1/tcp/0").await;
    let client = start(MemoryStore::default());
    let peer = connect(&client, &flooder, addr).await;
    let result = within("fetching", client.fetch(peer, [1; 32])).await;
    assert!(matches!(result, Err(NodeError::Fetch(FetchError::Network(_)))), "{result:?}");
    // Still serving and fetching afterwards.
    let hash = client.put_body(b"still here".to_vec()).await.unwrap();
    assert_eq!(hash, souk_core::body::content_hash(b"still here"));
}

#[tokio::test]
async fn the_best_peer_serves_and_a_liar_is_passed_over() {
    let body = b"the real body".to_vec();
    let hash = souk_core::body::content_hash(&body);
    let (honest, honest_addr) = serve(MemoryStore::default(), "/ip4/127.0.0.1/tcp/0").await;
    honest.put_body(body.clone()).await.unwrap();
    let (liar, liar_addr) = serve(Liar(b"a forgery".to_vec()), "/ip4/127.0.0.1/tcp/0").await;
    let client = start(MemoryStore::default());
    let honest_peer = connect(&client, &honest, honest_addr).await;
    let liar_peer = connect(&client, &liar, liar_addr).await;

    // Both are strangers: whichever is tried first, the body comes from the honest one.
    let both = vec![liar_peer, honest_peer];
    let (served_by, fetched) = within("fetching", client.fetch_best(both.clone(), hash)).await.unwrap();
    assert_eq!((served_by, fetched), (honest_peer, body.clone()));
    let liar_failures = client.reputation(liar_peer).await.unwrap().failures;

    // Now the honest peer ranks first: the liar is not even asked.
    let (served_by, _) = within("fetching", client.fetch_best(both, hash)).await.unwrap();
    assert_eq!(served_by, honest_peer);
    assert_eq!(client.reputation(liar_peer).await.unwrap().failures, liar_failures);
    assert_eq!(client.reputation(honest_peer).await.unwrap().successes, 2);

    // Not having a body is no fault.
    assert_eq!(
        within("fetching", client.fetch(honest_peer, [3; 32])).await,
        Err(NodeError::Fetch(FetchError::NotFound))
    );
    assert_eq!(client.reputation(honest_peer).await.unwrap().failures, 0);
}
