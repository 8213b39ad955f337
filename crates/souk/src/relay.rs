//! `souk relay`: a bootstrap and circuit-relay node that also serves the marketplace page.
//!
//! It listens on TCP, QUIC-v1, WebSocket, WebRTC-direct and WebTransport, keeps everything
//! in a redb file under `--data`, joins the relays given by `--bootstrap`, and on its first
//! start publishes the embedded demo registry under its own key (names other relays already
//! hold are left to them). It prints every dialable address and then `ready`. Over HTTP it
//! serves the page, `GET /bootstrap` (its peer id and addresses, which the page dials) and
//! `GET /metrics` (Prometheus text). SIGINT or SIGTERM stop it; every write was committed
//! as it happened, so nothing is lost.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use libp2p::Multiaddr;
use libp2p::identity::Keypair;
use libp2p::metrics::Registry;
use souk::store::RedbStore;
use souk_core::Index;
use souk_core::catalog::Catalog;
use souk_core::record::PackRecord;
use souk_net::client::{self, BootstrapInfo, Dialer, Transport};
use souk_net::dht::DhtLimits;
use souk_net::limits::PIN_QUOTA;
use souk_net::transport::{Certificate, Transports, native_swarm, new_certificate};
use souk_net::{Node, NodeHandle, Role, Store};
use souk_webtransport::Refusals;
use tower_http::cors::{Any, CorsLayer};
use tower_http::services::ServeDir;
use tracing::{info, warn};

use crate::metrics;

/// The addresses a relay listens on unless told otherwise.
pub const DEFAULT_LISTEN: [&str; 5] = [
    "/ip4/0.0.0.0/tcp/4001",
    "/ip4/0.0.0.0/udp/4001/quic-v1",
    "/ip4/0.0.0.0/tcp/4002/ws",
    "/ip4/0.0.0.0/udp/4003/webrtc-direct",
    "/ip4/0.0.0.0/udp/4004/quic-v1/webtransport",
];

#[derive(Debug, clap::Args)]
pub struct RelayArgs {
    /// Where the relay keeps its database (records, bodies, keys, reputation).
    #[arg(long, value_name = "DIR", default_value = "souk-relay")]
    data: PathBuf,
    /// An address to listen on (repeatable; default: TCP 4001, QUIC 4001, WebSocket 4002,
    /// WebRTC-direct 4003 and WebTransport 4004 on every interface).
    #[arg(long, value_name = "MULTIADDR")]
    listen: Vec<Multiaddr>,
    /// Another relay to join, with its /p2p/ peer id (repeatable).
    #[arg(long, value_name = "MULTIADDR")]
    bootstrap: Vec<Multiaddr>,
    /// Where to serve the page, /bootstrap and /metrics.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    http: SocketAddr,
    /// The page to serve (built by `cargo xtask build-wasm`).
    #[arg(long, value_name = "DIR", default_value = "web")]
    web: PathBuf,
    /// An index snapshot (from `souk index import`) to serve as the base of the relay's
    /// catalog, so peers sync and search it (the npm corpus, say). It replaces the base the
    /// data folder held; published records stay on top of it.
    #[arg(long, value_name = "FILE")]
    index: Option<PathBuf>,
    /// The most pack records the relay's DHT store holds.
    #[arg(long, value_name = "N", default_value_t = DhtLimits::ON_DISK.records)]
    dht_records: usize,
    /// The most body hashes with providers the relay's DHT store holds.
    #[arg(long, value_name = "N", default_value_t = DhtLimits::ON_DISK.provided_keys)]
    dht_provided_keys: usize,
    /// How long each WebTransport certificate is served, in seconds, before the next one
    /// takes over (browsers pin them by hash and take none valid for over 14 days, so a
    /// certificate is valid for twice this; at most 6 days and 11 hours).
    #[arg(long, value_name = "SECONDS", default_value_t = 6 * 24 * 60 * 60)]
    webtransport_rotation: u64,
    /// The most bytes of bodies the relay keeps for one publisher's key (0: pin nothing).
    #[arg(long, value_name = "BYTES", default_value_t = PIN_QUOTA)]
    pin_quota: u64,
}

/// The meta key saying the demo registry was published from this data folder.
const SEEDED: &str = "seeded";

pub async fn run(args: RelayArgs) -> Result<()> {
    std::fs::create_dir_all(&args.data).with_context(|| format!("cannot create {}", args.data.display()))?;
    let limits = DhtLimits { records: args.dht_records, provided_keys: args.dht_provided_keys };
    let mut store = RedbStore::open(&args.data.join("souk.redb"))?.with_dht_limits(limits);
    let key = identity(&store)?;
    let certificate = certificate(&store)?;

    // The demo registry is published once per data folder.
    let first_start = store.meta(SEEDED)?.is_none();
    if let Some(path) = &args.index {
        let snapshot = souk::fsutil::map_snapshot(path)?;
        let not_an_index = || format!("{} is not a Souk index", path.display());
        // Its length only (the base reaches as many entries as it holds packs): the catalog
        // loads and checks it whole.
        let packs = Index::open(snapshot.clone()).with_context(not_an_index)?.len();
        store.put_base(&Catalog::from_snapshot(snapshot, packs as u64).with_context(not_an_index)?)?;
        info!(packs, "serving {}", path.display());
    }

    let webtransport = souk_webtransport::Config {
        rotation: Duration::from_secs(args.webtransport_rotation),
        ..souk_webtransport::Config::default()
    };
    let refusals = webtransport.refusals.clone();
    let bandwidth = Arc::default();
    let transports = Transports { webrtc: certificate, webtransport, bandwidth: Arc::clone(&bandwidth) };
    let swarm = native_swarm(key.clone(), Role::Relay, transports).await.map_err(|e| anyhow::anyhow!(e))?;
    let seeded = store.clone();
    let ledger = store.clone();
    let (node, handle) = Node::new(swarm, store)?;
    let node = tokio::spawn(node.run());

    let listen = match args.listen.is_empty() {
        true => DEFAULT_LISTEN.iter().map(|a| a.parse().expect("a valid default address")).collect(),
        false => args.listen,
    };
    for addr in listen {
        handle.listen(addr.clone()).await.with_context(|| format!("cannot listen on {addr}"))?;
    }
    if !args.bootstrap.is_empty() {
        join(&handle, args.bootstrap).await?;
    }
    if first_start {
        seed(&handle, &key).await?;
        seeded.put_meta(SEEDED, b"")?;
    }
    let pinning = tokio::spawn(crate::pin::run(handle.clone(), ledger, args.pin_quota));

    let http = tokio::net::TcpListener::bind(args.http)
        .await
        .with_context(|| format!("cannot serve on {}", args.http))?;
    let app = Router::new()
        // Any page may bootstrap from a relay, not only the one it serves.
        .route("/bootstrap", get(bootstrap).layer(CorsLayer::new().allow_origin(Any)))
        .route("/metrics", get(metrics_text))
        .fallback_service(ServeDir::new(&args.web))
        .with_state(Http { handle: handle.clone(), refusals, bandwidth });
    for addr in dialable(&handle).await? {
        println!("{addr}");
    }
    println!("http://{}", http.local_addr()?);
    println!("ready");
    info!(web = %args.web.display(), "serving");

    axum::serve(http, app).with_graceful_shutdown(stopped()).await?;
    pinning.abort();
    let _ = pinning.await;
    drop(handle);
    node.await?;
    info!("stopped");
    Ok(())
}

/// Joins other relays: dials them all at once, then syncs the index from each.
async fn join(handle: &NodeHandle, bootstrap: Vec<Multiaddr>) -> Result<()> {
    let dialed = handle.bootstrap(bootstrap.clone()).await.context("cannot reach any bootstrap relay")?;
    for (addr, result) in bootstrap.iter().zip(dialed) {
        match result {
            Ok(peer) => match handle.sync_index(peer).await {
                Ok(report) => info!(%addr, accepted = report.accepted, "synced the index"),
                Err(e) => warn!(%addr, error = %e, "cannot sync the index"),
            },
            Err(e) => warn!(%addr, error = %e, "cannot reach a bootstrap relay"),
        }
    }
    Ok(())
}

/// Publishes the embedded demo registry under this relay's key, except packs whose names
/// the network already gave to another publisher.
async fn seed(handle: &NodeHandle, key: &Keypair) -> Result<()> {
    let secret = client::signing_secret(key)?;
    let (mut published, mut taken) = (0, 0);
    for pack in souk_pack::demo::packs()? {
        let record = PackRecord::sign(pack.version, &secret)?;
        match handle.publish(record, pack.body).await {
            Ok(_) => published += 1,
            Err(e) => {
                taken += 1;
                info!(error = %e, "demo pack left to the network");
            }
        }
    }
    info!(published, taken, "seeded the demo registry");
    Ok(())
}

/// The addresses to give out, with the peer id: what a browser dials first, in its order,
/// then the rest.
async fn dialable(handle: &NodeHandle) -> Result<Vec<Multiaddr>> {
    let peer = handle.peer_id();
    let mut addrs: Vec<Multiaddr> =
        handle.addresses().await?.into_iter().map(|a| a.with_p2p(peer).unwrap_or_else(|a| a)).collect();
    addrs.sort_by_key(|a| (Transport::of(a).rank(Dialer::Browser).unwrap_or(u8::MAX), a.to_string()));
    addrs.dedup();
    Ok(addrs)
}

/// What the HTTP routes read.
#[derive(Clone)]
struct Http {
    handle: NodeHandle,
    refusals: Refusals,
    bandwidth: Arc<Mutex<Registry>>,
}

async fn bootstrap(State(http): State<Http>) -> Result<axum::Json<BootstrapInfo>, String> {
    let addrs = dialable(&http.handle).await.map_err(|e| e.to_string())?;
    Ok(axum::Json(BootstrapInfo::new(http.handle.peer_id(), &addrs)))
}

async fn metrics_text(State(http): State<Http>) -> Result<String, String> {
    let stats = http.handle.stats().await.map_err(|e| e.to_string())?;
    let bandwidth = http.bandwidth.lock().unwrap_or_else(|e| e.into_inner());
    Ok(metrics::render(&stats, &http.refusals, &bandwidth))
}

/// The relay's identity, made on first start and kept in the database.
fn identity(store: &RedbStore) -> Result<Keypair> {
    let (key, new) = client::identity(store.meta("identity")?.as_deref())?;
    if let Some(bytes) = new {
        store.put_meta("identity", &bytes)?;
    }
    Ok(key)
}

/// The WebRTC-direct certificate, kept so the `/certhash` in the relay's address stays valid.
fn certificate(store: &RedbStore) -> Result<Certificate> {
    if let Some(pem) = store.meta("webrtc-certificate")? {
        let pem = String::from_utf8(pem).context("the stored certificate is not text")?;
        return Certificate::from_pem(&pem).context("the stored certificate is corrupt");
    }
    let certificate = new_certificate().map_err(|e| anyhow::anyhow!(e))?;
    store.put_meta("webrtc-certificate", certificate.serialize_pem().as_bytes())?;
    Ok(certificate)
}

/// Resolves on SIGINT or SIGTERM.
async fn stopped() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a process can always listen for SIGTERM");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    info!("stopping");
}
