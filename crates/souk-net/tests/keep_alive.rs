//! Gossipsub's open streams no longer hold every connection open: a peer outside the mesh
//! is let go once idle, a mesh peer is kept. Two real swarms over TCP on 127.0.0.1, with a
//! one-second idle timeout so the test is short.

use std::time::Duration;

use futures::StreamExt;
use libp2p::swarm::SwarmEvent;
use libp2p::{Swarm, gossipsub, noise, tcp, yamux};
use souk_net::keep_alive::OwnKeepAlive;

type Gossip = OwnKeepAlive<gossipsub::Behaviour>;

fn swarm(topic: &str) -> Swarm<Gossip> {
    let mut swarm = libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)
        .unwrap()
        .with_behaviour(|key| {
            let config = gossipsub::ConfigBuilder::default()
                .heartbeat_interval(Duration::from_millis(100))
                .build()
                .unwrap();
            OwnKeepAlive::new(
                gossipsub::Behaviour::new(gossipsub::MessageAuthenticity::Signed(key.clone()), config)
                    .unwrap(),
            )
        })
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(1)))
        .build();
    swarm.behaviour_mut().subscribe(&gossipsub::IdentTopic::new(topic)).unwrap();
    swarm
}

/// `a` connected to `b`, with `b` running on its own.
async fn connected(a_topic: &str, b_topic: &str) -> Swarm<Gossip> {
    let mut b = swarm(b_topic);
    b.listen_on("/ip4/127.0.0.1/tcp/0".parse().unwrap()).unwrap();
    let addr = loop {
        if let SwarmEvent::NewListenAddr { address, .. } = b.select_next_some().await {
            break address;
        }
    };
    tokio::spawn(async move {
        loop {
            b.select_next_some().await;
        }
    });
    let mut a = swarm(a_topic);
    a.dial(addr).unwrap();
    bounded("connecting", async {
        while !matches!(a.select_next_some().await, SwarmEvent::ConnectionEstablished { .. }) {}
    })
    .await;
    a
}

async fn bounded<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), f).await.unwrap_or_else(|_| panic!("{what} took over 20 s"))
}

#[tokio::test]
async fn a_peer_outside_every_mesh_is_let_go_once_idle() {
    let mut a = connected("souk/a", "souk/b").await;
    // Both have sent their subscriptions, so each holds a gossipsub stream to the other:
    // before the wrapper, this connection stayed open for good.
    bounded("the idle connection closing", async {
        while !matches!(a.select_next_some().await, SwarmEvent::ConnectionClosed { .. }) {}
    })
    .await;
    assert_eq!(a.connected_peers().count(), 0);
}

#[tokio::test]
async fn a_mesh_peer_is_kept() {
    let mut a = connected("souk/t", "souk/t").await;
    bounded("the mesh forming", async {
        while a.behaviour().all_mesh_peers().next().is_none() {
            if let SwarmEvent::ConnectionClosed { .. } = a.select_next_some().await {
                panic!("the connection closed before the mesh formed");
            }
        }
    })
    .await;
    // Three idle timeouts pass; the mesh keeps the connection.
    let watch = async {
        loop {
            if let SwarmEvent::ConnectionClosed { cause, .. } = a.select_next_some().await {
                panic!("a mesh peer was let go: {cause:?}");
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(3), watch).await;
    assert_eq!(a.connected_peers().count(), 1);
}
