//! `souk relay` as real processes on 127.0.0.1, reached by real souk-net peers over TCP,
//! WebSocket and WebRTC-direct: it serves its addresses and metrics over HTTP, hands its
//! index and bodies to new peers, keeps everything across a restart (and across a SIGKILL:
//! every record it acknowledged), holds 2,000 packs published at once, and relays
//! bootstrapped to each other form one network.
#![cfg(unix)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

mod common;
use common::relay::{Relay, kind, souk};

use futures::StreamExt;
use libp2p::Multiaddr;
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use souk_core::IndexBuilder;
use souk_core::peer::Via;
use souk_core::record::PackRecord;
use souk_net::transport::{Transports, native_swarm};
use souk_net::{MemoryStore, Node, NodeEvent, NodeHandle, Role, SearchRequest};
use wtransport::tls::Sha256Digest;
use wtransport::{ClientConfig, Endpoint};

async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), f).await.unwrap_or_else(|_| panic!("{what} took over 30 s"))
}

async fn peer() -> NodeHandle {
    // WebRTC-direct's DTLS needs the one crypto provider named, as `souk` does in main.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let swarm =
        native_swarm(Keypair::generate_ed25519(), Role::Peer, Transports::generate().unwrap()).await.unwrap();
    let (node, handle) = Node::new(swarm, MemoryStore::default()).unwrap();
    tokio::spawn(node.run());
    handle
}

/// A pack of `key`'s own, a manifest and a note, and its body.
fn small_pack(name: &str, key: &[u8; 32]) -> (PackRecord, Vec<u8>) {
    let manifest =
        format!("[pack]\nname = \"{name}\"\nversion = \"1.0.0\"\ndescription = \"d\"\nlicense = \"MIT\"\n");
    let files = vec![
        souk_core::body::PackFile { path: "notes.txt".into(), contents: format!("{name}\n").into_bytes() },
        souk_core::body::PackFile { path: souk_pack::MANIFEST_FILE.into(), contents: manifest.into_bytes() },
    ];
    let pack = souk_pack::LocalPack::from_files(files, 0).unwrap();
    (PackRecord::sign(pack.version, key).unwrap(), pack.body)
}

/// What publishers have had acknowledged so far, and a flag that stops them.
#[derive(Clone, Default)]
struct Burst {
    acked: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

/// `publishers` peers, each joined to the relay at `addr`, publishing `each` packs of its
/// own key one after another, all at once, until `burst` says stop. Answers each publish's
/// pack, body hash and whether the relay took it, and the publishers (still online, to
/// serve bodies).
async fn publish_at_once(
    addr: &Multiaddr,
    publishers: usize,
    each: usize,
    burst: &Burst,
) -> (Vec<(String, souk_core::Digest, bool)>, Vec<NodeHandle>) {
    let tasks = (0..publishers).map(|p| {
        let (addr, burst) = (addr.clone(), burst.clone());
        tokio::spawn(async move {
            let publisher = peer().await;
            within("dialing", publisher.dial(addr)).await.unwrap();
            let mut done = Vec::new();
            for i in 0..each {
                if burst.stop.load(Ordering::Relaxed) {
                    break;
                }
                let (record, body) = small_pack(&format!("burst-{p}-{i}"), &[p as u8 + 40; 32]);
                let hash = record.pack.content_hash.unwrap();
                let taken = within("publishing", publisher.publish(record, body)).await.is_ok_and(|n| n > 0);
                burst.acked.fetch_add(usize::from(taken), Ordering::Relaxed);
                done.push((format!("burst-{p}-{i}"), hash, taken));
            }
            (done, publisher)
        })
    });
    let mut all = (Vec::new(), Vec::new());
    for task in futures::future::join_all(tasks).await {
        let (done, publisher) = task.unwrap();
        all.0.extend(done);
        all.1.push(publisher);
    }
    all
}

fn relay_peer_id(relay: &Relay) -> libp2p::PeerId {
    match relay.addrs[0].iter().last() {
        Some(Protocol::P2p(peer)) => peer,
        other => panic!("the address does not end in /p2p: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_relay_serves_browsers_and_peers_and_keeps_everything_across_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), None, &[]);
    let relay_id = relay_peer_id(&relay);

    // /bootstrap lists the browser-dialable addresses, each with the peer id.
    let bootstrap: serde_json::Value = serde_json::from_str(&relay.get("/bootstrap")).unwrap();
    assert_eq!(bootstrap["peer_id"], relay_id.to_string());
    let listed: Vec<String> =
        bootstrap["addrs"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_owned()).collect();
    for protocol in ["ws", "webrtc-direct", "webtransport"] {
        assert!(listed.contains(&relay.addr(protocol).to_string()), "{protocol} missing from {listed:?}");
    }
    assert!(listed.iter().any(|a| a.contains("/webrtc-direct/certhash/")), "{listed:?}");
    assert_eq!(certhashes(&relay.addr("webtransport")).len(), 2, "the current and the next");

    // Native peers connect over every transport a browser uses, and over QUIC.
    for protocol in ["ws", "webrtc-direct", "webtransport", "quic-v1"] {
        let client = peer().await;
        // Native WebRTC-direct dials from the UDP socket it listens on.
        if protocol == "webrtc-direct" {
            let local = "/ip4/127.0.0.1/udp/0/webrtc-direct".parse().unwrap();
            within("listening", client.listen(local)).await.unwrap();
        }
        // A debug build's DTLS handshake on a loaded machine can outlast the 10 s handshake
        // timeout: one more try before failing.
        let mut connected = within(protocol, client.dial(relay.addr(protocol))).await;
        if connected.is_err() {
            connected = within(protocol, client.dial(relay.addr(protocol))).await;
        }
        assert_eq!(connected, Ok(relay_id), "over {protocol}");
    }

    // A new peer gets the whole demo registry from the relay, and bodies by hash.
    let demo = souk_pack::demo::packs().unwrap();
    let client = peer().await;
    within("dialing", client.dial(relay.addr("tcp"))).await.unwrap();
    let report = within("syncing", client.sync_index(relay_id)).await.unwrap();
    assert_eq!(report.accepted, demo.len());
    let hash = souk_core::body::content_hash(&demo[0].body);
    assert_eq!(within("fetching", client.fetch(relay_id, hash)).await.unwrap(), demo[0].body);
    let metrics = relay.get("/metrics");
    assert!(metrics.lines().any(|l| l == format!("marketplace_index_packs {}", demo.len())), "{metrics}");
    assert!(metrics.contains("marketplace_p2p_peer_count "), "{metrics}");
    // Every byte the relay's transports carried is counted, the index and body among them.
    assert!(bytes_carried(&metrics) > demo[0].body.len() as u64, "{metrics}");
    let certhash = relay.addr("webrtc-direct").to_string();

    // A pack of someone else's, which the relay pins: after the restart the DHT still names
    // the relay as its provider.
    let (record, kept) = small_pack("kept-pack", &[5; 32]);
    let kept_hash = souk_core::body::content_hash(&kept);
    within("publishing", client.publish(record, kept.clone())).await.unwrap();
    let pinned = async {
        while client.providers(kept_hash).await.unwrap_or_default() != [relay_id] {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    within("the relay pinning it", pinned).await;
    drop(client);
    relay.stop();

    // The same data folder: same identity, same certificate, every record and body.
    let relay = Relay::start(data.path(), None, &[]);
    assert_eq!(relay_peer_id(&relay), relay_id);
    let strip_port = |a: &str| a.split("/certhash/").nth(1).unwrap().to_owned();
    assert_eq!(strip_port(&relay.addr("webrtc-direct").to_string()), strip_port(&certhash));
    let client = peer().await;
    within("dialing", client.dial(relay.addr("tcp"))).await.unwrap();
    let report = within("syncing", client.sync_index(relay_id)).await.unwrap();
    assert_eq!(report.accepted, demo.len() + 1, "the demo registry and the pinned pack");
    for pack in &demo {
        let hash = souk_core::body::content_hash(&pack.body);
        assert_eq!(within("fetching", client.fetch(relay_id, hash)).await.unwrap(), pack.body);
    }
    let provided = async {
        loop {
            let providers = client.providers(kept_hash).await.unwrap_or_default();
            if providers.contains(&relay_id) {
                return providers;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    within("finding the relay as the pinned body's provider", provided).await;
    assert_eq!(within("fetching", client.fetch_any(kept_hash)).await.unwrap().1, kept);
    relay.stop();
}

fn certhashes(addr: &Multiaddr) -> Vec<libp2p::multihash::Multihash<64>> {
    addr.iter()
        .filter_map(|p| match p {
            Protocol::Certhash(hash) => Some(hash),
            _ => None,
        })
        .collect()
}

/// The WebTransport addresses `/bootstrap` lists now.
fn bootstrap_webtransport(relay: &Relay) -> Vec<Multiaddr> {
    let bootstrap: serde_json::Value = serde_json::from_str(&relay.get("/bootstrap")).unwrap();
    let addrs = bootstrap["addrs"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().parse().unwrap());
    addrs.filter(|a| kind(a) == "webtransport").collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_relay_past_its_certificate_rotation_serves_and_accepts_the_current_hashes() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), None, &["--webtransport-rotation".as_ref(), "2".as_ref()]);
    let relay_id = relay_peer_id(&relay);
    let first = relay.addr("webtransport");
    assert_eq!(bootstrap_webtransport(&relay), std::slice::from_ref(&first));

    let rotated = async {
        loop {
            let listed = bootstrap_webtransport(&relay);
            if listed != [first.clone()] {
                return listed;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let listed = within("the certificate rotating", rotated).await;
    assert_eq!(listed.len(), 1, "only the current hashes are served: {listed:?}");
    let current = listed[0].clone();
    assert_eq!(certhashes(&current)[0], certhashes(&first)[1], "the next certificate took over");

    // A new peer dials the current address and syncs the demo registry over it.
    let client = peer().await;
    assert_eq!(within("dialing", client.dial(current)).await, Ok(relay_id));
    let report = within("syncing", client.sync_index(relay_id)).await.unwrap();
    assert_eq!(report.accepted, souk_pack::demo::packs().unwrap().len());

    // A session on another path is refused, and /metrics counts it.
    let digests =
        certhashes(&listed[0]).into_iter().map(|h| Sha256Digest::new(h.digest().try_into().unwrap()));
    let config = ClientConfig::builder().with_bind_default().with_server_certificate_hashes(digests).build();
    let port = listed[0].iter().find_map(|p| if let Protocol::Udp(port) = p { Some(port) } else { None });
    let url = format!("https://127.0.0.1:{}/elsewhere", port.unwrap());
    assert!(within("a wrong path", Endpoint::client(config).unwrap().connect(url)).await.is_err());
    let counted = async {
        let line = "marketplace_webtransport_refused_total{reason=\"path\"} 1";
        while !relay.get("/metrics").lines().any(|l| l == line) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    within("/metrics counting the refusal", counted).await;
    relay.stop();
}

#[test]
fn a_rotation_period_browsers_would_refuse_is_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_souk"))
        .args(["relay", "--http", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/udp/0/quic-v1/webtransport"])
        .args(["--webtransport-rotation", "604800", "--data"])
        .arg(data.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("rotation period of 604800s is outside what browsers accept"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn relays_bootstrapped_to_each_other_form_one_network() {
    let (first_data, second_data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = Relay::start(first_data.path(), None, &[]);
    let second = Relay::start(second_data.path(), Some(&first.addr("tcp")), &[]);

    // The second relay synced the first's index rather than claiming the demo names itself.
    let metrics = second.get("/metrics");
    assert!(metrics.lines().any(|l| l == "marketplace_index_packs 28"), "{metrics}");
    assert!(
        metrics.lines().any(|l| l == "marketplace_refused_total{reason=\"contradicting_base\"} 0"),
        "{metrics}"
    );

    // A publishes at the first relay; B, connected only to the second, hears the
    // announcement, finds the record through the DHT and fetches the body from its provider.
    let (publisher, reader) = (peer().await, peer().await);
    within("dialing", publisher.listen("/ip4/127.0.0.1/tcp/0".parse().unwrap())).await.unwrap();
    within("bootstrapping", publisher.bootstrap(vec![first.addr("tcp")])).await.unwrap();
    within("bootstrapping", reader.bootstrap(vec![second.addr("tcp")])).await.unwrap();
    let mut events = reader.events().await.unwrap();

    let pack = souk_pack::demo::packs().unwrap().remove(0);
    let mut published = Vec::new();
    let heard = within("announcing", async {
        // Gossip meshes form on heartbeats, and gossip passes a record once (a message is
        // named by its bytes): announce new packs until the reader hears one.
        for i in 0.. {
            let mut version = pack.version.clone();
            version.name = format!("fresh-pack-{i}");
            let record = PackRecord::sign(version, &[9; 32]).unwrap();
            publisher.publish(record.clone(), pack.body.clone()).await.unwrap();
            published.push(record);
            let wait = tokio::time::timeout(Duration::from_millis(500), async {
                while let Some(event) = events.next().await {
                    if let NodeEvent::Learned { entry: heard, via: Via::Gossip, .. } = event {
                        return *heard;
                    }
                }
                panic!("the reader stopped");
            });
            if let Ok(heard) = wait.await {
                return heard;
            }
        }
        unreachable!("announcements go on until one is heard")
    })
    .await;
    let record = published
        .into_iter()
        .find(|r| heard == souk_core::record::Entry::from(r.clone()))
        .expect("a record published");
    let name = record.pack.name.clone();
    assert_eq!(within("looking up", reader.lookup(&name)).await.unwrap(), record);
    let hash = record.pack.content_hash.unwrap();
    assert_eq!(within("fetching", reader.fetch_any(hash)).await.unwrap().1, pack.body);
    drop((first, second));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_relay_serves_an_imported_index_beside_the_demo_registry() {
    let scratch = tempfile::tempdir().unwrap();
    let relay = npm_sample_relay(scratch.path());

    let client = peer().await;
    within("dialing", client.dial(relay.addr("tcp"))).await.unwrap();
    let report = within("syncing", client.sync_index(relay_peer_id(&relay))).await.unwrap();
    assert!(report.base_bytes > 0, "the imported index came as the base");
    let demo = souk_pack::demo::packs().unwrap().len();
    assert_eq!(client.stats().await.unwrap().packs, 300 + demo);
    let request = SearchRequest { text: "@babel/code-frame".into(), ..SearchRequest::default() };
    let found = within("searching", client.search(request)).await.unwrap();
    assert_eq!(found.packs[0].name, "@babel/code-frame");
    relay.stop();
}

/// A relay whose operator doctored the index it serves: installs through it refuse, naming the
/// pack, the relay and what did not match, and write nothing anywhere.
#[test]
fn a_relay_serving_a_forged_index_cannot_change_what_is_installed() {
    let scratch = tempfile::tempdir().unwrap();
    let demo = souk_pack::demo::packs().unwrap();
    let version = |name: &str| demo.iter().find(|p| p.version.name == name).unwrap().version.clone();
    let mallory = [9; 32];
    let mut builder = IndexBuilder::default();
    // rust-lib taken whole by the operator's key, its newest version pointed at rust-cli's files.
    let mut lib = version("rust-lib");
    lib.version = "9.0.0".parse().unwrap();
    lib.content_hash = version("rust-cli").content_hash;
    builder.push_record(PackRecord::sign(lib, &mallory).unwrap());
    // dependabot signed, then pointed at other bytes.
    let mut dependabot = PackRecord::sign(version("dependabot"), &mallory).unwrap();
    dependabot.pack.content_hash = version("gitignore-rust").content_hash;
    builder.push_record(dependabot);
    let forged = scratch.path().join("forged.idx");
    std::fs::write(&forged, builder.build().unwrap().to_snapshot()).unwrap();
    // The relay seeds the rest of the demo registry under its own key, and serves every body.
    let relay = Relay::start(&scratch.path().join("relay"), None, &["--index".as_ref(), forged.as_os_str()]);
    let bootstrap = format!("--bootstrap={}/bootstrap", relay.http);
    let home = scratch.path().join("home");
    let out_dir = scratch.path().join("a/b/out");
    let before = folder_listing(scratch.path());

    for (pack, mismatch) in [
        ("rust-lib", "its souk.toml says name is \"rust-cli\", its signed record says \"rust-lib\""),
        ("dependabot", "the signature does not match"),
    ] {
        let out = souk(&home, &["install", pack, "--out", out_dir.to_str().unwrap(), &bootstrap]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(&format!("refused to install {pack} ")), "{err}");
        assert!(err.contains(&relay_peer_id(&relay).to_string()) && err.contains(mismatch), "{err}");
        assert_eq!(folder_listing(scratch.path()), before, "{pack} wrote something");
    }
    // The same relay's honest packs still install.
    let out = souk(&home, &["install", "license-mit", "--out", out_dir.to_str().unwrap(), &bootstrap]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out_dir.join("license-mit/souk.toml").is_file());
    relay.stop();
}

/// A relay whose operator restores an older copy of its data: the CLI, which keeps each
/// relay's last signed head, refuses it as a rollback and keeps both heads as evidence.
#[test]
fn a_relay_that_rolls_its_log_back_is_caught_with_evidence() {
    let scratch = tempfile::tempdir().unwrap();
    let (data, old) = (scratch.path().join("relay"), scratch.path().join("relay-old"));
    let home = scratch.path().join("home");
    let info =
        |relay: &Relay| souk(&home, &["info", "rust-cli", &format!("--bootstrap={}/bootstrap", relay.http)]);

    let relay = Relay::start(&data, None, &[]);
    assert!(info(&relay).status.success());
    relay.stop();
    assert!(Command::new("cp").arg("-r").arg(&data).arg(&old).status().unwrap().success());

    // The relay takes one more pack; the CLI sees its log grow.
    let relay = Relay::start(&data, None, &[]);
    let pack = scratch.path().join("one-more");
    std::fs::create_dir(&pack).unwrap();
    std::fs::write(
        pack.join("souk.toml"),
        "[pack]\nname = \"one-more\"\nversion = \"1.0.0\"\ndescription = \"d\"\nlicense = \"MIT\"\n",
    )
    .unwrap();
    let bootstrap = format!("--bootstrap={}/bootstrap", relay.http);
    let out = souk(&scratch.path().join("alice"), &["publish", pack.to_str().unwrap(), &bootstrap]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(info(&relay).status.success());
    relay.stop();

    // Its operator restores the old copy: the same key, a shorter log.
    std::fs::remove_dir_all(&data).unwrap();
    let relay = Relay::start(&old, None, &[]);
    let out = info(&relay);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("refusing relay {}: the peer rolled its log back", relay_peer_id(&relay))),
        "{err}"
    );
    let kept: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.join("heads.json")).unwrap()).unwrap();
    assert_eq!(kept["evidence"].as_array().unwrap().len(), 1, "{kept}");
    let out = souk(&home, &["peers", &format!("--bootstrap={}/bootstrap", relay.http)]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Caught"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    relay.stop();
}

/// A project installed from an honest relay, reinstalled through a relay that presents the
/// same versions under its own key: the lockfile's publishers refuse it.
#[test]
fn a_lockfile_holds_an_install_to_the_keys_it_was_made_with() {
    let scratch = tempfile::tempdir().unwrap();
    let home = scratch.path().join("home");
    let project = scratch.path().join("project");
    let install = |relay: &Relay| {
        let bootstrap = format!("--bootstrap={}/bootstrap", relay.http);
        souk(&home, &["install", "rust-lib", "--out", project.to_str().unwrap(), &bootstrap])
    };
    let honest = Relay::start(&scratch.path().join("honest"), None, &[]);
    assert!(install(&honest).status.success());
    let lock = std::fs::read_to_string(project.join("souk.lock")).unwrap();
    assert!(lock.contains("checksum = ") && lock.contains("publisher = "), "{lock}");
    assert!(install(&honest).status.success(), "the same relay installs the lockfile again");
    honest.stop();

    // Another relay's operator signs the very same rust-lib (same files) with its own key.
    let demo = souk_pack::demo::packs().unwrap();
    let lib = demo.iter().find(|p| p.version.name == "rust-lib").unwrap().version.clone();
    let mut builder = IndexBuilder::default();
    builder.push_record(PackRecord::sign(lib, &[9; 32]).unwrap());
    let forged = scratch.path().join("forged.idx");
    std::fs::write(&forged, builder.build().unwrap().to_snapshot()).unwrap();
    let other = Relay::start(&scratch.path().join("other"), None, &["--index".as_ref(), forged.as_os_str()]);
    // The same user's cache remembers the honest network's rust-lib, so it refuses the other
    // relay's base whole; a user who never met the honest one has only the lockfile.
    let out = install(&other);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let home = scratch.path().join("elsewhere");
    let bootstrap = format!("--bootstrap={}/bootstrap", other.http);
    let out = souk(&home, &["install", "rust-lib", "--out", project.to_str().unwrap(), &bootstrap]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("souk.lock pins its publisher to"), "{err}");
    assert_eq!(
        std::fs::read_to_string(project.join("souk.lock")).unwrap(),
        lock,
        "the lockfile is untouched"
    );
    other.stop();
}

/// The CLI keeps what it synced and fetched in its cache: a second project installs the
/// same packs with the relay gone (`--offline`), and `info`, `search` and `resolve` answer
/// from the cache without any network; commands that need one say so.
#[test]
fn the_cli_keeps_its_index_and_bodies_and_answers_offline() {
    let scratch = tempfile::tempdir().unwrap();
    let relay = Relay::start(&scratch.path().join("relay"), None, &[]);
    let bootstrap = format!("--bootstrap={}/bootstrap", relay.http);
    let home = scratch.path().join("home");
    let run = |args: &[&str]| {
        let out = souk(&home, args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    };
    let first = scratch.path().join("first");
    run(&["install", "rust-cli", "--out", first.to_str().unwrap(), &bootstrap]);
    assert!(home.join("cache/souk.redb").is_file());
    relay.stop();

    // No relay now: what the cache holds is enough, and nothing tries the network.
    let second = scratch.path().join("second");
    run(&["install", "rust-cli", "--out", second.to_str().unwrap(), "--offline"]);
    for file in ["rust-cli/souk.toml", "rust-ci/souk.toml", "souk.lock"] {
        assert_eq!(std::fs::read(first.join(file)).unwrap(), std::fs::read(second.join(file)).unwrap());
    }
    let info: serde_json::Value =
        serde_json::from_slice(&run(&["info", "rust-cli", "--offline", "--json"]).stdout).unwrap();
    assert_eq!(info["name"], "rust-cli");
    let found: serde_json::Value =
        serde_json::from_slice(&run(&["search", "rust", "--offline", "--json"]).stdout).unwrap();
    assert!(found.to_string().contains("rust-cli"), "{found}");
    let manifest = scratch.path().join("souk.toml");
    std::fs::write(
        &manifest,
        "[pack]\nname = \"mine\"\nversion = \"0.1.0\"\ndescription = \"d\"\nlicense = \"MIT\"\n\n\
         [dependencies]\nrust-cli = \"*\"\n",
    )
    .unwrap();
    let lock = run(&["resolve", "--offline", "--manifest", manifest.to_str().unwrap()]).stdout;
    assert!(String::from_utf8_lossy(&lock).contains("name = \"rust-cli\""));

    for (args, said) in [
        (&["info", "no-such-pack", "--offline"][..], "not in the cached index"),
        (
            &["install", "python-ci", "--out", second.to_str().unwrap(), "--offline"][..],
            "from the cache alone",
        ),
        (&["peers", "--offline"][..], "needs the network"),
        (&["info", "rust-cli", &bootstrap][..], "cannot"),
    ] {
        let out = souk(&home, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(said), "{args:?}: {err}");
    }
}

/// Every path below `dir` but the relay's own data and the CLI's home.
fn folder_listing(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(next) = todo.pop() {
        for entry in std::fs::read_dir(&next).unwrap().map(Result::unwrap) {
            let name = entry.file_name();
            if next == dir && (name == "relay" || name == "home") {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                todo.push(entry.path());
            }
            found.push(entry.path());
        }
    }
    found.sort();
    found
}

/// A relay in `scratch` serving the npm sample, imported with `souk index import`.
fn npm_sample_relay(scratch: &Path) -> Relay {
    let index = scratch.join("npm.idx");
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/npm-sample.tsv");
    let out = souk(scratch, &["index", "import", sample, "--out", index.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Relay::start(&scratch.join("relay"), None, &["--index".as_ref(), index.as_os_str()])
}

/// A relay serving npm's names: nobody's key takes `react`, and a name one typo from it
/// needs saying so, and says so on its page.
#[test]
fn imported_names_are_reserved_and_lookalikes_need_saying_so() {
    let scratch = tempfile::tempdir().unwrap();
    let relay = npm_sample_relay(scratch.path());
    let bootstrap = format!("--bootstrap={}/bootstrap", relay.http);
    let mallory = scratch.path().join("mallory");
    let pack_named = |name: &str| {
        let dir = scratch.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let manifest = format!(
            "[pack]\nname = \"{name}\"\nversion = \"99.0.0\"\ndescription = \"Not React\"\nlicense = \"MIT\"\n"
        );
        std::fs::write(dir.join("souk.toml"), manifest).unwrap();
        std::fs::write(dir.join("index.js"), "export {};\n").unwrap();
        dir
    };
    let publish = |dir: &Path, extra: &[&str]| {
        let mut args = vec!["publish", dir.to_str().unwrap(), &bootstrap];
        args.extend_from_slice(extra);
        souk(&mallory, &args)
    };

    let out = publish(&pack_named("react"), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("react is imported from another registry: its name is reserved"), "{err}");

    let raect = pack_named("raect");
    let out = publish(&raect, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("`raect` is one edit from the popular pack `react`")
            && err.contains("--allow-similar-name"),
        "{err}"
    );
    let out = publish(&raect, &["--allow-similar-name"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = souk(&scratch.path().join("bob"), &["info", "raect", &bootstrap, "--json"]);
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["looks_like"], "react");

    // Mallory cannot grant herself the name; the key that imported it (the operator's,
    // `scratch`'s) can, and then her `react` is taken.
    let mallory_key = key_of(&mallory);
    let out = souk(&mallory, &["owner", "add", "react", &mallory_key, &bootstrap]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an owner of react"));
    let out = souk(scratch.path(), &["owner", "add", "react", &mallory_key, &bootstrap]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = publish(&pack_named("react"), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    relay.stop();
}

/// `souk key`: the public key `souk owner add` takes.
fn key_of(home: &Path) -> String {
    let out = souk(home, &["key"]);
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// crates.io's owners and yanks, without a crates.io: every statement signed by an owner,
/// checked by the relay, and carried by sync to a relay that joins later.
#[test]
fn owners_decide_who_publishes_and_yanks_what_new_resolutions_take() {
    let scratch = tempfile::tempdir().unwrap();
    let relay = Relay::start(&scratch.path().join("relay"), None, &[]);
    let bootstrap = format!("--bootstrap={}/bootstrap", relay.http);
    let [alice, bob, carol] = ["alice", "bob", "carol"].map(|who| scratch.path().join(who));
    let run = |home: &Path, args: &[&str]| {
        let mut args = args.to_vec();
        args.push(&bootstrap);
        souk(home, &args)
    };
    let ok = |out: std::process::Output| {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out
    };
    let refused = |out: std::process::Output, why: &str| {
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(why), "expected {why:?} in {err}");
    };
    let version = |v: &str| {
        let dir = scratch.path().join(format!("team-cli-{v}"));
        std::fs::create_dir_all(&dir).unwrap();
        let manifest = format!(
            "[pack]\nname = \"team-cli\"\nversion = \"{v}\"\ndescription = \"A CLI\"\nlicense = \"MIT\"\n"
        );
        std::fs::write(dir.join("souk.toml"), manifest).unwrap();
        std::fs::write(dir.join("VERSION"), v).unwrap();
        dir.to_str().unwrap().to_owned()
    };
    let (alice_key, bob_key) = (key_of(&alice), key_of(&bob));

    ok(run(&alice, &["publish", &version("0.1.0")]));
    refused(run(&bob, &["publish", &version("0.2.0")]), "team-cli belongs to other publishers");
    refused(run(&bob, &["yank", "team-cli@0.1.0"]), "is not an owner of team-cli");
    refused(run(&bob, &["owner", "add", "team-cli", &bob_key]), "is not an owner of team-cli");

    ok(run(&alice, &["owner", "add", "team-cli", &bob_key]));
    ok(run(&bob, &["publish", &version("0.2.0")]));
    let out = ok(run(&carol, &["owner", "list", "team-cli", "--json"]));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list["owners"], serde_json::json!([alice_key, bob_key]));

    // Carol installs 0.2.0; then Bob yanks it. A new resolution skips it; Carol's lockfile
    // still installs it.
    let locked = scratch.path().join("locked");
    let fresh = scratch.path().join("fresh");
    let install = |out: &Path| run(&carol, &["install", "team-cli", "--out", out.to_str().unwrap()]);
    ok(install(&locked));
    ok(run(&bob, &["yank", "team-cli@0.2.0"]));
    ok(install(&fresh));
    assert_eq!(std::fs::read_to_string(fresh.join("team-cli/VERSION")).unwrap(), "0.1.0");
    std::fs::remove_dir_all(locked.join("team-cli")).unwrap();
    ok(install(&locked));
    assert_eq!(std::fs::read_to_string(locked.join("team-cli/VERSION")).unwrap(), "0.2.0");
    let info: serde_json::Value =
        serde_json::from_slice(&ok(run(&carol, &["info", "team-cli", "--json"])).stdout).unwrap();
    assert_eq!(info["yanked"], serde_json::json!(["0.2.0"]));

    // Alice takes Bob off: his next version is refused, his published ones stay.
    ok(run(&alice, &["owner", "remove", "team-cli", &bob_key]));
    refused(run(&bob, &["publish", &version("0.3.0")]), "team-cli belongs to other publishers");

    // A relay that joins later learns all of it by sync, and says the same.
    let later = Relay::start(&scratch.path().join("later"), Some(&relay.addr("tcp")), &[]);
    let out = souk(&carol, &["info", "team-cli", "--json", &format!("--bootstrap={}/bootstrap", later.http)]);
    let info: serde_json::Value = serde_json::from_slice(&ok(out).stdout).unwrap();
    assert_eq!(info["versions"], serde_json::json!(["0.1.0", "0.2.0"]));
    assert_eq!(info["owners"], serde_json::json!([alice_key]));
    assert_eq!(info["yanked"], serde_json::json!(["0.2.0"]));
    later.stop();
    relay.stop();
}

#[test]
fn the_cli_publishes_and_another_installs_through_a_relay() {
    let scratch = tempfile::tempdir().unwrap();
    let relay = Relay::start(&scratch.path().join("relay"), None, &[]);
    let bootstrap = format!("--bootstrap={}/bootstrap", relay.http);
    let (alice, bob) = (scratch.path().join("alice"), scratch.path().join("bob"));

    // Alice publishes a pack of her own that depends on the demo registry's.
    let pack = scratch.path().join("my-cli");
    std::fs::create_dir(&pack).unwrap();
    std::fs::write(
        pack.join("souk.toml"),
        "[pack]\nname = \"my-cli\"\nversion = \"0.1.0\"\ndescription = \"Alice's CLI\"\nlicense = \"MIT\"\n\n\
         [dependencies]\nrust-ci = \"^1\"\n",
    )
    .unwrap();
    std::fs::write(pack.join("main.rs"), "fn main() {}\n").unwrap();
    let out = souk(&alice, &["publish", pack.to_str().unwrap(), &bootstrap, "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let published: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(published["name"], "my-cli");
    // Alice's process is gone; Bob installs from the relay, which took the body.
    let target = scratch.path().join("installed");
    let out = souk(&bob, &["install", "my-cli@^0.1", "--out", target.to_str().unwrap(), &bootstrap]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(target.join("my-cli/main.rs")).unwrap(), "fn main() {}\n");
    assert!(target.join("rust-ci/souk.toml").is_file());
    let lock = std::fs::read_to_string(target.join("souk.lock")).unwrap();
    assert!(lock.contains("name = \"my-cli\"\nversion = \"0.1.0\""), "{lock}");

    // The name is Alice's: Bob's key cannot publish it.
    let out = souk(&bob, &["publish", pack.to_str().unwrap(), &bootstrap]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("belongs to other publishers"));

    // info, and an install of what does not exist: a clear error, exit 1.
    let out = souk(&bob, &["info", "my-cli", &bootstrap, "--json"]);
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["versions"], serde_json::json!(["0.1.0"]));
    let out = souk(&bob, &["install", "no-such-pack", &bootstrap]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no package named `no-such-pack`"));
    relay.stop();
}

/// 8 publishers publish 2,000 packs to one relay at once: the relay takes every record and
/// pins every body, and once the publishers are gone a fresh peer installs the last one.
#[tokio::test(flavor = "multi_thread")]
async fn two_thousand_packs_published_at_once_are_all_held_by_the_relay() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), None, &[]);
    let relay_id = relay_peer_id(&relay);
    let (published, publishers) = publish_at_once(&relay.addr("tcp"), 8, 250, &Burst::default()).await;
    assert_eq!(published.len(), 2000);
    let refused: Vec<_> = published.iter().filter(|p| !p.2).map(|p| &p.0).collect();
    assert!(refused.is_empty(), "the relay did not take {refused:?}");

    // Every body is pinned: asked of the relay alone, by 8 checkers (a peer's rate allows
    // a burst of 256 fetches), each waiting up to a minute for the pins to come in.
    let tcp = relay.addr("tcp");
    let checks = published.chunks(250).map(|some| {
        let tcp = tcp.clone();
        async move {
            let checker = peer().await;
            within("dialing", checker.dial(tcp)).await.unwrap();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            for (name, hash, _) in some {
                while checker.fetch(relay_id, *hash).await.is_err() {
                    assert!(tokio::time::Instant::now() < deadline, "the relay never pinned {name}");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        }
    });
    futures::future::join_all(checks).await;
    drop(publishers);

    let fresh = peer().await;
    within("dialing", fresh.dial(relay.addr("ws"))).await.unwrap();
    let synced = within("syncing", fresh.sync_index(relay_id)).await.unwrap();
    assert_eq!(synced.accepted, souk_pack::demo::packs().unwrap().len() + 2000);
    let last = &published.last().unwrap().0;
    let installed = within("installing", fresh.install(last, "*", &[], |_| {})).await.unwrap();
    assert_eq!(installed.packs[0].0.name, *last);
    relay.stop();
}

/// A relay killed (SIGKILL) in the middle of a burst of publishes: restarted on the same
/// folder, it opens its database, holds every record it acknowledged, and installs go on.
#[tokio::test(flavor = "multi_thread")]
async fn a_relay_killed_mid_burst_keeps_every_record_it_acknowledged() {
    let data = tempfile::tempdir().unwrap();
    let mut relay = Relay::start(data.path(), None, &[]);
    let relay_id = relay_peer_id(&relay);
    let pid = relay.child.id();
    let early = peer().await;
    within("dialing", early.dial(relay.addr("tcp"))).await.unwrap();
    let (record, body) = small_pack("pinned-early", &[39; 32]);
    let hash = record.pack.content_hash.unwrap();
    within("publishing", early.publish(record, body)).await.unwrap();
    while early.fetch(relay_id, hash).await.is_err() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(early);
    // At the relay's 150th acknowledgement, it is killed; the publishers stop soon after.
    let burst = Burst::default();
    let watch = burst.clone();
    let killer = std::thread::spawn(move || {
        while watch.acked.load(Ordering::Relaxed) < 150 {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap().success());
        std::thread::sleep(Duration::from_millis(500));
        watch.stop.store(true, Ordering::Relaxed);
    });
    let (published, publishers) = publish_at_once(&relay.addr("tcp"), 4, 200, &burst).await;
    killer.join().unwrap();
    let _ = relay.child.wait();
    let taken: Vec<&str> = published.iter().filter(|p| p.2).map(|p| p.0.as_str()).collect();
    assert!(taken.len() >= 150, "{} acknowledged", taken.len());
    assert!(published.iter().any(|p| !p.2), "the kill came before the burst ended");

    let relay = Relay::start(data.path(), None, &[]);
    let fresh = peer().await;
    within("dialing", fresh.dial(relay.addr("tcp"))).await.unwrap();
    within("syncing", fresh.sync_index(relay_id)).await.unwrap();
    let wanted: Vec<String> = taken.iter().map(|n| n.to_string()).collect();
    let missing = fresh.read(move |index| {
        wanted.into_iter().filter(|n| index.versions_of(n).is_empty()).collect::<Vec<_>>()
    });
    let missing = within("reading", missing).await.unwrap();
    assert!(missing.is_empty(), "acknowledged, then lost: {missing:?}");
    // Installs go on: of a pack with dependencies, and of one pinned before the kill.
    for (name, packs) in [("rust-cli", 7), ("pinned-early", 1)] {
        let installed = within("installing", fresh.install(name, "*", &[], |_| {})).await.unwrap();
        assert_eq!(installed.packs.len(), packs, "{name}");
    }
    drop(publishers);
    relay.stop();
}

/// `souk install` killed (SIGKILL) at moments through its run: each next run opens the
/// cache, completes, and leaves the same files as an install never interrupted.
#[test]
fn an_install_killed_midway_completes_on_the_next_run() {
    let scratch = tempfile::tempdir().unwrap();
    let relay = Relay::start(&scratch.path().join("relay"), None, &[]);
    let bootstrap = format!("--bootstrap={}/bootstrap", relay.http);
    let (home, whole) = (scratch.path().join("home"), scratch.path().join("whole"));
    let out = souk(
        &scratch.path().join("other-home"),
        &["install", "rust-cli", "--out", whole.to_str().unwrap(), &bootstrap],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for (n, after_ms) in [10, 50, 100, 200, 400, 800].into_iter().enumerate() {
        let project = scratch.path().join(format!("project-{n}"));
        let args = ["install", "rust-cli", "--out", project.to_str().unwrap(), &bootstrap];
        let mut child = Command::new(env!("CARGO_BIN_EXE_souk"))
            .env("SOUK_HOME", &home)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(after_ms));
        let _ = child.kill();
        let _ = child.wait();
        let out = souk(&home, &args);
        assert!(
            out.status.success(),
            "after a kill at {after_ms} ms: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for file in ["rust-cli/souk.toml", "rust-ci/souk.toml", "souk.lock"] {
            assert_eq!(
                std::fs::read(whole.join(file)).unwrap(),
                std::fs::read(project.join(file)).unwrap(),
                "{file}"
            );
        }
    }
    relay.stop();
}

/// The CLI resumes each sync where the last one reached (its cursor kept in the cache): a
/// second run against a relay serving a base fetches none of it and nothing already held,
/// though the CLI folded what it synced into a base of its own; and no record held is
/// reported refused.
#[test]
fn a_second_run_resumes_its_sync_and_fetches_no_base() {
    let scratch = tempfile::tempdir().unwrap();
    let relay = npm_sample_relay(scratch.path());
    let bootstrap = format!("--bootstrap={}/bootstrap", relay.http);
    let home = scratch.path().join("home");
    let synced = || {
        let out = Command::new(env!("CARGO_BIN_EXE_souk"))
            .env("SOUK_HOME", &home)
            .env("RUST_LOG", "souk=debug")
            .args(["info", "rust-cli", &bootstrap])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{err}");
        err.lines()
            .find(|l| l.contains("synced"))
            .unwrap_or_else(|| panic!("no sync report: {err}"))
            .to_owned()
    };
    let first = synced();
    assert!(!first.contains("base_bytes: 0,"), "the first run fetches the base: {first}");
    let second = synced();
    assert!(second.contains("base_bytes: 0, accepted: 0, refused: 0,"), "{second}");
    relay.stop();
}

/// The bytes a relay's `/metrics` says its transports carried, in and out.
fn bytes_carried(metrics: &str) -> u64 {
    let counts = metrics.lines().filter(|l| l.starts_with("libp2p_bandwidth_bytes_total{"));
    counts.filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok()).sum()
}
