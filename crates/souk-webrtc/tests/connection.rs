//! Data channels as libp2p streams, in real headless Chromium: two peer connections in one
//! page, negotiated with each other directly (host candidates on loopback, no signaling).
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use futures::future::{Either, poll_fn, select};
use futures::{AsyncReadExt, AsyncWriteExt};
use libp2p::core::muxing::StreamMuxerExt;
use souk_webrtc::{Connection, INIT_LABEL, Stream};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test as test, wasm_bindgen_test_configure};
use web_sys::{RtcPeerConnection, RtcPeerConnectionIceEvent, RtcSessionDescriptionInit};

wasm_bindgen_test_configure!(run_in_browser);

async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    match select(Box::pin(f), futures_timer::Delay::new(Duration::from_secs(10))).await {
        Either::Left((value, _)) => value,
        Either::Right(_) => panic!("{what} took over 10 s"),
    }
}

/// Hands `from`'s ICE candidates to `to` as they are found.
fn trickle(from: &RtcPeerConnection, to: &RtcPeerConnection) {
    let to = to.clone();
    let on_candidate =
        Closure::<dyn FnMut(RtcPeerConnectionIceEvent)>::new(move |event: RtcPeerConnectionIceEvent| {
            if let Some(candidate) = event.candidate() {
                let _ = to.add_ice_candidate_with_opt_rtc_ice_candidate(Some(&candidate));
            }
        });
    from.set_onicecandidate(Some(on_candidate.as_ref().unchecked_ref()));
    on_candidate.forget();
}

async fn description(promise: js_sys::Promise) -> RtcSessionDescriptionInit {
    JsFuture::from(promise).await.unwrap().unchecked_into()
}

/// Two connected peer connections as muxers: the dialer opens the `init` channel before its
/// offer, as libp2p's dialers do.
async fn pair() -> (Connection, Connection) {
    let (a, b) = (RtcPeerConnection::new().unwrap(), RtcPeerConnection::new().unwrap());
    let (dialer, listener) = (Connection::new(a.clone()), Connection::new(b.clone()));
    trickle(&a, &b);
    trickle(&b, &a);
    let _init = a.create_data_channel(INIT_LABEL);
    let offer = description(a.create_offer()).await;
    JsFuture::from(a.set_local_description(&offer)).await.unwrap();
    JsFuture::from(b.set_remote_description(&offer)).await.unwrap();
    let answer = description(b.create_answer()).await;
    JsFuture::from(b.set_local_description(&answer)).await.unwrap();
    JsFuture::from(a.set_remote_description(&answer)).await.unwrap();
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
