//! Installing from a real relay, and operations at once, over TCP on 127.0.0.1.
//!
//! A relay node (souk-net, the product's TCP/QUIC/WebSocket/WebRTC swarm) holds packs of
//! every size: small (one 2 KB file), medium (20 files, 200 KB), large (64 files, 4 MB)
//! and `app`, which needs 10 small libraries. Each measured install is a fresh peer's
//! first: it has dialed the relay and synced the index (not timed), then resolves, asks
//! the DHT who provides each body, fetches, checks and keeps them. Then 10 searches at
//! once, 5 peers installing at once, and a mix of searches, lookups and installs.
//!
//! The DHT at 10 / 100 / 1,000 peers, gossip, bootstrap and memory per peer take whole
//! networks and minutes: `net-latency` measures them.

use std::future::Future;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use futures::future::join_all;
use libp2p::identity::Keypair;
use libp2p::{Multiaddr, PeerId};
use souk_core::body::{self, PackFile};
use souk_core::record::PackRecord;
use souk_net::transport::{Transports, native_swarm};
use souk_net::{MemoryStore, Node, NodeHandle, Role, SearchRequest};
use tokio::runtime::Runtime;

const KEY: [u8; 32] = [7; 32];

/// A signed pack of `files` files of `len` pseudo-random bytes each, needing `deps`.
fn pack(name: &str, files: usize, len: usize, deps: &[String]) -> (PackRecord, Vec<u8>) {
    let mut seed = name.len() as u64;
    let files: Vec<PackFile> = (0..files)
        .map(|i| {
            let contents = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    (seed >> 56) as u8
                })
                .collect();
            PackFile { path: format!("src/file-{i}.txt"), contents }
        })
        .collect();
    // Its own souk.toml, as every pack carries: an install checks the body against the record.
    let requires: String = deps.iter().map(|d| format!("{d} = \"^1\"\n")).collect();
    let manifest = format!(
        "[pack]\nname = \"{name}\"\nversion = \"1.0.0\"\ndescription = \"A bench pack\"\nlicense = \"MIT\"\n\n[dependencies]\n{requires}"
    );
    let mut files = files;
    files.push(PackFile { path: souk_pack::MANIFEST_FILE.into(), contents: manifest.into_bytes() });
    let pack = souk_pack::LocalPack::from_files(files, 0).expect("a valid pack");
    (PackRecord::sign(pack.version, &KEY).expect("signs"), pack.body)
}

/// Every pack the relay holds.
fn packs() -> Vec<(PackRecord, Vec<u8>)> {
    let libs: Vec<String> = (0..10).map(|i| format!("lib-{i}")).collect();
    let mut out: Vec<_> = libs.iter().map(|name| pack(name, 1, 2 * 1024, &[])).collect();
    out.push(pack("small", 1, 2 * 1024, &[]));
    out.push(pack("medium", 20, 10 * 1024, &[]));
    out.push(pack("large", 64, 64 * 1024, &[]));
    out.push(pack("app", 1, 2 * 1024, &libs));
    out.push(pack("probe", 1, 16, &[]));
    out
}

/// A network step that must finish: a broken network fails the bench, not hangs it.
fn within<T>(rt: &Runtime, what: &str, f: impl Future<Output = T>) -> T {
    rt.block_on(async { tokio::time::timeout(Duration::from_secs(30), f).await })
        .unwrap_or_else(|_| panic!("{what} took over 30 s"))
}

async fn start(role: Role) -> NodeHandle {
    let swarm =
        native_swarm(Keypair::generate_ed25519(), role, Transports::generate().unwrap()).await.unwrap();
    let (node, handle) = Node::new(swarm, MemoryStore::default()).unwrap();
    tokio::spawn(node.run());
    handle
}

/// The relay, listening on TCP and holding every pack (it provides their bodies).
async fn relay() -> (NodeHandle, Multiaddr) {
    let relay = start(Role::Relay).await;
    let addr = relay.listen("/ip4/127.0.0.1/tcp/0".parse().unwrap()).await.unwrap();
    for (record, body) in packs() {
        relay.publish(record, body).await.expect("the relay keeps its own packs");
    }
    (relay, addr)
}

/// A fresh peer that has joined through the relay, synced the index, and found the
/// provider of a body through the DHT (so its routing table knows the relay).
async fn fresh_peer(relay: PeerId, addr: &Multiaddr) -> NodeHandle {
    let peer = start(Role::Peer).await;
    peer.bootstrap(vec![addr.clone()]).await.expect("joins the relay");
    peer.sync_index(relay).await.expect("syncs");
    let probe = body::content_hash(&pack("probe", 1, 16, &[]).1);
    while peer.providers(probe).await.is_ok_and(|p| p.is_empty()) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    peer
}

/// Times `op` on `peers` fresh peers, made before each run.
fn on_fresh_peers<F: Future>(
    rt: &Runtime,
    relay: &(NodeHandle, Multiaddr),
    peers: usize,
    op: impl Fn(Vec<NodeHandle>) -> F,
) -> impl FnMut(u64) -> Duration {
    move |iters| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let fresh = within(
                rt,
                "a peer joining",
                join_all((0..peers).map(|_| fresh_peer(relay.0.peer_id(), &relay.1))),
            );
            let started = Instant::now();
            within(rt, "the operation", op(fresh));
            total += started.elapsed();
        }
        total
    }
}

async fn install(peer: &NodeHandle, name: &str) {
    let installed = peer.install(name, "^1", &[], |_| {}).await.expect("installs");
    assert!(!installed.packs.is_empty());
}

async fn search(peer: &NodeHandle, text: &str) {
    let request = SearchRequest { text: text.into(), ..SearchRequest::default() };
    peer.search(request).await.expect("searches");
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let relay = within(&rt, "starting the relay", relay());
    let mut group = c.benchmark_group("install from a relay");
    group.sample_size(10).measurement_time(Duration::from_secs(3));
    for name in ["small", "medium", "large", "app"] {
        let label = if name == "app" { "with 10 dependencies" } else { name };
        group.bench_function(label, |b| {
            b.iter_custom(on_fresh_peers(&rt, &relay, 1, move |peers| async move {
                install(&peers[0], name).await
            }))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("at once");
    group.sample_size(10).measurement_time(Duration::from_secs(3));
    let queries: Vec<&str> =
        souk_benches::latency::query_mix().into_iter().map(|(_, q)| q).take(10).collect();
    let peer = within(&rt, "a peer joining", fresh_peer(relay.0.peer_id(), &relay.1));
    group.bench_function("10 searches", |b| {
        b.iter(|| within(&rt, "searching", join_all(queries.iter().map(|q| search(&peer, q)))))
    });
    group.bench_function("5 peers installing", |b| {
        b.iter_custom(on_fresh_peers(&rt, &relay, 5, |peers| async move {
            join_all(peers.iter().map(|p| install(p, "medium"))).await;
        }))
    });
    group.bench_function("mixed: 5 searches, 3 lookups, 2 installs", |b| {
        b.iter_custom(on_fresh_peers(&rt, &relay, 1, |peers| {
            let queries = queries.clone();
            async move {
                let peer = &peers[0];
                let searches = join_all(queries[..5].iter().map(|q| search(peer, q)));
                let lookups = join_all(["small", "medium", "large"].map(|n| peer.lookup(n)));
                let installs = join_all(["app", "small"].map(|n| install(peer, n)));
                let (_, found, _) = futures::join!(searches, lookups, installs);
                assert!(found.iter().all(Result::is_ok));
            }
        }))
    });
    group.finish();
}

criterion_group!(network, benches);
criterion_main!(network);
