#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

/// An offer as Chromium writes one for a data channel.
const OFFER: &str = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
a=msid-semantic: WMS\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n\
a=ice-ufrag:EsAw\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\na=ice-options:trickle\r\n\
a=fingerprint:sha-256 7D:E3:D8:3F:81:A6:80:59:2A:47:1E:6B:6A:BB:07:47:AB:D3:53:85:A8:09:3F:DF:E1:12:C1:EE:BB:6C:C6:AC\r\n\
a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";
const FINGERPRINT: [u8; 32] = [
    0x7D, 0xE3, 0xD8, 0x3F, 0x81, 0xA6, 0x80, 0x59, 0x2A, 0x47, 0x1E, 0x6B, 0x6A, 0xBB, 0x07, 0x47, 0xAB,
    0xD3, 0x53, 0x85, 0xA8, 0x09, 0x3F, 0xDF, 0xE1, 0x12, 0xC1, 0xEE, 0xBB, 0x6C, 0xC6, 0xAC,
];
const CANDIDATE: &str = r#"{"candidate":"candidate:1 1 udp 2122260223 127.0.0.1 51234 typ host generation 0 ufrag EsAw network-id 1","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"EsAw"}"#;

fn answer() -> String {
    OFFER.replace("a=setup:actpass", "a=setup:active")
}

fn cut(bytes: &[u8]) -> Vec<Result<Message, Refusal>> {
    let mut frames = Frames::default();
    frames.push(bytes);
    std::iter::from_fn(|| frames.next_message()).collect()
}

#[test]
fn an_offer_writes_its_type_although_it_is_the_default() {
    let bytes = Message::Offer("v=0".into()).encode();
    assert_eq!(bytes, [7, 0x08, 0x00, 0x12, 3, b'v', b'=', b'0']);
    assert_eq!(Message::Candidate(None).encode(), [8, 0x08, 0x02, 0x12, 4, b'n', b'u', b'l', b'l']);
}

#[test]
fn messages_arrive_whole_however_the_bytes_are_cut() {
    let sent = [
        Message::Offer(OFFER.into()),
        Message::Answer(answer()),
        Message::Candidate(Some(CANDIDATE.into())),
        Message::Candidate(None),
    ];
    let bytes: Vec<u8> = sent.iter().flat_map(Message::encode).collect();
    let mut frames = Frames::default();
    let mut received = Vec::new();
    for byte in bytes {
        frames.push(&[byte]);
        while let Some(message) = frames.next_message() {
            received.push(message.unwrap());
        }
    }
    assert_eq!(received, sent);
    assert!(frames.buffer.is_empty());
}

#[test]
fn a_listener_takes_an_offer_then_candidates_then_the_end() {
    let mut listener = Negotiation::new(Role::Listener);
    let step = listener.receive(Message::Offer(OFFER.into())).unwrap();
    assert_eq!(step, Step::Description { sdp: OFFER.into(), fingerprint: FINGERPRINT });
    assert_eq!(
        listener.receive(Message::Candidate(Some(CANDIDATE.into()))),
        Ok(Step::Candidate(CANDIDATE.into()))
    );
    assert_eq!(listener.receive(Message::Candidate(None)), Ok(Step::Complete));
    assert_eq!(listener.receive(Message::Candidate(Some(CANDIDATE.into()))), Err(Refusal::OutOfOrder));

    let mut dialer = Negotiation::new(Role::Dialer);
    assert!(matches!(dialer.receive(Message::Answer(answer())), Ok(Step::Description { .. })));
    // js-libp2p writes the end of candidates as "null", and "" means the same.
    assert_eq!(cut(&Message::Candidate(Some(String::new())).encode()), [Ok(Message::Candidate(None))]);
}

#[test]
fn messages_out_of_their_turn_are_refused() {
    let offer = || Message::Offer(OFFER.into());
    let cases: [(Role, Vec<Message>); 5] = [
        (Role::Listener, vec![Message::Answer(answer())]),
        (Role::Dialer, vec![offer()]),
        (Role::Listener, vec![Message::Candidate(Some(CANDIDATE.into()))]),
        (Role::Listener, vec![Message::Candidate(None)]),
        (Role::Listener, vec![offer(), offer()]),
    ];
    for (role, sequence) in cases {
        let mut negotiation = Negotiation::new(role);
        let last = sequence.into_iter().map(|m| negotiation.receive(m)).last().unwrap();
        assert_eq!(last, Err(Refusal::OutOfOrder), "{role:?}");
    }
}

#[test]
fn candidates_are_bounded_and_must_be_candidates() {
    let mut listener = Negotiation::new(Role::Listener);
    listener.receive(Message::Offer(OFFER.into())).unwrap();
    for _ in 0..MAX_CANDIDATES {
        listener.receive(Message::Candidate(Some(CANDIDATE.into()))).unwrap();
    }
    assert_eq!(listener.receive(Message::Candidate(Some(CANDIDATE.into()))), Err(Refusal::TooManyCandidates));

    for bad in ["not json", "[]", "{}", r#"{"candidate": 7}"#] {
        let mut listener = Negotiation::new(Role::Listener);
        listener.receive(Message::Offer(OFFER.into())).unwrap();
        assert_eq!(listener.receive(Message::Candidate(Some(bad.into()))), Err(Refusal::Malformed), "{bad}");
    }
}

#[test]
fn an_sdp_must_carry_one_sha_256_fingerprint() {
    let line = OFFER.lines().find(|l| l.starts_with("a=fingerprint")).unwrap();
    let other = line.replace("7D:E3", "00:00");
    for sdp in [
        OFFER.replace(line, ""),
        OFFER.replace("sha-256", "sha-1"),
        OFFER.replace(":AC\r\n", "\r\n"),
        OFFER.replace(":AC\r\n", ":AC:00\r\n"),
        OFFER.replace(":AC\r\n", ":ZZ\r\n"),
        OFFER.replace("sha-256 ", "sha-256"),
        format!("{OFFER}{other}\r\n"),
    ] {
        let mut listener = Negotiation::new(Role::Listener);
        assert_eq!(listener.receive(Message::Offer(sdp.clone())), Err(Refusal::Fingerprint), "{sdp}");
    }
    // The same fingerprint at session and media level is one certificate.
    let twice = format!("{OFFER}{line}\r\n");
    assert!(Negotiation::new(Role::Listener).receive(Message::Offer(twice)).is_ok());
}

#[test]
fn an_oversized_message_is_refused_before_its_bytes_arrive() {
    let mut length = unsigned_varint::encode::usize_buffer();
    let mut frames = Frames::default();
    frames.push(unsigned_varint::encode::usize(MAX_MESSAGE + 1, &mut length));
    assert_eq!(frames.next_message(), Some(Err(Refusal::Oversized)));
    frames.push(&Message::Candidate(None).encode());
    assert_eq!(frames.next_message(), None, "nothing is taken after a refusal");
    // A length that is not a varint at all (eleven continuation bytes).
    assert_eq!(cut(&[0xff; 11]), [Err(Refusal::Malformed)]);
}

#[test]
fn malformed_protobufs_are_refused() {
    let framed = |body: &[u8]| [&[body.len() as u8][..], body].concat();
    for body in [
        &[0x12, 3, b'v', b'=', b'0'][..], // no type
        &[0x08, 0x07, 0x12, 0][..],       // an unknown type
        &[0x08][..],                      // cut inside a field
        &[0x12, 2, 0xff, 0xfe][..],       // data that is not UTF-8
    ] {
        assert_eq!(cut(&framed(body)), [Err(Refusal::Malformed)], "{body:?}");
    }
}

#[test]
fn every_cut_and_flipped_byte_is_a_message_a_refusal_or_a_wait_never_a_panic() {
    let bytes: Vec<u8> = [Message::Offer(OFFER.into()), Message::Candidate(Some(CANDIDATE.into()))]
        .iter()
        .flat_map(Message::encode)
        .collect();
    for end in 0..bytes.len() {
        let mut negotiation = Negotiation::new(Role::Listener);
        for message in cut(&bytes[..end]).into_iter().flatten() {
            let _ = negotiation.receive(message);
        }
    }
    for index in 0..bytes.len() {
        for flip in [0x01, 0x80, 0xff] {
            let mut bytes = bytes.clone();
            bytes[index] ^= flip;
            let mut negotiation = Negotiation::new(Role::Listener);
            for message in cut(&bytes).into_iter().flatten() {
                let _ = negotiation.receive(message);
            }
        }
    }
}

#[test]
fn a_stream_carries_messages_until_a_refusal() {
    use futures::{SinkExt, StreamExt};

    let sent = [Message::Offer(OFFER.into()), Message::Candidate(Some(CANDIDATE.into()))];
    let mut written = futures::io::Cursor::new(Vec::new());
    futures::executor::block_on(async {
        let (mut sink, _) = messages(&mut written);
        for message in &sent {
            sink.send(message.clone()).await.unwrap();
        }
    });
    let mut bytes = written.into_inner();
    assert_eq!(bytes, sent.iter().flat_map(Message::encode).collect::<Vec<_>>());

    // Then a length past the bound, then a message that must not be read.
    bytes.extend_from_slice(&[0xff, 0xff, 0x01]);
    bytes.extend(Message::Candidate(None).encode());
    let (_, read) = messages(futures::io::Cursor::new(bytes));
    let received: Vec<_> = futures::executor::block_on(read.collect());
    let expected: Vec<_> = sent.iter().cloned().map(Ok).chain([Err(Refusal::Oversized)]).collect();
    assert_eq!(received, expected);
}
