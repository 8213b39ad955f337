//! The network on real souk-net nodes, as JSON: DHT put and lookup in networks of 10, 100
//! and 1,000 nodes, over libp2p's in-process memory transport (noise and yamux included)
//! and over TCP on 127.0.0.1; gossip propagation to 100 peers; bootstrap to
//! 5, 10 and 20 peers; memory per node.
//!
//! Networks are built two ways. *Joined*: one node after another dials three earlier ones
//! and walks the DHT, as peers do. *Converged*: every node starts with the routing table a
//! long-running Kademlia network settles into (its 20 closest peers and up to 20 peers in
//! every other bucket), and no connection until the puts and lookups make them. 1,000
//! joins in one process on two cores take longer than an hour (each walk dials dozens of
//! peers, and every node's upkeep shares the cores), so the 1,000-node network is a
//! converged one; the 100-node network is measured both ways, to show they agree.
//!
//! `cargo run --release -p souk-benches --bin net-latency [-- MAX_NODES [MIN_NODES [GOSSIP_RUNS [TRANSPORT]]]]`
//! (default 1000, 0 and 1): only the DHT networks of MIN_NODES to MAX_NODES nodes (over
//! TRANSPORT alone, `tcp` or `memory`, if given), and GOSSIP_RUNS runs of gossip, each on a
//! network of its own, with the processor time it had.

use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::identity::Keypair;
use libp2p::{Multiaddr, PeerId, kad};
use serde::Serialize;
use souk_benches::latency::Percentiles;
use souk_benches::network::{Build, IDLE_TIMEOUT, JOIN_PEERS, Lcg, Net, idle_timeout, network, node, swarm};
use souk_core::peer::Via;
use souk_core::record::PackRecord;
use souk_net::{MemoryStore, Node, NodeEvent, NodeHandle};

/// Lookups (and puts) measured per network.
const SAMPLES: usize = 50;
/// Fresh peers that join each network to look names up.
const READERS: usize = 5;
/// Kademlia's bucket size (and replication factor).
const K: usize = 20;
/// The pause between two measured publishes.
const PUT_GAP: Duration = Duration::from_millis(500);
/// Records published before they are published again (well within gossipsub's minute).
const REPUBLISH_AFTER: usize = 10;
/// Open files a TCP network needs per node at its busiest (its listener, and two files for
/// each in-process connection of the nodes' first walks): a 1,000-node run met a limit of
/// 20,000 at 575 nodes.
const FILES_PER_TCP_NODE: usize = 40;
#[derive(Serialize)]
struct Dht {
    nodes: usize,
    transport: Net,
    build: Build,
    put_ms: Percentiles,
    /// Processor time this process spent while a put ran, per put: all the nodes' work
    /// (the put's walk, the record's gossip to every node) on the machine's two cores.
    put_cpu_ms: f64,
    /// The same record published again some 15 s later, once the put's connections have
    /// idled out: gossipsub drops an announcement it saw within the minute, and every node
    /// holds the record, so this is the DHT put alone (the walk to the key's 20 closest
    /// peers, its dials, the store), as Kademlia's republication makes it.
    republish_ms: Percentiles,
    republish_cpu_ms: f64,
    lookup_ms: Percentiles,
    /// DHT requests per lookup (the peers asked; Kademlia asks α = 3 at a time).
    requests_per_lookup: f64,
    /// Connected peers per node just after the network is built (every node's joining
    /// walk has just touched its peers).
    joined_peers_per_node: f64,
    /// Growth of the process's heap in use over the nodes, per node, then.
    joined_memory_per_node_mb: f64,
    /// Connected peers per node once unused connections have idled out.
    peers_per_node: f64,
    /// Heap in use per node then.
    memory_per_node_mb: f64,
    build_s: f64,
}

#[derive(Serialize)]
struct Report {
    dht: Vec<Dht>,
    gossip_to_100: Vec<Gossip>,
    bootstrap_ms: Vec<(usize, Percentiles)>,
}

/// One run of gossip to 100 peers: on the network just built (every node's joining walk
/// still settling) and again once unused connections have idled out, each with the
/// processor time it had: a run that shared the cores with other processes shows it in
/// `others_ms`, the network's own upkeep in `idle`.
#[derive(Serialize)]
struct Gossip {
    fresh: Delivery,
    settled: Delivery,
}

#[derive(Serialize)]
struct Delivery {
    delivery_ms: Percentiles,
    /// Over the announcements.
    cpu: Cpu,
    /// Over a quiet second just before them.
    idle: Cpu,
    hops: Vec<Hop>,
}

/// Processor time over a phase: this process's, and every other process's on the machine.
#[derive(Clone, Copy, Debug, Serialize)]
struct Cpu {
    wall_ms: f64,
    own_ms: f64,
    others_ms: f64,
}

impl Cpu {
    /// Clock ticks so far: (this process, the whole machine), from `/proc` (Linux).
    fn ticks() -> (u64, u64) {
        let read = |path| std::fs::read_to_string(path).unwrap_or_default();
        // utime and stime, fields 14 and 15, counted after the command name's `)`.
        let stat = read("/proc/self/stat");
        let own = stat.rsplit_once(')').map_or(0, |(_, rest)| {
            rest.split_whitespace().skip(11).take(2).filter_map(|t| t.parse::<u64>().ok()).sum()
        });
        // user, nice, system, (idle, iowait skipped), irq, softirq, steal.
        let all = read("/proc/stat");
        let busy = all.lines().next().map_or(0, |cpu| {
            cpu.split_whitespace()
                .skip(1)
                .enumerate()
                .filter(|(i, _)| matches!(i, 0..=2 | 5..=7))
                .filter_map(|(_, t)| t.parse::<u64>().ok())
                .sum()
        });
        (own, busy)
    }

    /// The processor time spent while `phase` runs.
    async fn of<T>(phase: impl std::future::Future<Output = T>) -> (T, Cpu) {
        // Linux counts in hundredths of a second.
        const TICK_MS: f64 = 10.0;
        let ((own, busy), t) = (Cpu::ticks(), Instant::now());
        let out = phase.await;
        let (own2, busy2) = Cpu::ticks();
        // Saturating: a /proc that could not be read counts as nothing spent.
        let own_ms = own2.saturating_sub(own) as f64 * TICK_MS;
        let others_ms = (busy2.saturating_sub(busy) as f64 * TICK_MS - own_ms).max(0.0);
        (out, Cpu { wall_ms: ms(t), own_ms, others_ms })
    }
}

/// `n` nodes, each holding a converged network's routing table: per bucket (distance
/// class), up to 20 of the peers that fall in it; no connections.
async fn converged_network(n: usize, net: Net, rng: &mut Lcg) -> Vec<NodeHandle> {
    let keys: Vec<Keypair> = (0..n).map(|_| Keypair::generate_ed25519()).collect();
    let ids: Vec<PeerId> = keys.iter().map(|k| k.public().to_peer_id()).collect();
    let dht_keys: Vec<kad::KBucketKey<PeerId>> = ids.iter().map(|&id| id.into()).collect();
    let addrs = addresses(n, net);
    let mut handles = Vec::with_capacity(n);
    let mut idle = 0.0;
    for (i, key) in keys.into_iter().enumerate() {
        let mut buckets: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
        for j in (0..n).filter(|&j| j != i) {
            let bucket = dht_keys[i].distance(&dht_keys[j]).ilog2().expect("distinct peers");
            buckets.entry(bucket).or_default().push(j);
        }
        let mut swarm = swarm(key, Build::Converged);
        swarm.listen_on(addrs[i].clone()).expect("a free port");
        for mut peers in buckets.into_values() {
            // A bucket keeps the peers it met first: any 20 of its range, at random.
            while peers.len() > K {
                peers.swap_remove(rng.below(peers.len()));
            }
            for j in peers {
                swarm.behaviour_mut().dht.inner_mut().add_address(&ids[j], addrs[j].clone());
            }
        }
        let (node, handle) = Node::new(swarm, MemoryStore::default()).expect("a fresh node");
        tokio::spawn(node.run());
        handles.push(handle);
        // Kademlia walks the DHT once as a node's table fills (libp2p-kad offers no way to
        // stop it): a long-running network's nodes did so long ago, one at a time, so nodes
        // start a batch at a time and each batch's walks run their course before the next.
        if handles.len() % start_batch(net) == 0 || handles.len() == n {
            idle = quiet(idle).await;
            let files = open_files().map_or(0, |(open, _)| open);
            eprintln!(
                "  {} nodes started, {idle:.0} ms of processor time a second, {files} open files",
                handles.len()
            );
        }
    }
    handles
}

/// Listening addresses for `n` nodes, known before any of them starts (each routing table
/// holds the others'). Over TCP, free ports below Linux's ephemeral range, so no connection
/// made meanwhile takes one as its own port.
fn addresses(n: usize, net: Net) -> Vec<Multiaddr> {
    static NEXT_MEMORY_PORT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1 << 40);
    match net {
        Net::Memory => {
            let first = NEXT_MEMORY_PORT.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
            (first..first + n as u64).map(|port| format!("/memory/{port}").parse().unwrap()).collect()
        }
        Net::Tcp => (20_000..32_000)
            .filter(|&port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok())
            .take(n)
            .map(|port| format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap())
            .collect(),
    }
}

/// Nodes of a converged network started at once: fewer over TCP, where each connection
/// of their first walks (some 200 peers each) is two of this process's open files.
fn start_batch(net: Net) -> usize {
    if net == Net::Tcp { 10 } else { 50 }
}

/// Waits (at least 2 s, at most a minute) until this process spends no more processor
/// time a second than the network's upkeep took before, `idle` ms, and a little more for
/// the nodes just started, and holds at most half the files it may open; returns its last
/// second's use in milliseconds.
async fn quiet(idle: f64) -> f64 {
    let mut last = f64::INFINITY;
    for second in 0..60 {
        let ((), cpu) = Cpu::of(tokio::time::sleep(Duration::from_secs(1))).await;
        last = cpu.own_ms;
        let files = open_files().is_none_or(|(open, limit)| open <= limit / 2);
        if second > 0 && last <= idle * 1.2 + 60.0 && files {
            break;
        }
    }
    last
}

/// The files this process holds open and how many it may, where Linux says.
fn open_files() -> Option<(usize, usize)> {
    let open = std::fs::read_dir("/proc/self/fd").ok()?.count();
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|line| line.starts_with("Max open files"))?;
    Some((open, line.split_whitespace().nth(3)?.parse().ok()?))
}

/// Counts the heap in use, so memory per node is what the nodes hold, not what the
/// allocator kept from a busier moment (resident memory never shrinks back).
#[global_allocator]
static HEAP: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

fn heap_mb() -> f64 {
    HEAP.allocated() as f64 / (1024.0 * 1024.0)
}

async fn peers_per_node(nodes: &[NodeHandle]) -> f64 {
    let mut connections = 0;
    for node in nodes {
        connections += node.stats().await.unwrap().peers;
    }
    connections as f64 / nodes.len() as f64
}

fn record(i: usize) -> (PackRecord, Vec<u8>) {
    let mut pack = souk_pack::demo::packs().expect("the demo registry").remove(0);
    pack.version.name = format!("bench-pack-{i}");
    (PackRecord::sign(pack.version, &[(i % 250) as u8 + 1; 32]).expect("signs"), pack.body)
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// The heap once the previous network has finished shutting down (at most 30 s).
async fn quiet_heap_mb() -> f64 {
    let mut last = heap_mb();
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = heap_mb();
        if last - now < 1.0 {
            return now;
        }
        last = now;
    }
    last
}

/// Publishes each record from its node, one after another, noting each one's time in
/// `times`; answers the processor time they took together.
async fn publish_each(published: &[(NodeHandle, (PackRecord, Vec<u8>))], times: &mut Vec<f64>) -> f64 {
    let mut cpu_ms = 0.0;
    for (publisher, (record, body)) in published {
        let (result, cpu) = Cpu::of(publisher.publish(record.clone(), body.clone())).await;
        result.expect("publishes");
        times.push(cpu.wall_ms);
        cpu_ms += cpu.own_ms;
        // Publishes are a person's acts, not a stream: each is measured after the last
        // one's gossip and provider announcement have run their course.
        tokio::time::sleep(PUT_GAP).await;
    }
    cpu_ms
}

async fn dht(n: usize, net: Net, build: Build, rng: &mut Lcg) -> Dht {
    let before = quiet_heap_mb().await;
    let started = Instant::now();
    let nodes = match build {
        Build::Joined => network(n, net, rng).await.into_iter().map(|m| m.handle).collect(),
        Build::Converged => converged_network(n, net, rng).await,
    };
    let build_s = started.elapsed().as_secs_f64();
    let joined_memory_per_node_mb = (heap_mb() - before) / n as f64;
    let joined_peers_per_node = peers_per_node(&nodes).await;
    eprintln!("  built in {build_s:.0} s: {joined_peers_per_node:.1} peers per node, {:.0} MB", heap_mb());
    // Settled: once unused connections have idled out and the count stops falling.
    tokio::time::sleep(idle_timeout(net, build) + Duration::from_secs(5)).await;
    let mut peers_per_node = self::peers_per_node(&nodes).await;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let now = self::peers_per_node(&nodes).await;
        if now >= peers_per_node * 0.95 {
            break;
        }
        peers_per_node = now;
    }
    let memory_per_node_mb = (heap_mb() - before) / n as f64;
    eprintln!("  settled: {peers_per_node:.1} peers per node, {:.0} MB", heap_mb());
    let (mut puts, mut republishes) = (Vec::new(), Vec::new());
    let (mut put_cpu_ms, mut republish_cpu_ms) = (0.0, 0.0);
    for first in (0..SAMPLES).step_by(REPUBLISH_AFTER) {
        let published: Vec<_> = (first..SAMPLES.min(first + REPUBLISH_AFTER))
            .map(|i| (nodes[rng.below(n)].clone(), record(i)))
            .collect();
        put_cpu_ms += publish_each(&published, &mut puts).await;
        // Every node now holds these records, and gossipsub drops an announcement it saw
        // within the minute: published again once the puts' connections have idled out
        // (a benchmark swarm's 10 s; the product's 60 s over TCP keeps them), each is the
        // DHT put alone.
        tokio::time::sleep(IDLE_TIMEOUT + Duration::from_secs(1)).await;
        republish_cpu_ms += publish_each(&published, &mut republishes).await;
    }
    let (put_cpu_ms, republish_cpu_ms) = (put_cpu_ms / SAMPLES as f64, republish_cpu_ms / SAMPLES as f64);
    // Peers that were online got every record by gossip and answer from their own store;
    // what the DHT does shows on peers that join afterwards and look names up.
    let (mut lookups, mut requests) = (Vec::new(), 0);
    for reader in 0..READERS {
        let fresh = node(net).await.handle;
        let peers = (0..JOIN_PEERS).map(|_| nodes[rng.below(n)].clone());
        let mut addrs = Vec::new();
        for peer in peers {
            addrs.push(peer.addresses().await.unwrap()[0].clone());
        }
        fresh.bootstrap(addrs).await.expect("joins");
        tokio::time::sleep(Duration::from_millis(500)).await;
        for i in (reader..SAMPLES).step_by(READERS) {
            let t = Instant::now();
            fresh.lookup(&format!("bench-pack-{i}")).await.expect("found");
            lookups.push(ms(t));
        }
        requests += fresh.stats().await.unwrap().lookup_requests;
    }
    let result = Dht {
        nodes: n,
        transport: net,
        build,
        put_ms: Percentiles::of(puts),
        put_cpu_ms,
        republish_ms: Percentiles::of(republishes),
        republish_cpu_ms,
        lookup_ms: Percentiles::of(lookups),
        requests_per_lookup: requests as f64 / SAMPLES as f64,
        joined_peers_per_node,
        joined_memory_per_node_mb,
        peers_per_node,
        memory_per_node_mb,
        build_s,
    };
    eprintln!(
        "dht {n} {} {}: {:.1} peers ({:.1} when joined) and {:.2} MB per node; put p50 {:.1} ms \
         ({put_cpu_ms:.0} ms of processor time), again p50 {:.1} ms ({republish_cpu_ms:.0} ms); \
         lookup p50 {:.2} / p95 {:.2} ms",
        if net == Net::Tcp { "tcp" } else { "memory" },
        if build == Build::Joined { "joined" } else { "converged" },
        peers_per_node,
        joined_peers_per_node,
        memory_per_node_mb,
        result.put_ms.p50,
        result.republish_ms.p50,
        result.lookup_ms.p50,
        result.lookup_ms.p95
    );
    result
}

/// One publisher, 99 listeners over TCP: the time from publishing to each listener's event.
async fn gossip(rng: &mut Lcg) -> Gossip {
    let nodes: Vec<_> = network(100, Net::Tcp, rng).await.into_iter().map(|m| m.handle).collect();
    // Each listener notes when it hears each announcement, as it hears it.
    let (heard_tx, mut heard) = futures::channel::mpsc::unbounded();
    for node in &nodes[1..] {
        let mut events = node.events().await.unwrap();
        let (heard_tx, me) = (heard_tx.clone(), node.peer_id());
        tokio::spawn(async move {
            while let Some(event) = events.next().await {
                if let NodeEvent::Learned { entry, via: Via::Gossip, from } = event {
                    let heard = Heard { name: entry.name().to_owned(), me, from, at: Instant::now() };
                    let _ = heard_tx.unbounded_send(heard);
                }
            }
        });
    }
    // Meshes form on heartbeats (1 s): let a few pass first.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let fresh = delivery("fresh", 0, &nodes, &mut heard).await;
    tokio::time::sleep(idle_timeout(Net::Tcp, Build::Joined) + Duration::from_secs(5)).await;
    let settled = delivery("settled", 10, &nodes, &mut heard).await;
    Gossip { fresh, settled }
}

/// A listener hearing an announcement: who it heard it from (the hop before), and when.
struct Heard {
    name: String,
    me: PeerId,
    from: Option<PeerId>,
    at: Instant,
}

async fn delivery(
    what: &str,
    first: usize,
    nodes: &[NodeHandle],
    heard: &mut futures::channel::mpsc::UnboundedReceiver<Heard>,
) -> Delivery {
    let ((), idle) = Cpu::of(tokio::time::sleep(Duration::from_secs(1))).await;
    let ((delivery_ms, hops), cpu) = Cpu::of(announce(first, nodes, heard)).await;
    eprintln!(
        "gossip to 100, {what}: p50 {:.1} / p95 {:.1} / p99 {:.1} ms; {cpu:?}; idle {idle:?}; hops {hops:?}",
        delivery_ms.p50, delivery_ms.p95, delivery_ms.p99
    );
    Delivery { delivery_ms, cpu, idle, hops }
}

/// Listeners by how many hops an announcement took to reach them (1: from the publisher
/// itself), with the median time they heard it.
#[derive(Debug, Serialize)]
struct Hop {
    hop: usize,
    listeners: usize,
    p50_ms: f64,
}

/// Each listener's hop count, rebuilt from whom it heard the announcement from.
fn hops(publisher: PeerId, heard: &[(PeerId, Option<PeerId>, f64)]) -> Vec<(usize, f64)> {
    let from: std::collections::HashMap<PeerId, Option<PeerId>> =
        heard.iter().map(|(me, f, _)| (*me, *f)).collect();
    heard
        .iter()
        .map(|(me, _, ms)| {
            let (mut hop, mut at) = (1, from.get(me).copied().flatten());
            while let Some(peer) = at.filter(|p| *p != publisher && hop <= heard.len()) {
                hop += 1;
                at = from.get(&peer).copied().flatten();
            }
            (hop, *ms)
        })
        .collect()
}

/// Ten announcements (records `first..first + 10`) from the first node, each timed to
/// every other node's hearing it.
async fn announce(
    first: usize,
    nodes: &[NodeHandle],
    heard: &mut futures::channel::mpsc::UnboundedReceiver<Heard>,
) -> (Percentiles, Vec<Hop>) {
    let publisher = nodes[0].peer_id();
    let mut by_hop: std::collections::BTreeMap<usize, Vec<f64>> = Default::default();
    let mut delays = Vec::new();
    for i in 0..10 {
        let (record, body) = record(1000 + first + i);
        let t = Instant::now();
        nodes[0].publish(record.clone(), body).await.expect("publishes");
        let mut listeners = Vec::new();
        while listeners.len() < nodes.len() - 1 {
            match tokio::time::timeout(Duration::from_secs(10), heard.next()).await {
                Ok(Some(h)) if h.name == record.pack.name => {
                    listeners.push((h.me, h.from, h.at.duration_since(t).as_secs_f64() * 1000.0));
                }
                Ok(Some(_)) => {}
                _ => break,
            }
        }
        for (hop, ms) in hops(publisher, &listeners) {
            by_hop.entry(hop).or_default().push(ms);
        }
        // A listener that never heard counts as never.
        let never = nodes.len() - 1 - listeners.len();
        delays.extend(listeners.iter().map(|l| l.2).chain(std::iter::repeat_n(f64::INFINITY, never)));
    }
    let hops = by_hop
        .into_iter()
        .map(|(hop, ms)| Hop { hop, listeners: ms.len(), p50_ms: Percentiles::of(ms).p50 })
        .collect();
    (Percentiles::of(delays), hops)
}

/// A fresh node dialing `k` peers at once and starting its DHT walk, over TCP.
async fn bootstrap(rng: &mut Lcg) -> Vec<(usize, Percentiles)> {
    let nodes: Vec<_> = network(20, Net::Tcp, rng).await.into_iter().map(|m| m.handle).collect();
    let mut addrs = Vec::new();
    for node in &nodes {
        addrs.push(node.addresses().await.unwrap()[0].clone());
    }
    let mut out = Vec::new();
    for k in [5, 10, 20] {
        let mut samples = Vec::new();
        for _ in 0..10 {
            let fresh = node(Net::Tcp).await.handle;
            let t = Instant::now();
            let dialed = fresh.bootstrap(addrs[..k].to_vec()).await.expect("bootstraps");
            samples.push(ms(t));
            assert!(dialed.iter().all(Result::is_ok));
        }
        out.push((k, Percentiles::of(samples)));
    }
    out
}

#[tokio::main]
async fn main() {
    let arg = |i: usize, default| std::env::args().nth(i).map_or(default, |n| n.parse().expect("a number"));
    let (max, min, gossip_runs) = (arg(1, 1000), arg(2, 0), arg(3, 1));
    let only = std::env::args().nth(4).map(|net| match net.as_str() {
        "tcp" => Net::Tcp,
        "memory" => Net::Memory,
        _ => panic!("TRANSPORT is tcp or memory, not {net}"),
    });
    let mut rng = Lcg(42);
    let mut dht_runs = Vec::new();
    for (n, net, build) in [
        (10, Net::Tcp, Build::Joined),
        (100, Net::Tcp, Build::Joined),
        (10, Net::Memory, Build::Joined),
        (100, Net::Memory, Build::Joined),
        (100, Net::Memory, Build::Converged),
        (1000, Net::Memory, Build::Converged),
        (1000, Net::Tcp, Build::Converged),
    ] {
        if !(min..=max).contains(&n) || only.is_some_and(|only| only != net) {
            continue;
        }
        if net == Net::Tcp
            && let Some((_, limit)) = open_files()
            && limit < n * FILES_PER_TCP_NODE
        {
            eprintln!(
                "{n} nodes over TCP skipped: they need some {} open files, this process may open {limit}",
                n * FILES_PER_TCP_NODE
            );
            continue;
        }
        dht_runs.push(dht(n, net, build, &mut rng).await);
    }
    let report = Report {
        dht: dht_runs,
        gossip_to_100: {
            let mut runs = Vec::new();
            for _ in 0..gossip_runs {
                runs.push(gossip(&mut rng).await);
            }
            runs
        },
        bootstrap_ms: bootstrap(&mut rng).await,
    };
    println!("{}", serde_json::to_string_pretty(&report).expect("serializes"));
}
