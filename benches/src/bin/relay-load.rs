//! One `souk relay` process under load and under attack, measured from outside it, over
//! TCP and WebSocket on 127.0.0.1, as JSON. The clients are real souk-net nodes in this
//! process; the relay is the release binary, its memory read from `/proc`.
//!
//! - *Concurrency*: 8 publishers publish 250 packs each at once; every publish either
//!   succeeds with its body then held by the relay, or fails; a fresh peer installs the
//!   last one.
//! - *Load*: CLIENTS clients (half over WebSocket) sync the index, then each looks up,
//!   fetches and searches in a closed loop for SECONDS: requests served, latency, refusals,
//!   the relay's peak memory.
//! - *Attack*: a tenth of the clients, measured alone and then beside five attackers (in a
//!   process of their own, [`Attackers`]): one
//!   floods fetch and sync requests, one publishes as fast as it can under one key, one
//!   opens TCP connections in a loop, one holds hundreds of half-open connections, one sends
//!   malformed and oversized frames.
//!
//! - *Scale* (`relay-load scale [RECORDS]`, default 1,000,000): a relay whose DHT store
//!   holds RECORDS signed pack records and provides as many body hashes, filled through the
//!   store Kademlia uses before the relay starts (publishing them one by one over the network
//!   would take most of an hour): its start, memory and disk, lookups and provider queries
//!   of random names from fresh peers, and publishes on top of it.
//!
//! `cargo build --release -p souk && cargo run --release -p souk-benches --bin relay-load
//! [-- CLIENTS [SECONDS]]` (default 500 and 20). The relay is `target/release/souk`, or
//! `SOUK_BIN`; its logs are kept beside its data folder, in `SOUK_LOAD_DIR` if set.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use libp2p::identity::Keypair;
use libp2p::{Multiaddr, PeerId};
use serde::Serialize;
use souk_benches::latency::Percentiles;
use souk_benches::small_pack;
use souk_core::Digest;
use souk_net::transport::{Transports, native_swarm};
use souk_net::{MemoryStore, Node, NodeHandle, Role, SearchRequest};
use tokio::io::AsyncWriteExt;

const PUBLISHERS: usize = 8;
const PACKS_EACH: usize = 250;

/// A running relay, killed when dropped.
struct Relay {
    child: Child,
    tcp: Multiaddr,
    ws: Multiaddr,
    http: String,
    peer: PeerId,
}

impl Relay {
    fn start(data: &Path) -> Relay {
        let bin = std::env::var_os("SOUK_BIN").map_or_else(default_bin, PathBuf::from);
        let mut child = Command::new(&bin)
            .args(["relay", "--http", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(["--listen", "/ip4/127.0.0.1/tcp/0", "--listen", "/ip4/127.0.0.1/tcp/0/ws"])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(data.with_extension("log")).expect("a relay log"))
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {} (build it: cargo build --release -p souk): {e}", bin.display())
            });
        let (mut addrs, mut http) = (Vec::<Multiaddr>::new(), String::new());
        for line in BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok) {
            match line.as_str() {
                "ready" => break,
                l if l.starts_with("http://") => http = l.trim_start_matches("http://").to_owned(),
                l => addrs.push(l.parse().expect("the relay prints multiaddrs")),
            }
        }
        let is_ws = |a: &Multiaddr| a.to_string().contains("/ws");
        let tcp = addrs.iter().find(|a| !is_ws(a)).expect("a TCP address").clone();
        let ws = addrs.iter().find(|a| is_ws(a)).expect("a WebSocket address").clone();
        let peer = peer_of(&tcp);
        Relay { child, tcp, ws, http, peer }
    }

    /// The relay's peak resident memory so far, in MB.
    fn peak_mb(&self) -> f64 {
        self.memory_mb("VmHWM:")
    }

    /// A memory figure of the relay's (`VmHWM:`, `VmRSS:`), in MB.
    fn memory_mb(&self, field: &str) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let kb = status.lines().find_map(|l| l.strip_prefix(field)).and_then(|v| v.split_whitespace().next());
        kb.and_then(|kb| kb.parse::<f64>().ok()).unwrap_or(0.0) / 1024.0
    }

    /// SIGTERM, and waits for the relay to exit.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let _ = self.child.wait();
    }

    /// Its refusals by reason, from `/metrics` (the nonzero ones).
    fn refused(&self) -> Vec<(String, u64)> {
        let mut stream = std::net::TcpStream::connect(&self.http).expect("the relay serves /metrics");
        write!(stream, "GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.http).unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        let counts = text.lines().filter_map(|l| l.strip_prefix("marketplace_refused_total{reason=\""));
        let counts = counts.filter_map(|l| {
            let (reason, n) = l.split_once("\"} ")?;
            Some((reason.to_owned(), n.parse().ok()?))
        });
        counts.filter(|(_, n)| *n > 0).collect()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The peer an address names.
fn peer_of(addr: &Multiaddr) -> PeerId {
    match addr.iter().last() {
        Some(libp2p::multiaddr::Protocol::P2p(peer)) => peer,
        _ => panic!("the relay's address names it"),
    }
}

/// `souk` in the release folder of `CARGO_TARGET_DIR`, or of the workspace's `target/`.
fn default_bin() -> PathBuf {
    let workspace = || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(workspace, PathBuf::from);
    target.join("release/souk")
}

/// A client node connected to the relay at `addr`.
async fn client(addr: &Multiaddr) -> NodeHandle {
    let swarm =
        native_swarm(Keypair::generate_ed25519(), Role::Peer, Transports::generate().unwrap()).await.unwrap();
    let (node, handle) = Node::new(swarm, MemoryStore::default()).unwrap();
    tokio::spawn(node.run());
    handle.dial(addr.clone()).await.expect("the relay takes a client");
    handle
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

#[derive(Serialize)]
struct Concurrency {
    publishers: usize,
    publishes: usize,
    failed: usize,
    seconds: f64,
    publishes_per_second: f64,
    publish_ms: Percentiles,
    /// Bodies of successful publishes the relay serves afterwards.
    bodies_held: usize,
    /// A fresh peer installed the last pack published.
    installed_last: bool,
    relay_peak_mb: f64,
}

async fn concurrency(relay: &Relay, publishers: usize, each: usize) -> (Concurrency, Vec<(String, Digest)>) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for p in 0..publishers {
        let addr = relay.tcp.clone();
        tasks.push(tokio::spawn(async move {
            let publisher = client(&addr).await;
            let key = [p as u8 + 1; 32];
            let mut done = Vec::new();
            // Until identify has told the DHT of the relay, a put reaches no one: wait for
            // that as a CLI's `publish` waits for a relay to hold the body.
            while publisher.peers().await.unwrap().is_empty() || publisher.lookup("rust-cli").await.is_err() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            for i in 0..each {
                let (record, body) = small_pack(&format!("load-{p}-{i}"), &key);
                let hash = record.pack.content_hash.unwrap();
                let at = Instant::now();
                // A publish counts only if the relay took the record.
                let ok = publisher.publish(record.clone(), body).await.is_ok_and(|reached| reached > 0);
                done.push((record.pack.name, hash, ok, ms(at)));
            }
            (publisher, done)
        }));
    }
    // The publishers stay up until the relay has pinned what they published.
    let mut online = Vec::new();
    let mut published = Vec::new();
    for task in tasks {
        let (publisher, done) = task.await.unwrap();
        online.push(publisher);
        published.extend(done);
    }
    let seconds = started.elapsed().as_secs_f64();
    // The relay pins as it learns; give it up to a minute to hold every body, asking it.
    let checker = client(&relay.tcp).await;
    let mut held = 0;
    for (_, hash, ..) in published.iter().filter(|p| p.2) {
        for _ in 0..25 {
            if checker.fetch(relay.peer, *hash).await.is_ok() {
                held += 1;
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    drop(online);
    let fresh = client(&relay.tcp).await;
    let last = &published.last().unwrap().0;
    let installed_last = fresh.sync_index(relay.peer).await.is_ok()
        && fresh.install(last, "*", &[], |_| {}).await.is_ok_and(|i| i.packs.len() == 1);
    let failed = published.iter().filter(|p| !p.2).count();
    let report = Concurrency {
        publishers,
        publishes: published.len(),
        failed,
        seconds,
        publishes_per_second: published.len() as f64 / seconds,
        publish_ms: Percentiles::of(published.iter().map(|p| p.3).collect()),
        bodies_held: held,
        installed_last,
        relay_peak_mb: relay.peak_mb(),
    };
    (report, published.into_iter().map(|(name, hash, ..)| (name, hash)).collect())
}

#[derive(Serialize)]
struct Load {
    clients: usize,
    seconds: u64,
    attackers: bool,
    sync_ms: Percentiles,
    requests: usize,
    /// Requests that failed: lookups, fetches, searches.
    failed: [usize; 3],
    requests_per_second: f64,
    lookup_ms: Percentiles,
    fetch_ms: Percentiles,
    search_ms: Percentiles,
    relay_peak_mb: f64,
    /// The relay's refusals by reason, so far in its life.
    refused: Vec<(String, u64)>,
    attacks: Option<serde_json::Value>,
}

/// The attackers: this program again, in a process of its own (`relay-load attack`) at
/// the lowest CPU priority, so that on a machine of two cores the attack's own work (its
/// nodes, its handshakes, its garbage) does not take the cores from the relay and the
/// honest clients it is measured against, as an attacker's machine elsewhere would not.
/// The relay still receives and handles all the attack sends.
struct Attackers(Child);

impl Attackers {
    fn start(relay: &Multiaddr, seconds: u64) -> Attackers {
        let me = std::env::current_exe().expect("this program's path");
        let child = Command::new("nice")
            .args(["-n", "19"])
            .arg(me)
            .args(["attack", &relay.to_string(), &seconds.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("the attackers start");
        Attackers(child)
    }

    /// What the attackers did, as they report it when their time is up.
    fn report(self) -> serde_json::Value {
        let output = self.0.wait_with_output().expect("the attackers finish");
        serde_json::from_slice(&output.stdout).expect("the attackers report as JSON")
    }
}

#[derive(Serialize, Default)]
struct Attacks {
    flood_requests: u64,
    flood_answered: u64,
    flood_publishes: u64,
    flood_published: u64,
    tcp_connections: u64,
    half_open_held: u64,
    garbage_frames: u64,
}

async fn load(relay: &Relay, clients: usize, seconds: u64, packs: &[(String, Digest)], attack: bool) -> Load {
    let mut handles = Vec::new();
    let mut sync_ms = Vec::new();
    for i in 0..clients {
        let addr = if i % 2 == 0 { &relay.tcp } else { &relay.ws };
        let handle = client(addr).await;
        let at = Instant::now();
        handle.sync_index(relay.peer).await.expect("an honest client syncs");
        sync_ms.push(ms(at));
        handles.push(handle);
    }
    let attackers = attack.then(|| Attackers::start(&relay.tcp, seconds));
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let packs = Arc::new(packs.to_vec());
    let mut tasks = Vec::new();
    for (c, handle) in handles.iter().cloned().enumerate() {
        let (packs, relay_peer) = (packs.clone(), relay.peer);
        tasks.push(tokio::spawn(async move {
            let mut samples: [Vec<f64>; 3] = Default::default();
            let mut failed = [0; 3];
            let mut i = c * 7919;
            while Instant::now() < until {
                i += 1;
                let (name, hash) = &packs[i % packs.len()];
                let at = Instant::now();
                let ok = match i % 3 {
                    0 => handle.lookup(name).await.is_ok(),
                    1 => handle.fetch(relay_peer, *hash).await.is_ok(),
                    _ => {
                        let request = SearchRequest { text: name.clone(), ..SearchRequest::default() };
                        handle.search(request).await.is_ok()
                    }
                };
                match ok {
                    true => samples[i % 3].push(ms(at)),
                    false => failed[i % 3] += 1,
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            (samples, failed)
        }));
    }
    let mut samples: [Vec<f64>; 3] = Default::default();
    let mut failed = [0; 3];
    for task in tasks {
        let (s, f) = task.await.unwrap();
        for (all, some) in samples.iter_mut().zip(s) {
            all.extend(some);
        }
        for (all, some) in failed.iter_mut().zip(f) {
            *all += some;
        }
    }
    let requests = samples.iter().map(Vec::len).sum::<usize>();
    let [lookups, fetches, searches] = samples;
    Load {
        clients,
        seconds,
        attackers: attack,
        sync_ms: Percentiles::of(sync_ms),
        requests,
        failed,
        requests_per_second: requests as f64 / started.elapsed().as_secs_f64(),
        lookup_ms: Percentiles::of(lookups),
        fetch_ms: Percentiles::of(fetches),
        search_ms: Percentiles::of(searches),
        relay_peak_mb: relay.peak_mb(),
        refused: relay.refused(),
        attacks: attackers.map(Attackers::report),
    }
}

#[derive(Default)]
struct AttackCounters {
    flood_requests: AtomicU64,
    flood_answered: AtomicU64,
    flood_publishes: AtomicU64,
    flood_published: AtomicU64,
    tcp_connections: AtomicU64,
    half_open_held: AtomicU64,
    garbage_frames: AtomicU64,
}

impl AttackCounters {
    fn report(&self) -> Attacks {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Attacks {
            flood_requests: get(&self.flood_requests),
            flood_answered: get(&self.flood_answered),
            flood_publishes: get(&self.flood_publishes),
            flood_published: get(&self.flood_published),
            tcp_connections: get(&self.tcp_connections),
            half_open_held: get(&self.half_open_held),
            garbage_frames: get(&self.garbage_frames),
        }
    }
}

/// `relay-load attack RELAY SECONDS`: five attackers on the relay at once, for SECONDS;
/// then what each did, as JSON.
async fn attack(relay: Multiaddr, seconds: u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let counters = Arc::new(AttackCounters::default());
    let tasks = spawn_attackers(&relay, &stop, &counters);
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }
    println!("{}", serde_json::to_string(&counters.report()).unwrap());
}

fn spawn_attackers(
    relay: &Multiaddr,
    stop: &Arc<AtomicBool>,
    counters: &Arc<AttackCounters>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let socket: std::net::SocketAddr = {
        let mut parts = relay.iter();
        let (Some(libp2p::multiaddr::Protocol::Ip4(ip)), Some(libp2p::multiaddr::Protocol::Tcp(port))) =
            (parts.next(), parts.next())
        else {
            panic!("a TCP address")
        };
        (ip, port).into()
    };
    let running = |stop: &Arc<AtomicBool>| !stop.load(Ordering::Relaxed);
    let mut tasks = Vec::new();

    // Fetch and sync requests as fast as they are answered, 32 at a time (on a thread of its
    // own: a sync's future is not Send).
    let (addr, peer, s, c) = (relay.clone(), peer_of(relay), stop.clone(), counters.clone());
    tasks.push(tokio::task::spawn_blocking(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let flooder = client(&addr).await;
            let mut n = 0u64;
            while running(&s) {
                let batch = (0..32u64).map(|i| {
                    let flooder = flooder.clone();
                    let hash = [((n + i) % 251) as u8; 32];
                    async move {
                        match i % 2 {
                            0 => flooder.fetch(peer, hash).await.is_ok(),
                            _ => flooder.sync_index(peer).await.is_ok(),
                        }
                    }
                });
                let answered = futures::future::join_all(batch).await;
                n += 32;
                c.flood_requests.fetch_add(32, Ordering::Relaxed);
                c.flood_answered.fetch_add(answered.iter().filter(|a| **a).count() as u64, Ordering::Relaxed);
            }
        })
    }));

    // One key publishing new packs as fast as it can.
    let (addr, s, c) = (relay.clone(), stop.clone(), counters.clone());
    tasks.push(tokio::spawn(async move {
        let publisher = client(&addr).await;
        let mut i = 0;
        while running(&s) {
            let (record, body) = small_pack(&format!("flood-{i}"), &[99; 32]);
            i += 1;
            c.flood_publishes.fetch_add(1, Ordering::Relaxed);
            if publisher.publish(record, body).await.is_ok_and(|reached| reached > 0) {
                c.flood_published.fetch_add(1, Ordering::Relaxed);
            }
        }
    }));

    // TCP connections opened and dropped in a loop.
    let (s, c) = (stop.clone(), counters.clone());
    tasks.push(tokio::spawn(async move {
        while running(&s) {
            if tokio::net::TcpStream::connect(socket).await.is_ok() {
                c.tcp_connections.fetch_add(1, Ordering::Relaxed);
            }
        }
    }));

    // Hundreds of connections held open without a handshake.
    let (s, c) = (stop.clone(), counters.clone());
    tasks.push(tokio::spawn(async move {
        let mut held = Vec::new();
        while running(&s) {
            if held.len() < 1000
                && let Ok(stream) = tokio::net::TcpStream::connect(socket).await
            {
                held.push(stream);
                c.half_open_held.store(held.len() as u64, Ordering::Relaxed);
            } else {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }));

    // Malformed and oversized frames: garbage where multistream-select is expected, and a
    // megabyte at once.
    let (s, c) = (stop.clone(), counters.clone());
    tasks.push(tokio::spawn(async move {
        let mut n = 0usize;
        while running(&s) {
            if let Ok(mut stream) = tokio::net::TcpStream::connect(socket).await {
                let size = if n.is_multiple_of(10) { 1 << 20 } else { 256 };
                let garbage: Vec<u8> = (0..size).map(|i| (i * 31 + n) as u8).collect();
                let _ = stream.write_all(&garbage).await;
                c.garbage_frames.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
        }
    }));
    tasks
}

#[derive(Serialize)]
struct Scale {
    records: usize,
    provided_keys: usize,
    fill_s: f64,
    /// From starting the process to its `ready` line, on the filled database.
    start_s: f64,
    relay_rss_mb: f64,
    disk_mb: f64,
    lookup_ms: Percentiles,
    lookups_failed: usize,
    providers_ms: Percentiles,
    providers_failed: usize,
    publish: Concurrency,
    relay_peak_mb: f64,
}

/// Fills the DHT store of the relay whose data folder is `data` (stopped) up to `n`
/// records and `n` provided keys, as Kademlia would have put them: answers the seconds it
/// took and the body hash of each record it put (`scale-0` on).
fn fill(data: &Path, relay: PeerId, n: usize) -> (f64, Vec<Digest>) {
    use libp2p::kad::store::RecordStore;
    use libp2p::kad::{ProviderRecord, Record, RecordKey};
    use souk_net::dht::DhtTable;
    let started = Instant::now();
    let store = souk::store::RedbStore::open(&data.join("souk.redb")).expect("the relay's database");
    let (tables, limits) = souk_net::Store::dht_tables(&store).expect("a relay keeps its DHT on disk");
    // The demo registry's records, kept on the relay's first start, count toward `n`.
    let held = tables.len(DhtTable::Records).expect("a readable table");
    let mut dht = souk_net::dht::DhtStore::new(relay, tables, limits);
    let expires = Some(std::time::Instant::now() + Duration::from_secs(36 * 3600));
    let mut hashes = Vec::with_capacity(n - held);
    for i in 0..n - held {
        let (record, _) = small_pack(&scale_name(i), &[(i % 251) as u8 + 1; 32]);
        let key = RecordKey::new(&souk_core::peer::dht::record_key(&record.pack.name));
        let value = record.encode();
        dht.put(Record { key, value, publisher: Some(relay), expires }).expect("room for the record");
        let hash = record.pack.content_hash.unwrap();
        let provider =
            ProviderRecord { key: RecordKey::new(&hash), provider: relay, expires, addresses: vec![] };
        dht.add_provider(provider).expect("room for the provider");
        hashes.push(hash);
        if (i + 1) % 100_000 == 0 {
            eprintln!("  {} records, {:.0} s", i + 1, started.elapsed().as_secs_f64());
        }
    }
    (started.elapsed().as_secs_f64(), hashes)
}

fn scale_name(i: usize) -> String {
    format!("scale-{i}")
}

/// Lookups of `samples` random names of those put (`hashes`, their bodies), and provider
/// queries of their bodies, from fresh peers (a new one every 50 names, so few answers
/// come from a cache).
async fn scale_queries(relay: &Relay, hashes: &[Digest], samples: usize) -> [(Percentiles, usize); 2] {
    let mut rng = souk_benches::network::Lcg(11);
    let (mut lookups, mut providers) = (Vec::new(), Vec::new());
    let (mut lookups_failed, mut providers_failed) = (0, 0);
    let mut peer = client(&relay.tcp).await;
    for s in 0..samples {
        if s % 50 == 49 {
            peer = client(&relay.tcp).await;
        }
        let i = rng.below(hashes.len());
        let at = Instant::now();
        match peer.lookup(&scale_name(i)).await {
            Ok(_) => lookups.push(ms(at)),
            Err(_) => lookups_failed += 1,
        }
        let at = Instant::now();
        match peer.providers(hashes[i]).await {
            Ok(found) if found == [relay.peer] => providers.push(ms(at)),
            _ => providers_failed += 1,
        }
    }
    [(Percentiles::of(lookups), lookups_failed), (Percentiles::of(providers), providers_failed)]
}

async fn scale(dir: &Path, n: usize) -> Scale {
    let data = dir.join("scale");
    let relay = Relay::start(&data);
    let peer = relay.peer;
    relay.stop();
    eprintln!("relay-load: filling the DHT store with {n} records and provided keys");
    let (fill_s, hashes) = fill(&data, peer, n);
    let at = Instant::now();
    let relay = Relay::start(&data);
    let start_s = at.elapsed().as_secs_f64();
    let relay_rss_mb = relay.memory_mb("VmRSS:");
    eprintln!("relay-load: started in {start_s:.1} s; lookups and provider queries");
    let [(lookup_ms, lookups_failed), (providers_ms, providers_failed)] =
        scale_queries(&relay, &hashes, 500).await;
    eprintln!("relay-load: publishing on top");
    let (publish, _) = concurrency(&relay, PUBLISHERS, PACKS_EACH).await;
    let disk = std::fs::metadata(data.join("souk.redb")).map_or(0, |m| m.len());
    Scale {
        records: n,
        provided_keys: n,
        fill_s,
        start_s,
        relay_rss_mb,
        disk_mb: disk as f64 / (1024.0 * 1024.0),
        lookup_ms,
        lookups_failed,
        providers_ms,
        providers_failed,
        publish,
        relay_peak_mb: relay.peak_mb(),
    }
}

#[derive(Serialize)]
struct Report {
    concurrency: Concurrency,
    load: Load,
    attack_baseline: Load,
    attack: Load,
}

#[tokio::main]
async fn main() {
    if std::env::args().nth(1).as_deref() == Some("attack") {
        let arg = |i| std::env::args().nth(i).expect("relay-load attack RELAY SECONDS");
        return attack(arg(2).parse().expect("a multiaddr"), arg(3).parse().expect("seconds")).await;
    }
    let scratch = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("SOUK_LOAD_DIR").map_or_else(|| scratch.path().to_owned(), PathBuf::from);
    if std::env::args().nth(1).as_deref() == Some("scale") {
        let n = std::env::args().nth(2).map_or(1_000_000, |n| n.parse().expect("a number of records"));
        let report = scale(&dir, n).await;
        return println!("{}", serde_json::to_string_pretty(&report).unwrap());
    }
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>().expect("numbers"));
    let clients = args.next().unwrap_or(500) as usize;
    let seconds = args.next().unwrap_or(20);
    let relay = Relay::start(&dir.join("relay"));
    eprintln!("relay-load: concurrency ({PUBLISHERS} publishers x {PACKS_EACH} packs)");
    let (concurrency, packs) = concurrency(&relay, PUBLISHERS, PACKS_EACH).await;
    eprintln!("relay-load: load ({clients} clients, {seconds} s)");
    let load_report = load(&relay, clients, seconds, &packs, false).await;
    // The attack phase on a fresh relay, so its figures are its own.
    drop(relay);
    let relay = Relay::start(&dir.join("attacked"));
    let (_, packs) = self::concurrency(&relay, 4, 25).await;
    let honest = (clients / 10).max(10);
    eprintln!("relay-load: {honest} clients alone, then beside the attackers");
    let attack_baseline = load(&relay, honest, seconds, &packs, false).await;
    let attack = load(&relay, honest, seconds, &packs, true).await;
    let report = Report { concurrency, load: load_report, attack_baseline, attack };
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}
