//! Real sessions on 127.0.0.1: libp2p swarms over the transport, and raw WebTransport
//! clients that misbehave.

use std::time::Duration;

use futures::StreamExt;
use libp2p::core::muxing::StreamMuxerBox;
use libp2p::multiaddr::Protocol;
use libp2p::multihash::Multihash;
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, Swarm, Transport as _, identity::Keypair, ping};
use souk_webtransport::{Config, PATH, Refusal, Refusals, Transport};
use wtransport::endpoint::ConnectOptions;
use wtransport::tls::Sha256Digest;
use wtransport::{ClientConfig, Endpoint};

async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), f).await.unwrap_or_else(|_| panic!("{what} took over 30 s"))
}

fn swarm(config: Config) -> Swarm<ping::Behaviour> {
    libp2p::SwarmBuilder::with_existing_identity(Keypair::generate_ed25519())
        .with_tokio()
        .with_other_transport(|key| {
            Transport::new(key.clone(), config)
                .map(|(peer, connection), _| (peer, StreamMuxerBox::new(connection)))
        })
        .unwrap()
        .with_behaviour(|_| {
            ping::Behaviour::new(ping::Config::new().with_interval(Duration::from_millis(100)))
        })
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(30)))
        .build()
}

/// A listener on 127.0.0.1 and its first address (with `/p2p`), still to be driven.
async fn listener(config: Config) -> (Swarm<ping::Behaviour>, Multiaddr) {
    let mut listener = swarm(config);
    listener.listen_on("/ip4/127.0.0.1/udp/0/quic-v1/webtransport".parse().unwrap()).unwrap();
    let address = within("listening", async {
        loop {
            if let SwarmEvent::NewListenAddr { address, .. } = listener.select_next_some().await {
                return address;
            }
        }
    })
    .await;
    let peer = *listener.local_peer_id();
    (listener, address.with(Protocol::P2p(peer)))
}

fn hashes(address: &Multiaddr) -> Vec<Multihash<64>> {
    address
        .iter()
        .filter_map(|p| match p {
            Protocol::Certhash(hash) => Some(hash),
            _ => None,
        })
        .collect()
}

/// Dials `address` from a fresh swarm; Ok once a ping came back, Err with the dial error.
async fn dial_and_ping(address: &Multiaddr) -> Result<(), String> {
    let mut dialer = swarm(Config::default());
    dialer.dial(address.clone()).unwrap();
    within("dialing", async {
        loop {
            match dialer.select_next_some().await {
                SwarmEvent::Behaviour(ping::Event { result: Ok(_), .. }) => return Ok(()),
                SwarmEvent::OutgoingConnectionError { error, .. } => return Err(error.to_string()),
                _ => {}
            }
        }
    })
    .await
}

fn drive(mut swarm: Swarm<ping::Behaviour>) {
    tokio::spawn(async move {
        loop {
            swarm.select_next_some().await;
        }
    });
}

#[tokio::test]
async fn a_native_dial_pings_the_listener_over_webtransport() {
    let (listener, address) = listener(Config::default()).await;
    assert_eq!(hashes(&address).len(), 2, "the current and the next certificate: {address}");
    drive(listener);
    dial_and_ping(&address).await.unwrap();
}

#[tokio::test]
async fn rotation_keeps_the_addresses_in_circulation_dialable() {
    let config = Config { rotation: Duration::from_secs(2), ..Config::default() };
    let (mut listener, first) = listener(config).await;
    let (expired, second) = within("rotating", async {
        let mut expired = None;
        loop {
            match listener.select_next_some().await {
                SwarmEvent::ExpiredListenAddr { address, .. } => expired = Some(address),
                SwarmEvent::NewListenAddr { address, .. } => return (expired, address),
                _ => {}
            }
        }
    })
    .await;
    assert_eq!(expired.map(|a| a.with(Protocol::P2p(*listener.local_peer_id()))), Some(first.clone()));
    assert_eq!(hashes(&second)[0], hashes(&first)[1], "the next certificate became the current one");
    let second = second.with(Protocol::P2p(*listener.local_peer_id()));
    drive(listener);

    dial_and_ping(&first).await.expect("an address from before the rotation still works");
    dial_and_ping(&second).await.unwrap();
}

/// A raw client that trusts the listener's certificates.
fn client(address: &Multiaddr) -> (Endpoint<wtransport::endpoint::endpoint_side::Client>, String) {
    let digests =
        hashes(address).iter().map(|h| Sha256Digest::new(h.digest().try_into().unwrap())).collect::<Vec<_>>();
    let config = ClientConfig::builder().with_bind_default().with_server_certificate_hashes(digests).build();
    let port = address.iter().find_map(|p| match p {
        Protocol::Udp(port) => Some(port),
        _ => None,
    });
    (Endpoint::client(config).unwrap(), format!("https://127.0.0.1:{}", port.unwrap()))
}

async fn counted(refusals: &Refusals, reason: Refusal, count: u64) {
    within(reason.as_str(), async {
        while refusals.get(reason) < count {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn hostile_sessions_are_closed_with_a_counted_reason() {
    let config = Config { handshake_timeout: Duration::from_secs(1), ..Config::default() };
    let refusals = config.refusals.clone();
    let (listener, address) = listener(config).await;
    drive(listener);
    let (client, origin) = client(&address);

    // Another path: the listener answers 404.
    let wrong = client.connect(format!("{origin}/.well-known/other")).await;
    assert!(wrong.is_err(), "a session on another path was accepted");
    counted(&refusals, Refusal::Path, 1).await;

    // A request whose headers are larger than HTTP/3 frames may be here: refused unread.
    let oversized =
        ConnectOptions::builder(format!("{origin}{PATH}")).add_header("x-pad", "a".repeat(16 * 1024));
    assert!(client.connect(oversized).await.is_err(), "an oversized request was accepted");
    counted(&refusals, Refusal::Session, 1).await;

    // The right path, then no Noise: the session closes before its first stream.
    let session = client.connect(format!("{origin}{PATH}")).await.unwrap();
    session.close(0u32.into(), b"");
    counted(&refusals, Refusal::Noise, 1).await;

    // The right path, then nothing: stalled until the handshake timeout.
    let stalled = client.connect(format!("{origin}{PATH}")).await.unwrap();
    counted(&refusals, Refusal::Timeout, 1).await;
    assert!(matches!(
        within("the stalled session closing", stalled.closed()).await,
        wtransport::error::ConnectionError::ApplicationClosed(_)
            | wtransport::error::ConnectionError::ConnectionClosed(_)
    ));

    // A dialer expecting a hash the listener does not report refuses the Noise payload;
    // the listener sees its handshake fail.
    let mut bogus = Multiaddr::empty();
    for protocol in address.iter() {
        if let Protocol::P2p(_) = protocol {
            bogus.push(Protocol::Certhash(Multihash::wrap(0x12, &[7; 32]).unwrap()));
        }
        bogus.push(protocol);
    }
    let error = dial_and_ping(&bogus).await.expect_err("a mismatched certhash was accepted");
    assert!(error.contains("certhashes"), "{error}");
    counted(&refusals, Refusal::Noise, 2).await;
    assert_eq!(refusals.get(Refusal::Session), 1);
}
