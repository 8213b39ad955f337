//! `/souk/fetch/1.0.0` between real swarms on 127.0.0.1, over TCP and over QUIC: a body
//! comes back checked against its hash, and lying or flooding peers are refused.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{serve, start, within};
use libp2p::{Multiaddr, PeerId};
use souk_net::fetch::{FetchError, MAX_BODY_LEN};
use souk_net::testing::LyingStore;
use souk_net::{MemoryStore, NodeError, NodeHandle};

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

    let client = start(MemoryStore::default()).await;
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
    let (liar, addr) = serve(LyingStore::new(b"not the body you asked for"), "/ip4/127.0.0.1/tcp/0").await;
    let client = start(MemoryStore::default()).await;
    let peer = connect(&client, &liar, addr).await;
    assert_eq!(
        within("fetching", client.fetch(peer, [1; 32])).await,
        Err(NodeError::Fetch(FetchError::WrongHash))
    );
}

#[tokio::test]
async fn an_oversized_body_is_refused_and_the_node_lives_on() {
    let flood = vec![7u8; MAX_BODY_LEN + 1];
    let (flooder, addr) = serve(LyingStore::new(&flood), "/ip4/127.0.0.1/tcp/0").await;
    let client = start(MemoryStore::default()).await;
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
    let (liar, liar_addr) = serve(LyingStore::new(b"a forgery"), "/ip4/127.0.0.1/tcp/0").await;
    let client = start(MemoryStore::default()).await;
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

/// A peer that asks for bodies as fast as it is answered, 32 at a time, with no regard for
/// the refusals: a burst is served, then its requests are dropped, then it is disconnected
/// and its next dial refused; another peer is served throughout.
#[tokio::test]
async fn a_peer_flooding_fetches_is_cut_off() {
    let (server, addr) = serve(MemoryStore::default(), "/ip4/127.0.0.1/tcp/0").await;
    let flooder = start(MemoryStore::default()).await;
    let peer = connect(&flooder, &server, addr.clone()).await;
    let mut answered = 0;
    for _ in 0..100 {
        let batch = (0..32).map(|_| flooder.fetch(peer, [9; 32]));
        let results = futures::future::join_all(batch).await;
        answered += results.iter().filter(|r| **r == Err(NodeError::Fetch(FetchError::NotFound))).count();
        if !flooder.peers().await.unwrap().iter().any(|p| p.peer_id == peer) {
            break;
        }
    }
    // Its burst was answered (NotFound, the hash is no body's), then it was dropped.
    let burst = souk_core::peer::PeerConfig::default().rates.fetch.burst as usize;
    assert!((burst..2 * burst).contains(&answered), "{answered} answered");
    assert!(!flooder.peers().await.unwrap().iter().any(|p| p.peer_id == peer), "still connected");
    assert!(within("dialing again", flooder.dial(addr.clone())).await.is_err(), "let back in at once");
    let honest = start(MemoryStore::default()).await;
    let peer = connect(&honest, &server, addr).await;
    assert_eq!(
        within("fetching", honest.fetch(peer, [9; 32])).await,
        Err(NodeError::Fetch(FetchError::NotFound))
    );
}
