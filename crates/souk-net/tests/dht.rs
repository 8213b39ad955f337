//! The DHT, gossip and index sync between real swarms on 127.0.0.1: a pack published on
//! one peer is announced to the others, found by name through a third, checked, and its
//! body fetched from a provider by hash; forged records are refused, cost their sender
//! reputation and are never stored; a new peer syncs the whole index from another.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::time::Duration;

use common::{Network, network, publish, serve, signed_demo_pack, start, within};
use futures::StreamExt;
use libp2p::kad;
use souk_core::catalog::{Catalog, SignedHead};
use souk_core::peer::Via;
use souk_core::peer::dht::record_key;
use souk_core::record::PackRecord;
use souk_net::sync::{SyncRequest, SyncResponse, unix_seconds};
use souk_net::{MemoryStore, NodeError, NodeEvent, SearchRequest};

const ALICE: [u8; 32] = [7; 32];
const MALLORY: [u8; 32] = [8; 32];

#[tokio::test]
async fn a_published_pack_is_found_by_name_and_fetched_from_a_provider() {
    let Network { _bootstrap, first: publisher, second: reader, .. } = network().await;
    let (record, body) = signed_demo_pack("rust-cli", &ALICE);
    within("publishing", publish(&publisher, &record, &body)).await;

    // Any spelling of the name finds it; the record is checked on the way.
    let found = within("looking up", reader.lookup("Rust_CLI")).await.unwrap();
    assert_eq!(found, record);
    // The reader never dialed the publisher: the DHT names it as the body's provider.
    let hash = found.pack.content_hash.unwrap();
    assert_eq!(within("finding providers", reader.providers(hash)).await.unwrap(), [publisher.peer_id()]);
    assert_eq!(within("fetching", reader.fetch_any(hash)).await.unwrap().1, body);

    assert_eq!(
        within("looking up", reader.lookup("no-such-pack")).await,
        Err(NodeError::NotFound("no-such-pack".into()))
    );

    // A second lookup of a name is answered by the cache, as was `fetch_any`'s providers.
    within("looking up", reader.lookup("rust-cli")).await.unwrap();
    let stats = reader.stats().await.unwrap();
    assert_eq!(stats.cache.hot_hits, 2, "{stats:?}");
    assert_eq!(stats.lookups.count, 2);
}

/// Kademlia's own message limit (16 KiB unless set) is raised to hold the largest record.
#[tokio::test]
async fn a_record_near_the_size_limit_is_put_and_found() {
    let Network { _bootstrap, first: publisher, second: reader, .. } = network().await;
    let (demo, body) = signed_demo_pack("rust-cli", &ALICE);
    let mut pack = demo.pack.clone();
    pack.name = "large-pack".into();
    // As many dependencies and authors as a pack may have, each as long as it may be.
    pack.dependencies = (0..256)
        .map(|i| souk_core::Dependency { name: format!("d{i:0>63}"), req: "^1.2.3".parse().unwrap() })
        .collect();
    pack.authors = (0..20).map(|i| format!("{i:0>120}")).collect();
    let record = PackRecord::sign(pack, &ALICE).unwrap();
    assert!(record.encode().len() > 20 * 1024);
    within("publishing", publish(&publisher, &record, &body)).await;
    assert_eq!(within("looking up", reader.lookup("large-pack")).await.unwrap(), record);
}

#[tokio::test]
async fn search_falls_back_to_the_dht_for_a_name_the_index_lacks() {
    let Network { _bootstrap, first: publisher, second: reader, .. } = network().await;
    let (record, body) = signed_demo_pack("axum-service", &ALICE);
    within("publishing", publish(&publisher, &record, &body)).await;

    let request = SearchRequest { text: "axum-service".into(), ..SearchRequest::default() };
    let page = within("searching", reader.search(request.clone())).await.unwrap();
    assert_eq!(page.packs, [record.pack]);
    // The record found is now in the reader's own index: the next search is local.
    let page = within("searching", reader.search(request)).await.unwrap();
    assert!(!page.from_network);
    assert_eq!(page.packs[0].name, "axum-service");
    assert_eq!(reader.stats().await.unwrap().searches.count, 2);
}

#[tokio::test]
async fn forged_records_are_refused_and_cost_their_sender() {
    let Network { _bootstrap: bootstrap, first, second: reader, .. } = network().await;
    let bootstrap_addr = bootstrap.addresses().await.unwrap().remove(0);

    // Signed by one key, then claimed for another: the signature no longer matches, and a
    // Souk node refuses to publish it.
    let (mut forged, body) = signed_demo_pack("axum-service", &MALLORY);
    forged.pack.publisher = Some([1; 32]);
    assert!(matches!(first.publish(forged, body).await, Err(NodeError::Publish(_))));

    // A hostile peer with its own Kademlia puts a forgery straight into the DHT: the peer
    // that receives it refuses it, and the reader never gets it back.
    let (record, _) = signed_demo_pack("axum-service", &MALLORY);
    let mut bytes = record.encode();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    assert!(PackRecord::decode(&bytes).is_err());
    let forger = within(
        "forging",
        put_raw(bootstrap_addr, kad::Record::new(kad::RecordKey::new(&record_key("axum-service")), bytes)),
    )
    .await;
    assert_eq!(
        within("looking up", reader.lookup("axum-service")).await,
        Err(NodeError::NotFound("axum-service".into()))
    );
    let refused = bootstrap.stats().await.unwrap().refused_total();
    assert!(refused >= 1, "the bootstrap peer refused {refused} records");
    assert!(bootstrap.reputation(forger).await.unwrap().failures >= 1, "the forger lost reputation");
    assert_eq!(bootstrap.stats().await.unwrap().packs, 0, "nothing of the forgery is kept");
}

#[tokio::test]
async fn a_name_belongs_to_its_first_publisher() {
    let Network { _bootstrap: bootstrap, first: owner, second: squatter, .. } = network().await;
    let (record, body) = signed_demo_pack("rust-ci", &ALICE);
    within("publishing", publish(&owner, &record, &body)).await;
    within("syncing", squatter.sync_index(bootstrap.peer_id())).await.unwrap();

    // The squatter's node knows the owner now, and refuses to publish the name under
    // another key.
    let (squatted, body) = signed_demo_pack("rust-ci", &MALLORY);
    let refused = squatter.publish(squatted, body).await;
    assert!(
        matches!(&refused, Err(NodeError::Publish(why)) if why.to_string().contains("belongs to other publishers"))
    );
}

#[tokio::test]
async fn a_published_pack_is_announced_to_the_other_peers() {
    let Network { _bootstrap, first: publisher, second: listener, .. } = network().await;
    let mut events = listener.events().await.unwrap();

    let (demo, body) = signed_demo_pack("dockerfile-rust", &ALICE);
    // Gossip meshes form on heartbeats, and gossip passes a record once (a message is named
    // by its bytes): announce new packs until the listener hears one, at most 30.
    for i in 0..30 {
        let mut pack = demo.pack.clone();
        pack.name = format!("dockerfile-rust-{i}");
        let record = PackRecord::sign(pack, &ALICE).unwrap();
        within("publishing", publish(&publisher, &record, &body)).await;
        let deadline = tokio::time::sleep(Duration::from_millis(500));
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                event = events.next() => match event {
                    Some(NodeEvent::Learned { entry: heard, via: Via::Gossip, .. }) => {
                        assert_eq!(*heard, record.clone().into());
                        return;
                    }
                    Some(_) => continue,
                    None => panic!("the node stopped"),
                },
                _ = &mut deadline => break,
            }
        }
    }
    panic!("the announcement never arrived");
}

#[tokio::test]
async fn a_new_peer_syncs_the_whole_index_then_only_what_is_new() {
    let (source, addr) = serve(MemoryStore::default(), "/ip4/127.0.0.1/tcp/0").await;
    let packs = souk_pack::demo::packs().unwrap();
    for pack in &packs {
        let record = PackRecord::sign(pack.version.clone(), &ALICE).unwrap();
        assert_eq!(source.publish(record, pack.body.clone()).await, Ok(0));
    }

    let reader = start(MemoryStore::default()).await;
    let peer = within("dialing", reader.dial(addr)).await.unwrap();
    let report = within("syncing", reader.sync_index(peer)).await.unwrap();
    assert_eq!((report.accepted, report.refused), (packs.len(), 0));
    let digest = |index: &souk_core::Index| index.to_snapshot();
    assert_eq!(reader.read(digest).await.unwrap(), source.read(digest).await.unwrap());

    // Nothing new: nothing fetched. One new version: only it.
    let again = within("syncing", reader.sync_index(peer)).await.unwrap();
    assert_eq!((again.base_bytes, again.accepted), (0, 0));
    let mut newer = packs[0].version.clone();
    newer.version = "9.0.0".parse().unwrap();
    source.publish(PackRecord::sign(newer, &ALICE).unwrap(), packs[0].body.clone()).await.unwrap();
    let again = within("syncing", reader.sync_index(peer)).await.unwrap();
    // (Gossip may have brought the new version first; then the sync has nothing new.)
    assert_eq!((again.base_bytes, again.seq), (0, packs.len() as u64 + 1));
    let name = packs[0].version.name.clone();
    let latest = reader.read(move |index| index.latest(&name).map(|p| p.version().to_owned())).await;
    assert_eq!(latest.unwrap().as_deref(), Some("9.0.0"));
}

/// A hostile peer: a bare Kademlia speaking Souk's protocol and none of its rules, which
/// puts `record` to the peer at `to` and waits until the put is done; answers its peer id.
async fn put_raw(to: libp2p::Multiaddr, record: kad::Record) -> libp2p::PeerId {
    use libp2p::swarm::SwarmEvent;
    let mut swarm = raw_kad_swarm();
    swarm.dial(to.clone()).unwrap();
    loop {
        match swarm.select_next_some().await {
            SwarmEvent::ConnectionEstablished { peer_id, .. } => {
                swarm.behaviour_mut().add_address(&peer_id, to.clone());
                swarm.behaviour_mut().put_record(record.clone(), kad::Quorum::One).unwrap();
            }
            SwarmEvent::Behaviour(kad::Event::OutboundQueryProgressed {
                result: kad::QueryResult::PutRecord(_),
                step,
                ..
            }) if step.last => return *swarm.local_peer_id(),
            _ => {}
        }
    }
}

/// A bare Kademlia node on Souk's DHT protocol: a peer that is not Souk's code.
fn raw_kad_swarm() -> libp2p::Swarm<kad::Behaviour<kad::store::MemoryStore>> {
    libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(Default::default(), libp2p::noise::Config::new, libp2p::yamux::Config::default)
        .unwrap()
        .with_behaviour(|key| {
            let id = key.public().to_peer_id();
            let config = kad::Config::new(souk_net::dht::PROTOCOL);
            kad::Behaviour::with_config(id, kad::store::MemoryStore::new(id), config)
        })
        .unwrap()
        .build()
}

/// A peer that puts forgery after forgery is banned: the node closes its connection and
/// refuses the next one, while an honest peer goes on being served.
#[tokio::test]
async fn a_peer_that_keeps_forging_is_disconnected_and_refused() {
    use libp2p::swarm::SwarmEvent;
    let Network { _bootstrap: bootstrap, second: reader, .. } = network().await;
    let to = bootstrap.addresses().await.unwrap().remove(0);
    let (record, _) = signed_demo_pack("axum-service", &MALLORY);
    let mut forged = record.encode();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let forgery = kad::Record::new(kad::RecordKey::new(&record_key("axum-service")), forged);

    let mut swarm = raw_kad_swarm();
    swarm.dial(to.clone()).unwrap();
    let closed = within("being banned", async {
        loop {
            match swarm.select_next_some().await {
                SwarmEvent::ConnectionEstablished { peer_id, .. } => {
                    swarm.behaviour_mut().add_address(&peer_id, to.clone());
                    for _ in 0..30 {
                        swarm.behaviour_mut().put_record(forgery.clone(), kad::Quorum::One).unwrap();
                    }
                }
                SwarmEvent::ConnectionClosed { num_established: 0, .. } => return true,
                _ => {}
            }
        }
    })
    .await;
    assert!(closed);
    // Dialing again: no connection lasts.
    swarm.dial(to.clone()).unwrap();
    within("being refused", async {
        loop {
            match swarm.select_next_some().await {
                SwarmEvent::ConnectionClosed { num_established: 0, .. }
                | SwarmEvent::OutgoingConnectionError { .. } => return,
                _ => {}
            }
        }
    })
    .await;
    assert!(bootstrap.stats().await.unwrap().refused_total() >= 19);
    assert!(reader.sync_index(bootstrap.peer_id()).await.is_ok(), "honest peers are still served");
}

/// Connections to one peer are bounded (`limits::MAX_CONNECTIONS_PER_PEER`) whatever the
/// transport: dial after dial to the same node over `listen`, those past the bound are
/// refused, and the peer goes on working.
async fn connections_to_one_peer_are_bounded_over(listen: &str) {
    let (node, to) = serve(MemoryStore::default(), listen).await;
    let dialer = start(MemoryStore::default()).await;
    let mut refused = Vec::new();
    for _ in 0..12 {
        if let Err(e) = within("dialing", dialer.dial(to.clone())).await {
            refused.push(e.to_string());
        }
    }
    let limit = souk_net::limits::MAX_CONNECTIONS_PER_PEER as usize;
    assert!(refused.len() >= 12 - limit, "{} of 12 dials refused", refused.len());
    assert!(refused.iter().all(|e| e.contains("limit")), "{refused:?}");
    assert!(dialer.sync_index(node.peer_id()).await.is_ok(), "the connections held still work");
}

#[tokio::test]
async fn connections_to_one_peer_are_bounded() {
    connections_to_one_peer_are_bounded_over("/ip4/127.0.0.1/tcp/0").await;
}

#[tokio::test]
async fn connections_to_one_peer_are_bounded_over_webtransport_too() {
    connections_to_one_peer_are_bounded_over("/ip4/127.0.0.1/udp/0/quic-v1/webtransport").await;
}

/// Gossipsub's scoring is wired to the node's checks: a peer whose announcements the node
/// rejects falls below the graylist threshold within a few messages, and is ignored there.
#[tokio::test]
async fn a_peer_gossiping_garbage_is_graylisted() {
    use libp2p::gossipsub::PeerScoreThresholds;
    use libp2p::identity::Keypair;
    use souk_net::Role;
    use souk_net::transport::{Transports, native_swarm};

    let (node, addr) = serve(MemoryStore::default(), "/ip4/127.0.0.1/tcp/0").await;
    let mut hostile =
        native_swarm(Keypair::generate_ed25519(), Role::Peer, Transports::generate().unwrap()).await.unwrap();
    let hostile_id = *hostile.local_peer_id();
    hostile.dial(addr).unwrap();
    let graylisted = PeerScoreThresholds::default().graylist_threshold;
    let sent = within("the hostile peer graylisted", async {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let mut sent = 0;
        loop {
            tokio::select! {
                _ = hostile.select_next_some() => {}
                _ = tick.tick() => {
                    let peers = node.peers().await.unwrap();
                    let score = peers.iter().find(|p| p.peer_id == hostile_id).and_then(|p| p.gossip_score);
                    if score.is_some_and(|s| s < graylisted) {
                        return sent;
                    }
                    hostile.behaviour_mut().announce.publish(format!("not a record {sent}").into_bytes());
                    sent += 1;
                }
            }
        }
    })
    .await;
    assert!(sent >= 3, "a slip or two is forgiven; {sent} messages sent");
}

#[tokio::test]
async fn a_peer_looks_up_and_publishes_as_soon_as_it_has_joined() {
    // A holder of a record, and a fresh peer that asks it first thing after joining: no
    // wait for identify, no retry.
    let (holder, addr) = serve(MemoryStore::default(), "/ip4/127.0.0.1/tcp/0").await;
    let (record, body) = signed_demo_pack("rust-cli", &ALICE);
    within("publishing alone", holder.publish(record.clone(), body)).await.unwrap();
    let reader = start(MemoryStore::default()).await;
    within("joining", reader.bootstrap(vec![addr.clone()])).await.unwrap();
    assert_eq!(within("looking up", reader.lookup("rust-cli")).await.unwrap(), record);

    let publisher = start(MemoryStore::default()).await;
    within("joining", publisher.bootstrap(vec![addr])).await.unwrap();
    let (record, body) = signed_demo_pack("axum-service", &ALICE);
    assert_eq!(within("publishing", publisher.publish(record, body)).await.unwrap(), 1);
}

/// A node whose process holds more memory than its limit refuses new connections, in and
/// out (`limits::MAX_MEMORY_SHARE` of the machine's by default; here a byte).
#[tokio::test]
async fn a_node_short_of_memory_refuses_new_connections() {
    use libp2p::identity::Keypair;
    use souk_net::transport::{Transports, native_swarm};
    let mut swarm =
        native_swarm(Keypair::generate_ed25519(), souk_net::Role::Peer, Transports::generate().unwrap())
            .await
            .unwrap();
    swarm.behaviour_mut().memory = libp2p::memory_connection_limits::Behaviour::with_max_bytes(1);
    let (node, full) = souk_net::Node::new(swarm, MemoryStore::default()).unwrap();
    tokio::spawn(node.run());
    let addr = within("listening", full.listen("/ip4/127.0.0.1/tcp/0".parse().unwrap())).await.unwrap();
    let (other, other_addr) = serve(MemoryStore::default(), "/ip4/127.0.0.1/tcp/0").await;
    // The limit is checked against a sample of the process's memory taken once a second or so.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let dialed = within("dialing out", full.dial(other_addr)).await;
    assert!(matches!(&dialed, Err(NodeError::Dial(why)) if why.contains("memory")), "{dialed:?}");
    assert!(within("dialing in", other.dial(addr)).await.is_err());
}

/// An index server that is not a node: each sync request is answered by `answer`, signed
/// with `secret` as the server's identity. Answers its address.
async fn index_server(
    secret: [u8; 32],
    mut answer: impl FnMut(SyncRequest) -> SyncResponse + Send + 'static,
) -> libp2p::Multiaddr {
    use libp2p::request_response::{Event, Message};
    use libp2p::swarm::SwarmEvent;

    let mut server = libp2p::SwarmBuilder::with_existing_identity(
        libp2p::identity::Keypair::ed25519_from_bytes(secret).unwrap(),
    )
    .with_tokio()
    .with_tcp(Default::default(), libp2p::noise::Config::new, libp2p::yamux::Config::default)
    .unwrap()
    .with_behaviour(|_| souk_net::codec::behaviour(souk_net::sync::PROTOCOL, Duration::from_secs(10)))
    .unwrap()
    .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(30)))
    .build();
    server.listen_on("/ip4/127.0.0.1/tcp/0".parse().unwrap()).unwrap();
    let addr = loop {
        if let SwarmEvent::NewListenAddr { address, .. } = server.select_next_some().await {
            break address;
        }
    };
    tokio::spawn(async move {
        loop {
            if let SwarmEvent::Behaviour(Event::Message {
                message: Message::Request { request, channel, .. },
                ..
            }) = server.select_next_some().await
            {
                let _ = server.behaviour_mut().send_response(channel, answer(request));
            }
        }
    });
    addr
}

/// A hostile index server: its head claims records it never sends, and every page it
/// answers is empty but says there are more. The sync ends (with nothing taken) instead of
/// asking forever.
#[tokio::test]
async fn a_sync_ends_when_a_peer_promises_records_it_never_sends() {
    let secret = [9; 32];
    let key = ed25519_dalek::SigningKey::from_bytes(&secret);
    // The base every new peer starts from, and five records after it that never come.
    let head = souk_core::catalog::Head { seq: 5, ..Catalog::default().head() };
    let signed = SignedHead::sign(1, head, unix_seconds(), &key);
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = asked.clone();
    let addr = index_server(secret, move |request| match request {
        SyncRequest::Head => SyncResponse::Head(signed.clone()),
        _ => {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            SyncResponse::Records { records: Vec::new(), more: true }
        }
    })
    .await;

    let reader = start(MemoryStore::default()).await;
    let peer = within("dialing", reader.dial(addr)).await.unwrap();
    let report = within("syncing", reader.sync_index(peer)).await.unwrap();
    assert_eq!((report.accepted, report.seq), (0, 0));
    assert_eq!(asked.load(std::sync::atomic::Ordering::Relaxed), 1, "one empty page ends the sync");
}

/// The first page after a base is asked for while the base arrives; an answer to it that
/// is not a page (here, out of turn) is asked again once the base is in, not taken for the
/// end of the log.
#[tokio::test]
async fn the_first_page_after_a_base_is_asked_again_when_its_answer_was_not_a_page() {
    let secret = [9; 32];
    let key = ed25519_dalek::SigningKey::from_bytes(&secret);
    let mut catalog = Catalog::default();
    for name in ["rust-cli", "rust-lib"] {
        catalog.accept(signed_demo_pack(name, &ALICE).0).unwrap();
    }
    catalog.compact();
    for name in ["rust-ci", "node-ci"] {
        catalog.accept(signed_demo_pack(name, &ALICE).0).unwrap();
    }
    let (base_seq, head_seq) = (catalog.head().base_seq, catalog.head().seq);
    assert!(!catalog.head().chunks.is_empty() && head_seq == base_seq + 2);
    let pages = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = pages.clone();
    let addr = index_server(secret, move |request| {
        let first_page = matches!(request, SyncRequest::Since(_))
            && counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 0;
        match first_page {
            true => SyncResponse::Rebase,
            false => catalog.answer(request, 1, unix_seconds(), &key),
        }
    })
    .await;

    let reader = start(MemoryStore::default()).await;
    let peer = within("dialing", reader.dial(addr)).await.unwrap();
    let report = within("syncing", reader.sync_index(peer)).await.unwrap();
    assert_eq!((report.accepted, report.seq), (2, head_seq));
    assert_eq!(pages.load(std::sync::atomic::Ordering::Relaxed), 2, "the first page was asked again");
    assert!(within("looking up", reader.lookup("node-ci")).await.is_ok());
}
