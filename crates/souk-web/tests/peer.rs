//! The tab as a peer, in headless Chromium, against a real `souk relay` that `cargo xtask
//! test` starts (on 127.0.0.1) and names in `SOUK_TEST_BOOTSTRAP`. Before these tests the
//! CLI published `cli-made-pack` there; after them the CLI installs `tab-made-pack`.
#![cfg(target_arch = "wasm32")]

use futures::StreamExt;
use js_sys::{Array, JSON, Object, Reflect, Uint8Array};
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, Swarm};

use libp2p::swarm::SwarmEvent;
use souk_core::catalog::{Catalog, SyncRequest, SyncResponse};
use souk_core::peer::{Peer, PeerConfig};
use souk_core::record::PackRecord;
use souk_net::Node;
use souk_net::behaviour::{Behaviour, BehaviourEvent};
use souk_net::browser::browser_swarm;
use souk_net::store::MemoryStore;
use souk_net::sync::SyncEvent;
use souk_net::testing::LyingStore;
use souk_web::SoukPeer;
use wasm_bindgen::prelude::{Closure, JsError, wasm_bindgen};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test as test;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

// Every error the page reports, collected from the moment the module loads: uncaught
// errors, unhandled rejections and `console.error`.
#[wasm_bindgen(inline_js = r#"
const seen = [];
globalThis.addEventListener("error", (e) => seen.push(`uncaught: ${e.message}`));
globalThis.addEventListener("unhandledrejection", (e) => seen.push(`unhandled rejection: ${e.reason}`));
const error = console.error;
console.error = (...args) => { seen.push(args.join(" ")); error.apply(console, args); };
export function take_page_errors() { return seen.splice(0); }
"#)]
extern "C" {
    fn take_page_errors() -> Array;
}

/// What libp2p-webrtc-websys 0.5 throws when a WebRTC data channel it has dropped still
/// fires an event (rust-libp2p #6551): the one error these tests tolerate, since the tests
/// that dial WebRTC-direct on purpose leave it behind.
const WEBRTC_WEBSYS_DROPPED_CLOSURE: &str = "closure invoked recursively or after being dropped";

/// Fails the test on any error the page reported since the last check, after a moment for
/// late ones to arrive.
async fn assert_no_page_errors() {
    sleep(200).await;
    let errors: Vec<String> = take_page_errors()
        .iter()
        .filter_map(|e| e.as_string())
        .filter(|e| !e.contains(WEBRTC_WEBSYS_DROPPED_CLOSURE))
        .collect();
    assert!(errors.is_empty(), "the page reported errors: {errors:#?}");
}

/// What `cargo xtask test` passes in: these tests need its relay.
fn from_harness(value: Option<&'static str>) -> &'static str {
    match value {
        Some(value) => value,
        None => panic!("run through `cargo xtask test`, which starts a relay"),
    }
}

fn bootstrap() -> &'static str {
    from_harness(option_env!("SOUK_TEST_BOOTSTRAP"))
}

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

fn text(value: &JsValue, key: &str) -> String {
    get(value, key).as_string().unwrap_or_else(|| panic!("{key} is not a string"))
}

fn json(text: &str) -> JsValue {
    JSON::parse(text).unwrap()
}

/// Each test's peer has its own database, so its own identity; a run starts them afresh.
async fn start(bootstrap: JsValue, database: &str) -> SoukPeer {
    let database = format!("{database}-{}", js_sys::Date::now());
    start_on(bootstrap, &database).await
}

async fn start_on(bootstrap: JsValue, database: &str) -> SoukPeer {
    start_with(bootstrap, database, pack_module_loader()).await
}

async fn start_with(bootstrap: JsValue, database: &str, packs: JsValue) -> SoukPeer {
    let options = Object::new();
    Reflect::set(&options, &"database".into(), &database.into()).unwrap();
    Reflect::set(&options, &"packs".into(), &packs).unwrap();
    if !bootstrap.is_undefined() {
        Reflect::set(&options, &"bootstrap".into(), &bootstrap).unwrap();
    }
    SoukPeer::start(Some(options.unchecked_into())).await.unwrap_or_else(|e| panic!("{:?}", JsValue::from(e)))
}

/// What the page hands `SoukPeer.start` as `packs`: a function answering the pack module.
/// Here its exports are the same functions linked into this test module, reached through
/// JavaScript as the peer reaches the page's second module.
fn pack_module_loader() -> JsValue {
    use souk_web_pack::{install, publish};
    let module = Object::new();
    let export = |name: &str, f: JsValue| Reflect::set(&module, &name.into(), &f).unwrap();
    export(
        "resolve",
        Closure::<dyn Fn(JsValue, String, String) -> Result<JsValue, JsError>>::new(
            |registry, name: String, requirement: String| install::resolve(registry, &name, &requirement),
        )
        .into_js_value(),
    );
    export(
        "checkBody",
        Closure::<dyn Fn(JsValue, Vec<u8>) -> Result<(), JsError>>::new(|pack, body: Vec<u8>| {
            install::check_body(pack, &body)
        })
        .into_js_value(),
    );
    export(
        "packFiles",
        Closure::<dyn Fn(String, JsValue, f64) -> Result<JsValue, JsError>>::new(publish::pack_files)
            .into_js_value(),
    );
    Closure::<dyn Fn() -> js_sys::Promise>::new(move || js_sys::Promise::resolve(&module)).into_js_value()
}

async fn wait(promise: js_sys::Promise) -> JsValue {
    JsFuture::from(promise).await.unwrap_or_else(|e| panic!("{}", message(&e)))
}

fn message(e: &JsValue) -> String {
    get(e, "message").as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// The relay's addresses for one transport.
async fn relay_addrs(transport: &str) -> JsValue {
    let window = web_sys::window().unwrap();
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str(bootstrap())).await.unwrap().unchecked_into();
    let info = JsFuture::from(response.json().unwrap()).await.unwrap();
    let addrs: Array = get(&info, "addrs").unchecked_into();
    let picked: Array = addrs.iter().filter(|a| a.as_string().unwrap().contains(transport)).collect();
    assert!(picked.length() > 0, "the relay lists no {transport} address");
    picked.into()
}

async fn names(peer: &SoukPeer, query: &str) -> Vec<String> {
    let results = wait(peer.search(query.into(), None)).await;
    let hits: Array = get(&results, "hits").unchecked_into();
    hits.iter().map(|h| text(&h, "name")).collect()
}

/// Joins over `transport` alone, syncs the relay's index, and searches it as the CLI does.
async fn joins_syncs_and_searches(transport: &str) -> SoukPeer {
    let peer = start(relay_addrs(transport).await, transport).await;
    let connection = wait(peer.connected()).await;
    assert!(text(&connection, "address").contains(transport));
    assert!(get(&connection, "synced").as_f64().unwrap() >= 20.0, "the demo index did not sync");
    assert!(get(&connection, "circuit").as_string().unwrap().contains("p2p-circuit"));
    let expected = json(from_harness(option_env!("SOUK_TEST_SEARCHES")));
    for query in Object::keys(&expected.clone().unchecked_into()).iter() {
        let query = query.as_string().unwrap();
        let cli: Vec<String> =
            Array::from(&get(&expected, &query)).iter().map(|n| n.as_string().unwrap()).collect();
        assert!(!cli.is_empty(), "the CLI found nothing for {query}");
        assert_eq!(names(&peer, &query).await[..cli.len().min(20)], cli[..cli.len().min(20)], "{query}");
    }
    peer
}

#[test]
async fn a_tab_joins_over_webrtc_direct_syncs_and_searches_like_the_cli() {
    joins_syncs_and_searches("webrtc-direct").await;
    assert_no_page_errors().await;
}

#[test]
async fn a_tab_joins_over_websocket_syncs_and_searches_like_the_cli() {
    joins_syncs_and_searches("/ws").await;
    assert_no_page_errors().await;
}

#[test]
async fn a_tab_over_webtransport_alone_pings_syncs_searches_and_installs() {
    let peer = joins_syncs_and_searches("/webtransport").await;
    let pinged = async {
        for _ in 0..100 {
            let peers = Array::from(&wait(peer.peers()).await);
            let relay = peers.iter().find(|p| text(p, "transport") == "WebTransport");
            if relay.is_some_and(|r| get(&r, "rttMs").as_f64().is_some()) {
                return true;
            }
            sleep(100).await;
        }
        false
    };
    assert!(pinged.await, "no ping came back from the relay over WebTransport");
    let installed = wait(peer.install("cli-made-pack".into(), Some("^1".into()))).await;
    assert_eq!(text(&installed, "version"), "1.0.0");
    assert_no_page_errors().await;
}

/// The test relay rotates its WebTransport certificate every few seconds: an address from
/// before a rotation still works after it (its next hash is now served), and so does the
/// address `/bootstrap` gives out afterwards.
#[test]
async fn tabs_join_over_webtransport_across_a_certificate_rotation() {
    let before = relay_addrs("/webtransport").await;
    let mut after = before.clone();
    for _ in 0..150 {
        if JSON::stringify(&after).unwrap() != JSON::stringify(&before).unwrap() {
            break;
        }
        sleep(100).await;
        after = relay_addrs("/webtransport").await;
    }
    assert_ne!(
        JSON::stringify(&after).unwrap(),
        JSON::stringify(&before).unwrap(),
        "no rotation within 15 s"
    );
    for (name, addrs) in [("before-rotation", before), ("after-rotation", after)] {
        let peer = start(addrs, name).await;
        let connection = wait(peer.connected()).await;
        assert!(text(&connection, "address").contains("/webtransport/"), "{name}");
        assert!(get(&connection, "synced").as_f64().unwrap() >= 20.0, "{name}: the demo index did not sync");
    }
    assert_no_page_errors().await;
}

#[test]
async fn a_tab_installs_what_the_cli_published() {
    let peer = start(bootstrap().into(), "install").await;
    let connection = wait(peer.connected()).await;
    assert_eq!(text(&connection, "transport"), "WebTransport", "the fastest transport comes first");
    let installed = wait(peer.install("cli-made-pack".into(), Some("^1".into()))).await;
    assert_eq!(text(&installed, "version"), "1.0.0");
    let lockfile: Array = get(&installed, "lockfile").unchecked_into();
    let locked: Vec<String> = lockfile.iter().map(|p| text(&p, "name")).collect();
    assert!(locked.contains(&"editorconfig".to_owned()), "{locked:?}");
    let packs: Array = get(&installed, "packs").unchecked_into();
    let ours = packs.iter().find(|p| text(p, "name") == "cli-made-pack").unwrap();
    let files: Array = get(&ours, "files").unchecked_into();
    let notes = files.iter().find(|f| text(f, "path") == "NOTES.md").expect("NOTES.md installed");
    let contents = String::from_utf8(Uint8Array::new(&get(&notes, "contents")).to_vec()).unwrap();
    assert!(contents.contains("A tab installs this."));
    let all = Array::from(&wait(peer.installed()).await);
    assert_eq!(all.length(), 1);
    assert_no_page_errors().await;
}

#[test]
async fn a_tab_publishes_what_the_cli_then_installs() {
    let peer = start(bootstrap().into(), "publish").await;
    let connection = wait(peer.connected()).await;
    let files = json(r#"{"hello.txt": "made in a browser tab"}"#);
    let manifest = "[pack]\nname = \"tab-made-pack\"\nversion = \"1.0.0\"\ndescription = \"Published by a browser tab\"\nlicense = \"MIT\"\ncategory = \"testing\"\n";
    let published = wait(peer.publish(manifest.into(), files.unchecked_into())).await;
    assert_eq!(text(&published, "name"), "tab-made-pack");
    // The CLI installs it after this tab is gone: wait until the relay holds the body.
    let relay = text(&connection, "relay");
    let relay = relay.rsplit("/p2p/").next().unwrap().to_owned();
    for attempt in 0.. {
        let providers = Array::from(&wait(peer.providers(text(&published, "contentHash"))).await);
        if providers.iter().any(|p| p.as_string().unwrap() == relay) {
            break;
        }
        assert!(attempt < 100, "the relay never took the body");
        sleep(300).await;
    }
    // A name another key owns is refused, with the reason.
    let squat = "[pack]\nname = \"rust-lib\"\nversion = \"9.0.0\"\ndescription = \"not mine\"\nlicense = \"MIT\"\ncategory = \"rust\"\n";
    let err = JsFuture::from(peer.publish(squat.into(), json("{}").unchecked_into())).await.unwrap_err();
    assert!(message(&err).contains("rust-lib"), "{}", message(&err));
    assert_no_page_errors().await;
}

#[test]
async fn a_tab_fetches_from_another_tab_over_a_direct_webrtc_connection() {
    let holder = start(bootstrap().into(), "holder").await;
    let connection = wait(holder.connected()).await;
    assert!(get(&connection, "circuit").is_string(), "no reservation on the relay");
    let direct = text(&connection, "direct");
    assert!(direct.contains("/p2p-circuit/webrtc/p2p/"), "{direct}");
    let fetcher = start(bootstrap().into(), "fetcher").await;
    wait(fetcher.connected()).await;
    // A pack the holder publishes: its body is in the holder's tab.
    let files = json(r#"{"pair.txt": "from one tab to another"}"#);
    let manifest = format!(
        "[pack]\nname = \"tab-pair-{}\"\nversion = \"1.0.0\"\ndescription = \"tab to tab\"\nlicense = \"MIT\"\ncategory = \"testing\"\n",
        js_sys::Date::now() as u64
    );
    let published = wait(holder.publish(manifest, files.unchecked_into())).await;
    let hash = text(&published, "contentHash");
    // Asked of the holder by id: set up over the relay's circuit, then direct.
    let body = Uint8Array::from(wait(fetcher.fetch(hash.clone(), Some(holder.id()))).await);
    assert!(String::from_utf8_lossy(&body.to_vec()).contains("from one tab to another"));
    for (tab, other) in [(&fetcher, holder.id()), (&holder, fetcher.id())] {
        let peers = Array::from(&wait(tab.peers()).await);
        let seen = peers.iter().find(|p| text(p, "id") == other).expect("the other tab is connected");
        assert_eq!(text(&seen, "transport"), "WebRTC (direct)", "{}", text(&seen, "address"));
    }
    // A body nobody holds is a clear error, and the peer goes on.
    let missing = "00".repeat(32);
    let err = JsFuture::from(fetcher.fetch(missing, Some(holder.id()))).await.unwrap_err();
    assert!(message(&err).contains("not"), "{}", message(&err));
    let stats = wait(fetcher.stats()).await;
    assert!(get(&stats, "peers").as_f64().unwrap() >= 1.0);
    assert_no_page_errors().await;
}

#[test]
async fn without_the_pack_module_an_install_says_what_is_missing() {
    let database = format!("no-packs-{}", js_sys::Date::now());
    let peer = start_with(JsValue::UNDEFINED, &database, JsValue::UNDEFINED).await;
    let err = JsFuture::from(peer.install("editorconfig".into(), None)).await.unwrap_err();
    assert!(message(&err).contains("start the peer with `packs`"), "{}", message(&err));
    // A loader that fails is reported, and the next call tries again.
    let failing = js_sys::Function::new_no_args("return Promise.reject(new Error('offline: no module'))");
    let peer = start_with(JsValue::UNDEFINED, &format!("{database}-b"), failing.into()).await;
    let err = JsFuture::from(peer.resolve("editorconfig".into(), "*".into())).await.unwrap_err();
    assert_eq!(message(&err), "offline: no module");
}

#[test]
async fn a_reload_keeps_identity_index_and_installs_and_works_offline() {
    let database = format!("reload-{}", js_sys::Date::now());
    let first = start_on(bootstrap().into(), &database).await;
    wait(first.connected()).await;
    wait(first.install("editorconfig".into(), None)).await;
    let id = first.id();
    drop(first);
    // The same database with no network at all.
    let again = start_on(JsValue::UNDEFINED, &database).await;
    assert_eq!(again.id(), id);
    assert!(names(&again, "rust").await.contains(&"rust-lib".to_owned()));
    let info = Array::from(&wait(again.info("rust-cli".into())).await);
    assert_eq!(text(&info.get(0), "name"), "rust-cli");
    let lock = Array::from(&wait(again.resolve("open-source-starter".into(), "^1".into())).await);
    assert!(lock.length() > 1);
    let installed = Array::from(&wait(again.installed()).await);
    assert_eq!(text(&installed.get(0), "name"), "editorconfig");
    let err = JsFuture::from(again.connected()).await.unwrap_err();
    assert!(message(&err).contains("without a bootstrap"));
    assert_no_page_errors().await;
}

/// A peer in this page that lies about bodies: whatever is asked, it sends the same bytes.
#[test]
async fn a_body_whose_hash_does_not_match_is_refused_and_costs_its_sender() {
    let relay = relay_addr().await;
    let swarm = browser_swarm(Keypair::generate_ed25519(), Default::default()).unwrap();
    let (node, liar) = Node::new(swarm, LyingStore::new(b"not what was asked for")).unwrap();
    wasm_bindgen_futures::spawn_local(node.run());
    liar.bootstrap(vec![relay.clone()]).await.unwrap();
    liar.listen(relay.with(Protocol::P2pCircuit)).await.unwrap();

    let peer = start(bootstrap().into(), "lied-to").await;
    wait(peer.connected()).await;
    let asked = "ab".repeat(32);
    let err = JsFuture::from(peer.fetch(asked, Some(liar.peer_id().to_string()))).await.unwrap_err();
    assert!(message(&err).contains("hash"), "{}", message(&err));
    let stats = wait(peer.stats()).await;
    assert!(get(&stats, "refused").as_f64().unwrap() >= 1.0);
    // The liar takes no direct connections: the tab's direct dial was refused before
    // anything was negotiated, and the circuit carried the lie.
    let refused = liar.stats().await.unwrap().direct_refused;
    assert!(refused.iter().any(|(reason, n)| *reason == "not_listening" && *n >= 1), "{refused:?}");
    assert_no_page_errors().await;
}

/// A peer in this page that reaches a tab through a plain circuit (as a native peer or an
/// older tab would) is upgraded to a direct connection once identify names the tab's
/// `/webrtc` address, and its circuit closes.
#[test]
async fn a_circuit_to_a_tab_is_upgraded_to_a_direct_connection() {
    let tab = start(bootstrap().into(), "upgraded").await;
    wait(tab.connected()).await;
    let relay = relay_addr().await;
    let swarm = browser_swarm(Keypair::generate_ed25519(), Default::default()).unwrap();
    let (node, visitor) = Node::new(swarm, MemoryStore::default()).unwrap();
    wasm_bindgen_futures::spawn_local(node.run());
    visitor.bootstrap(vec![relay.clone()]).await.unwrap();
    let tab_id: libp2p::PeerId = tab.id().parse().unwrap();
    visitor.dial(relay.with(Protocol::P2pCircuit).with(Protocol::P2p(tab_id))).await.unwrap();
    let mut seen = String::new();
    for _ in 0..100 {
        let peers = visitor.peers().await.unwrap();
        seen = peers.iter().find(|p| p.peer_id == tab_id).map(|p| p.address.to_string()).unwrap_or_default();
        if seen.contains("/webrtc/") {
            break;
        }
        sleep(100).await;
    }
    assert!(seen.contains("/p2p-circuit/webrtc/"), "still reached at {seen}");
    let peers = Array::from(&wait(tab.peers()).await);
    let visitor_id = visitor.peer_id().to_string();
    let from_the_tab = peers.iter().find(|p| text(p, "id") == visitor_id).expect("connected");
    assert_eq!(text(&from_the_tab, "transport"), "WebRTC (direct)");
    assert_no_page_errors().await;
}

/// A peer in this page that serves an index whose log holds a record with a broken
/// signature: the tab syncing from it keeps nothing of it.
#[test]
async fn a_forged_record_in_a_synced_index_is_refused() {
    let (mut swarm, through_relay) = hostile_peer().await;
    let mut pack = souk_pack::demo::packs().unwrap().remove(0);
    pack.version.name = "forged-pack".into();
    let mut forged = PackRecord::sign(pack.version, &[7; 32]).unwrap();
    forged.pack.description = "changed after signing".into();
    let forged = forged.encode();
    wasm_bindgen_futures::spawn_local(async move {
        let (mut core, _) = Peer::start(Catalog::default(), Vec::new(), [], PeerConfig::default());
        loop {
            if let SwarmEvent::Behaviour(BehaviourEvent::Sync(SyncEvent::Asked { peer, request, channel })) =
                swarm.select_next_some().await
            {
                let sync = &mut swarm.behaviour_mut().sync;
                match request {
                    SyncRequest::Since(_) => sync.respond(
                        channel,
                        SyncResponse::Records { records: vec![forged.clone()], more: false },
                    ),
                    // Its head is its own, signed with its key: only the record is forged.
                    other => sync.answer(channel, &mut core, peer, other, 1),
                }
            }
        }
    });

    let bootstrap: Array = [JsValue::from(through_relay.to_string())].into_iter().collect();
    let peer = start(bootstrap.into(), "forged").await;
    let connection = wait(peer.connected()).await;
    assert_eq!(get(&connection, "synced").as_f64(), Some(0.0));
    let stats = wait(peer.stats()).await;
    assert!(get(&stats, "refused").as_f64().unwrap() >= 1.0);
    assert_eq!(Array::from(&wait(peer.info("forged-pack".into())).await).length(), 0);
    assert_no_page_errors().await;
}

/// A bare swarm in this page that a test drives by hand, reachable through the relay's
/// circuit: a hostile peer. Answers it and the address tabs dial it at.
async fn hostile_peer() -> (Swarm<Behaviour>, Multiaddr) {
    let relay = relay_addr().await;
    let mut swarm = browser_swarm(Keypair::generate_ed25519(), Default::default()).unwrap();
    // Connected first: the reservation is asked over that connection.
    swarm.dial(relay.clone()).unwrap();
    while !matches!(swarm.select_next_some().await, SwarmEvent::ConnectionEstablished { .. }) {}
    swarm.listen_on(relay.clone().with(Protocol::P2pCircuit)).unwrap();
    while !matches!(swarm.select_next_some().await, SwarmEvent::NewListenAddr { .. }) {}
    let at = relay.with(Protocol::P2pCircuit).with(Protocol::P2p(*swarm.local_peer_id()));
    (swarm, at)
}

/// The relay's WebRTC-direct address, with its peer id.
async fn relay_addr() -> Multiaddr {
    Array::from(&relay_addrs("webrtc-direct").await).get(0).as_string().unwrap().parse().unwrap()
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

/// A swarm in this page that reaches a tab over a direct WebRTC connection and then opens
/// the signaling protocol on it, where only a circuit may carry it.
#[derive(libp2p::swarm::NetworkBehaviour)]
struct Hostile {
    relay: libp2p::relay::client::Behaviour,
    stream: libp2p_stream::Behaviour,
}

#[test]
async fn signaling_on_a_connection_that_is_not_a_circuit_is_refused() {
    use libp2p::core::muxing::StreamMuxerBox;
    use libp2p::core::upgrade::Version;
    use libp2p::{StreamProtocol, Transport, noise, relay, webrtc_websys, yamux};

    let tab = start(bootstrap().into(), "not-relayed").await;
    wait(tab.connected()).await;
    let tab_id: libp2p::PeerId = tab.id().parse().unwrap();
    let relay = relay_addr().await;

    let key = Keypair::generate_ed25519();
    let (relay_transport, relay_client) = relay::client::new(key.public().to_peer_id());
    let relayed = relay_transport
        .upgrade(Version::V1)
        .authenticate(noise::Config::new(&key).unwrap())
        .multiplex(yamux::Config::default())
        .map(|(peer, connection), _| (peer, StreamMuxerBox::new(connection)))
        .boxed();
    let (circuits, _) = souk_webrtc::circuits(relayed, Default::default());
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(key)
        .with_wasm_bindgen()
        .with_other_transport(|_| Ok::<_, souk_net::browser::BuildError>(circuits))
        .unwrap()
        .with_other_transport(|key| {
            Ok::<_, souk_net::browser::BuildError>(webrtc_websys::Transport::new(webrtc_websys::Config::new(
                key,
            )))
        })
        .unwrap()
        .with_behaviour(|_| Hostile { relay: relay_client, stream: libp2p_stream::Behaviour::new() })
        .unwrap()
        .build();
    swarm.dial(relay.clone()).unwrap();
    while !matches!(swarm.select_next_some().await, SwarmEvent::ConnectionEstablished { .. }) {}
    swarm.dial(relay.with(Protocol::P2pCircuit).with(Protocol::WebRTC).with(Protocol::P2p(tab_id))).unwrap();
    loop {
        if let SwarmEvent::ConnectionEstablished { peer_id, .. } = swarm.select_next_some().await
            && peer_id == tab_id
        {
            break;
        }
    }
    let mut control = swarm.behaviour().stream.new_control();
    wasm_bindgen_futures::spawn_local(async move {
        loop {
            swarm.select_next_some().await;
        }
    });
    // The only connection to the tab is the direct one: the tab takes the stream, then
    // drops it unanswered and counts why.
    let signaling = StreamProtocol::new(souk_webrtc::signaling::PROTOCOL);
    let _ = control.open_stream(tab_id, signaling).await;
    let mut refused = JsValue::UNDEFINED;
    for _ in 0..50 {
        refused = get(&get(&wait(tab.stats()).await, "directRefused"), "not_relayed");
        if refused.as_f64().is_some() {
            break;
        }
        sleep(100).await;
    }
    assert_eq!(refused.as_f64(), Some(1.0));
    assert_no_page_errors().await;
}
