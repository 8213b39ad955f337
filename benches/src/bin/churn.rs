//! Churn, as JSON: a network of NODES real souk-net nodes in one process (libp2p's memory
//! transport, noise and yamux included; default 200), each joined as peers join, in which
//! 100 packs are published; then for ROUNDS rounds of 10 s, 30% of the first nodes leave
//! abruptly (their tasks dropped mid-work, as a peer that loses power goes) and as many new
//! ones join, while fresh peers look the packs up and install them. Per round: lookups and
//! installs tried, succeeded, and their latency.
//!
//! An install needs a peer holding the body: with no relay pinning here, that is the
//! publisher (or a peer that installed it since), so installs of packs whose publisher has
//! left are counted apart.
//!
//! `cargo run --release -p souk-benches --bin churn [-- NODES [ROUNDS]]`.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use souk_benches::latency::Percentiles;
use souk_benches::network::{JOIN_PEERS, Lcg, Member, Net, network, node};
use souk_benches::small_pack;
use souk_net::NodeHandle;

/// Packs published before the churn starts.
const PACKS: usize = 100;
/// How long a round lasts.
const ROUND: Duration = Duration::from_secs(10);
/// The share of the first nodes that leave over the whole run.
const LEAVING: f64 = 0.30;
/// Fresh peers that join each round to look packs up and install them.
const READERS: usize = 4;

#[derive(Serialize)]
struct Round {
    round: usize,
    /// Nodes of the first network still up at the round's end.
    first_nodes_up: usize,
    left: usize,
    joined: usize,
    lookups: usize,
    lookups_found: usize,
    lookup_ms: Percentiles,
    /// Installs of packs whose publisher is still up, and those that completed.
    installs: usize,
    installed: usize,
    /// Installs of packs whose publisher has left, and those that completed anyway.
    installs_publisher_gone: usize,
    installed_publisher_gone: usize,
    install_ms: Percentiles,
    lookup_errors: BTreeMap<String, usize>,
}

#[derive(Serialize)]
struct Report {
    nodes: usize,
    packs: usize,
    build_s: f64,
    left: usize,
    joined: usize,
    lookup_success: f64,
    install_success_publisher_up: f64,
    rounds: Vec<Round>,
}

fn name(pack: usize) -> String {
    format!("churn-{pack}")
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// The members that have not left.
fn up<'a>(members: &'a [Member], gone: &Mutex<HashSet<usize>>) -> Vec<&'a Member> {
    let gone = gone.lock().unwrap();
    members.iter().enumerate().filter(|(i, _)| !gone.contains(i)).map(|(_, m)| m).collect()
}

/// A fresh node joined to up to three of `peers`.
async fn join(peers: &[&Member], rng: &mut Lcg) -> Option<Member> {
    let fresh = node(Net::Memory).await;
    let addrs = (0..JOIN_PEERS).map(|_| peers[rng.below(peers.len())].addr.clone()).collect();
    fresh.handle.bootstrap(addrs).await.ok().map(|_| fresh)
}

/// What one reader saw in a round.
#[derive(Default)]
struct Seen {
    lookups: Vec<Option<f64>>,
    /// (publisher gone, milliseconds if installed)
    installs: Vec<(bool, Option<f64>)>,
    /// Why lookups failed, and how often.
    errors: BTreeMap<String, usize>,
}

/// One reader's round: distinct packs looked up, and every second one installed, until
/// the round ends.
async fn read(
    reader: NodeHandle,
    mut rng: Lcg,
    until: Instant,
    gone: Arc<Mutex<HashSet<usize>>>,
    publisher: Arc<Vec<usize>>,
) -> Seen {
    let mut seen = Seen::default();
    let mut order: Vec<usize> = (0..PACKS).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    for (n, pack) in order.into_iter().enumerate() {
        if Instant::now() >= until {
            break;
        }
        let at = Instant::now();
        let found = reader.lookup(&name(pack)).await;
        let found = found.map_err(|e| *seen.errors.entry(e.to_string()).or_default() += 1).is_ok();
        seen.lookups.push(found.then(|| ms(at)));
        if found && n % 2 == 0 {
            let publisher_gone = gone.lock().unwrap().contains(&publisher[pack]);
            let at = Instant::now();
            let installed =
                reader.install(&name(pack), "*", &[], |_| {}).await.is_ok_and(|i| i.packs.len() == 1);
            seen.installs.push((publisher_gone, installed.then(|| ms(at))));
        }
    }
    seen
}

#[tokio::main]
async fn main() {
    let arg = |i: usize, default| std::env::args().nth(i).map_or(default, |n| n.parse().expect("a number"));
    let (nodes, rounds) = (arg(1, 200), arg(2, 6));
    let mut rng = Lcg(7);
    let started = Instant::now();
    let mut members = network(nodes, Net::Memory, &mut rng).await;
    let build_s = started.elapsed().as_secs_f64();
    eprintln!("churn: {nodes} nodes joined in {build_s:.0} s");

    let publisher: Vec<usize> = (0..PACKS).map(|_| rng.below(nodes)).collect();
    for (pack, &by) in publisher.iter().enumerate() {
        let (record, body) = small_pack(&name(pack), &[(pack % 250) as u8 + 1; 32]);
        members[by].handle.publish(record, body).await.expect("publishes");
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let publisher = Arc::new(publisher);

    let gone = Arc::new(Mutex::new(HashSet::new()));
    let per_round = ((nodes as f64 * LEAVING) / rounds as f64).round() as usize;
    let mut readers: Vec<Member> = Vec::new();
    let mut report = Vec::new();
    for round in 0..rounds {
        let until = Instant::now() + ROUND;
        // This round's readers join the network as it stands, then read while it churns.
        let mut reads = Vec::new();
        for _ in 0..READERS {
            let Some(reader) = join(&up(&members, &gone), &mut rng).await else { continue };
            let task = read(
                reader.handle.clone(),
                Lcg(rng.below(1 << 30) as u64),
                until,
                gone.clone(),
                publisher.clone(),
            );
            reads.push(task);
            readers.push(reader);
        }
        // Meanwhile, one node of the first network leaves and a new one joins, evenly
        // through the round.
        // (An install's future stays on this task, so the readers run here beside it.)
        let churn = async {
            let (mut left, mut joined) = (0, 0);
            for _ in 0..per_round {
                tokio::time::sleep(ROUND / per_round as u32).await;
                let first_up: Vec<usize> = (0..nodes).filter(|i| !gone.lock().unwrap().contains(i)).collect();
                let leaving = first_up[rng.below(first_up.len())];
                members[leaving].task.abort();
                gone.lock().unwrap().insert(leaving);
                left += 1;
                if let Some(new) = join(&up(&members, &gone), &mut rng).await {
                    members.push(new);
                    joined += 1;
                }
            }
            (left, joined)
        };
        let (seen_each, (left, joined)) = tokio::join!(futures::future::join_all(reads), churn);
        let mut seen = Seen::default();
        for s in seen_each {
            seen.lookups.extend(s.lookups);
            seen.installs.extend(s.installs);
            for (e, n) in s.errors {
                *seen.errors.entry(e).or_default() += n;
            }
        }
        let installs = |gone: bool| seen.installs.iter().filter(move |i| i.0 == gone);
        let r = Round {
            round,
            first_nodes_up: nodes - gone.lock().unwrap().len(),
            left,
            joined,
            lookups: seen.lookups.len(),
            lookups_found: seen.lookups.iter().flatten().count(),
            lookup_ms: Percentiles::of(seen.lookups.iter().flatten().copied().collect()),
            installs: installs(false).count(),
            installed: installs(false).filter(|i| i.1.is_some()).count(),
            installs_publisher_gone: installs(true).count(),
            installed_publisher_gone: installs(true).filter(|i| i.1.is_some()).count(),
            install_ms: Percentiles::of(seen.installs.iter().filter_map(|i| i.1).collect()),
            lookup_errors: seen.errors.clone(),
        };
        eprintln!(
            "churn: round {round}: {} of the first nodes up, {}/{} lookups found (p99 {:.0} ms), {}/{} installs",
            r.first_nodes_up, r.lookups_found, r.lookups, r.lookup_ms.p99, r.installed, r.installs
        );
        report.push(r);
    }
    let sum = |f: fn(&Round) -> usize| report.iter().map(f).sum::<usize>();
    let report = Report {
        nodes,
        packs: PACKS,
        build_s,
        left: sum(|r| r.left),
        joined: sum(|r| r.joined),
        lookup_success: sum(|r| r.lookups_found) as f64 / sum(|r| r.lookups).max(1) as f64,
        install_success_publisher_up: sum(|r| r.installed) as f64 / sum(|r| r.installs).max(1) as f64,
        rounds: report,
    };
    println!("{}", serde_json::to_string_pretty(&report).expect("serializes"));
}
