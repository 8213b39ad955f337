//! The signaling and data channels as libp2p streams, in real headless Chromium: two peer
//! connections in one page (host candidates on loopback), negotiated through the signaling
//! with its messages carried by channels.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use futures::channel::mpsc;
use futures::future::{Either, join, poll_fn, select};
use futures::{AsyncReadExt, AsyncWriteExt, StreamExt, stream};
use libp2p::core::muxing::StreamMuxerExt;
use souk_webrtc::negotiate::{self, negotiate};
use souk_webrtc::signaling::{self, Message, Refusal, Role};
use souk_webrtc::{Connection, Stream};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test as test, wasm_bindgen_test_configure};
use web_sys::RtcPeerConnection;

wasm_bindgen_test_configure!(run_in_browser);

async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    match select(Box::pin(f), futures_timer::Delay::new(Duration::from_secs(10))).await {
        Either::Left((value, _)) => value,
        Either::Right(_) => panic!("{what} took over 10 s"),
    }
}

/// Two peer connections in this page negotiated through the signaling (its messages carried
/// by channels, `tamper` applied to the dialer's), each taken as a muxer before it starts.
async fn negotiated(
    tamper: impl Fn(Message) -> Message,
) -> (Result<(), negotiate::Error>, Result<(), negotiate::Error>, Connection, Connection) {
    let (a, b) = (RtcPeerConnection::new().unwrap(), RtcPeerConnection::new().unwrap());
    let (dialer, listener) = (Connection::new(a.clone()), Connection::new(b.clone()));
    let (to_listener, from_dialer) = mpsc::unbounded();
    let (to_dialer, from_listener) = mpsc::unbounded();
    let (dialed, listened) = within(
        "negotiating",
        join(
            negotiate(Role::Dialer, &a, to_listener, from_listener.map(Ok)),
            negotiate(Role::Listener, &b, to_dialer, from_dialer.map(tamper).map(Ok)),
        ),
    )
    .await;
    (dialed, listened, dialer, listener)
}

async fn pair() -> (Connection, Connection) {
    let (dialed, listened, dialer, listener) = negotiated(|m| m).await;
    dialed.unwrap();
    listened.unwrap();
    (dialer, listener)
}

/// A new stream from `muxer`, with `first` written and flushed.
async fn open(muxer: &mut Connection, first: &[u8]) -> Stream {
    let mut stream = poll_fn(|cx| muxer.poll_outbound_unpin(cx)).await.unwrap();
    within("writing", stream.write_all(first)).await.unwrap();
    within("flushing", stream.flush()).await.unwrap();
    stream
}

async fn accept(muxer: &mut Connection) -> Stream {
    within("accepting", poll_fn(|cx| muxer.poll_inbound_unpin(cx))).await.unwrap()
}

#[test]
async fn a_stream_carries_bytes_both_ways_and_half_closes() {
    let (mut a, mut b) = pair().await;
    let mut out = open(&mut a, b"hello").await;
    within("closing the write half", out.close()).await.unwrap();

    // The first stream the listener sees is this one: the init channel is not a stream.
    let mut inbound = accept(&mut b).await;
    let mut got = Vec::new();
    within("reading", inbound.read_to_end(&mut got)).await.unwrap();
    assert_eq!(got, b"hello");
    within("answering", inbound.write_all(b"world")).await.unwrap();
    within("closing", inbound.close()).await.unwrap();
    let mut back = Vec::new();
    within("reading the answer", out.read_to_end(&mut back)).await.unwrap();
    assert_eq!(back, b"world");
}

#[test]
async fn many_streams_run_at_once_and_large_writes_arrive_whole() {
    let (mut a, mut b) = pair().await;
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let mut outs = Vec::new();
    for i in 0..20u8 {
        outs.push(open(&mut a, &[i]).await);
    }
    let mut seen = Vec::new();
    for _ in 0..20 {
        let mut inbound = accept(&mut b).await;
        let mut first = [0];
        within("reading", inbound.read_exact(&mut first)).await.unwrap();
        seen.push(first[0]);
        if first[0] == 7 {
            // One stream carries a large body, well past a data channel message and the
            // read buffer, while the others wait.
            let reader = async {
                let mut got = Vec::new();
                inbound.read_to_end(&mut got).await.map(|_| got)
            };
            let writer = async {
                outs[7].write_all(&body).await?;
                outs[7].close().await
            };
            let (got, written) = within("a large body", futures::future::join(reader, writer)).await;
            written.unwrap();
            assert_eq!(got.unwrap(), body);
        }
    }
    seen.sort();
    assert_eq!(seen, (0..20).collect::<Vec<u8>>());
}

/// A reset stream's next read ends (libp2p-webrtc-utils answers the reset flag with an end
/// of stream) and its writes fail.
#[test]
async fn a_stream_dropped_without_closing_is_reset_for_the_other_side() {
    let (mut a, mut b) = pair().await;
    let out = open(&mut a, b"partial").await;
    let mut inbound = accept(&mut b).await;
    let mut first = [0; 7];
    within("reading", inbound.read_exact(&mut first)).await.unwrap();
    drop(out);
    // The dialer's muxer sends the reset of a dropped stream as it is polled.
    let driven = poll_fn(|cx| a.poll_unpin(cx));
    let reset = async {
        let mut rest = Vec::new();
        let _ = inbound.read_to_end(&mut rest).await;
        let written = async {
            inbound.write_all(b"too late").await?;
            inbound.flush().await
        };
        (rest, written.await)
    };
    match within("the reset arriving", select(Box::pin(driven), Box::pin(reset))).await {
        Either::Right(((rest, written), _)) => {
            assert!(rest.is_empty(), "{rest:?}");
            assert!(written.is_err(), "a reset stream took a write");
        }
        Either::Left(_) => panic!("the muxer stopped"),
    }
}

/// The other side closing its peer connection ends this one at once (the browser closes
/// the SCTP association; the connection's own state waits some 15 s for ICE), and no
/// stream opens on it afterwards.
#[test]
async fn a_connection_ends_when_the_other_side_closes_its_own() {
    let (mut a, b) = pair().await;
    drop(b);
    let ended = within("noticing the end", poll_fn(|cx| a.poll_unpin(cx))).await;
    assert!(ended.is_err(), "the muxer went on");
    assert!(poll_fn(|cx| a.poll_outbound_unpin(cx)).await.is_err(), "a stream opened");
}

#[test]
async fn out_of_turn_and_unbound_descriptions_and_a_short_stream_are_refused() {
    let peer = RtcPeerConnection::new().unwrap();
    let (sink, _) = mpsc::unbounded();
    let answer_first = stream::iter([Ok(Message::Answer("v=0".into()))]);
    let refused = negotiate(Role::Listener, &peer, sink.clone(), answer_first).await;
    assert!(matches!(refused, Err(negotiate::Error::Refused(Refusal::OutOfOrder))), "{refused:?}");

    // A real offer without its fingerprint line.
    let offerer = RtcPeerConnection::new().unwrap();
    let _channel = offerer.create_data_channel("init");
    let offer = JsFuture::from(offerer.create_offer()).await.unwrap();
    let sdp = js_sys::Reflect::get(&offer, &"sdp".into()).unwrap().as_string().unwrap();
    let unbound: String =
        sdp.lines().filter(|l| !l.starts_with("a=fingerprint")).map(|l| format!("{l}\r\n")).collect();
    let peer = RtcPeerConnection::new().unwrap();
    let refused =
        negotiate(Role::Listener, &peer, sink.clone(), stream::iter([Ok(Message::Offer(unbound))])).await;
    assert!(matches!(refused, Err(negotiate::Error::Refused(Refusal::Fingerprint))), "{refused:?}");

    let peer = RtcPeerConnection::new().unwrap();
    let ended = negotiate(Role::Dialer, &peer, sink, stream::empty()).await;
    assert!(matches!(ended, Err(negotiate::Error::Ended)), "{ended:?}");
}

/// A dialer that offers and then goes silent: the listener gives up after its timeout
/// rather than holding the peer connection for ever.
#[test]
async fn a_stalled_negotiation_times_out() {
    let dialer = RtcPeerConnection::new().unwrap();
    let _channel = dialer.create_data_channel("init");
    let offer = JsFuture::from(dialer.create_offer()).await.unwrap();
    let sdp = js_sys::Reflect::get(&offer, &"sdp".into()).unwrap().as_string().unwrap();
    // The offer, then nothing: no candidates, no end, the stream never closing.
    let silent = stream::iter([Ok(Message::Offer(sdp))]).chain(stream::pending());
    let (sink, _answers) = mpsc::unbounded();
    let listener = RtcPeerConnection::new().unwrap();
    let stalled = negotiate::negotiate_within(Role::Listener, &listener, sink, silent).await;
    assert!(matches!(stalled, Err(negotiate::Error::Timeout)), "{stalled:?}");
    assert_eq!(stalled.unwrap_err().reason(), "timeout");
}

/// An offer whose fingerprint names another certificate passes the signaling (it is well
/// formed) and fails at DTLS: no connection with a peer other than the one that signalled.
#[test]
async fn an_offer_naming_another_certificate_never_connects() {
    let tamper = |message| match message {
        Message::Offer(sdp) => Message::Offer(
            sdp.lines()
                .map(|l| match l.strip_prefix("a=fingerprint:sha-256 ") {
                    Some(_) => format!("a=fingerprint:sha-256 {}\r\n", ["AB"; 32].join(":")),
                    None => format!("{l}\r\n"),
                })
                .collect(),
        ),
        other => other,
    };
    let (dialed, listened, _, _) = negotiated(tamper).await;
    assert!(matches!(listened, Err(negotiate::Error::Failed)), "{listened:?}");
    assert!(dialed.is_err(), "the dialer connected to a listener that could not check it");
}

/// The signaling over a real libp2p stream (one of an established pair's): framed, flushed
/// message by message, cut back into messages on the other side.
#[test]
async fn the_signaling_runs_over_a_libp2p_stream() {
    let (mut a, mut b) = pair().await;
    let carrier = open(&mut a, b"").await;
    let carried = accept(&mut b).await;
    let (c, d) = (RtcPeerConnection::new().unwrap(), RtcPeerConnection::new().unwrap());
    let (mut dialer, mut listener) = (Connection::new(c.clone()), Connection::new(d.clone()));
    // Each end: a sink to the other side, and the other side's messages.
    let (to_listener, from_listener) = signaling::messages(carrier);
    let (to_dialer, from_dialer) = signaling::messages(carried);
    let (dialed, listened) = within(
        "negotiating over a stream",
        join(
            negotiate(Role::Dialer, &c, to_listener, from_listener),
            negotiate(Role::Listener, &d, to_dialer, from_dialer),
        ),
    )
    .await;
    dialed.unwrap();
    listened.unwrap();
    let mut out = open(&mut dialer, b"direct").await;
    out.close().await.unwrap();
    let mut got = Vec::new();
    within("reading", accept(&mut listener).await.read_to_end(&mut got)).await.unwrap();
    assert_eq!(got, b"direct");
}
