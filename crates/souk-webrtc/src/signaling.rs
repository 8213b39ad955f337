//! `/webrtc-signaling/0.0.1`: how two tabs agree on a WebRTC connection over a relayed one.
//!
//! The dialer sends an SDP offer, the listener answers with an SDP answer, then each side
//! sends its ICE candidates as it finds them and an empty candidate (`"null"` or `""`, as
//! js-libp2p writes it) when it has no more. Each message is a protobuf
//! `Message { type = 1; data = 2 }` preceded by its length as an unsigned varint. There is
//! no Noise handshake afterwards: the SDPs travel over the relayed connection, which Noise
//! already authenticated, and the DTLS handshake checks the fingerprints they carry.
//!
//! [`Frames`] cuts the other side's bytes into messages without buffering more than one
//! bounded message; [`Negotiation`] checks each message in turn. A refusal names what was
//! wrong ([`Refusal`]) so the shell can close the stream and count it.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, Sink, Stream};

/// The protocol's name on the relayed connection.
pub const PROTOCOL: &str = "/webrtc-signaling/0.0.1";
/// The largest message taken: a browser's SDP for a data channel is 1 to 3 KiB, a candidate
/// a few hundred bytes.
pub const MAX_MESSAGE: usize = 16 * 1024;
/// The most ICE candidates taken from the other side: a browser gathers one or two per
/// network interface and server.
pub const MAX_CANDIDATES: usize = 64;

/// Why a negotiation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("a signaling message over {MAX_MESSAGE} bytes")]
    Oversized,
    #[error("a signaling message that is not one")]
    Malformed,
    #[error("a signaling message out of order")]
    OutOfOrder,
    #[error("more than {MAX_CANDIDATES} ICE candidates")]
    TooManyCandidates,
    #[error("an SDP without one SHA-256 DTLS fingerprint")]
    Fingerprint,
}

impl Refusal {
    /// The reason's label on `/metrics`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Oversized => "oversized",
            Self::Malformed => "malformed",
            Self::OutOfOrder => "out_of_order",
            Self::TooManyCandidates => "too_many_candidates",
            Self::Fingerprint => "fingerprint",
        }
    }
}

/// One signaling message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Offer(String),
    Answer(String),
    /// An ICE candidate as the browser serializes it (`JSON.stringify(candidate.toJSON())`),
    /// or `None`: no more candidates.
    Candidate(Option<String>),
}

/// The message on the wire. js-libp2p refuses a message without `type`, so it is always
/// written, even when it is the default (an offer, 0).
#[derive(Clone, PartialEq, prost::Message)]
struct Wire {
    #[prost(enumeration = "Kind", optional, tag = "1")]
    kind: Option<i32>,
    #[prost(string, optional, tag = "2")]
    data: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, prost::Enumeration)]
#[repr(i32)]
enum Kind {
    SdpOffer = 0,
    SdpAnswer = 1,
    IceCandidate = 2,
}

impl Message {
    /// The message framed for the wire: its length, then the protobuf.
    pub fn encode(&self) -> Vec<u8> {
        let (kind, data) = match self {
            Message::Offer(sdp) => (Kind::SdpOffer, sdp.clone()),
            Message::Answer(sdp) => (Kind::SdpAnswer, sdp.clone()),
            Message::Candidate(candidate) => {
                (Kind::IceCandidate, candidate.clone().unwrap_or_else(|| "null".to_owned()))
            }
        };
        prost::Message::encode_length_delimited_to_vec(&Wire { kind: Some(kind as i32), data: Some(data) })
    }

    /// One message's protobuf (without its length).
    fn decode(bytes: &[u8]) -> Result<Message, Refusal> {
        let wire: Wire = prost::Message::decode(bytes).map_err(|_| Refusal::Malformed)?;
        let kind = wire.kind.and_then(|k| Kind::try_from(k).ok()).ok_or(Refusal::Malformed)?;
        let data = wire.data.unwrap_or_default();
        Ok(match kind {
            Kind::SdpOffer => Message::Offer(data),
            Kind::SdpAnswer => Message::Answer(data),
            Kind::IceCandidate => match data.as_str() {
                "" | "null" => Message::Candidate(None),
                _ => Message::Candidate(Some(data)),
            },
        })
    }
}

/// Cuts a byte stream into messages. It holds at most one message's bytes (and a length):
/// a length over [`MAX_MESSAGE`] is refused as soon as it is read, before its bytes arrive.
/// After a refusal it takes nothing more (the stream is to be closed).
#[derive(Debug, Default)]
pub struct Frames {
    buffer: Vec<u8>,
    refused: bool,
}

impl Frames {
    /// Takes bytes as they arrive.
    pub fn push(&mut self, bytes: &[u8]) {
        if !self.refused {
            self.buffer.extend_from_slice(bytes);
        }
    }

    /// The next whole message, if one has arrived.
    pub fn next_message(&mut self) -> Option<Result<Message, Refusal>> {
        let message = self.cut()?;
        if message.is_err() {
            self.refused = true;
            self.buffer = Vec::new();
        }
        Some(message)
    }

    fn cut(&mut self) -> Option<Result<Message, Refusal>> {
        let (len, rest) = match unsigned_varint::decode::usize(&self.buffer) {
            Ok(decoded) => decoded,
            Err(unsigned_varint::decode::Error::Insufficient) => return None,
            Err(_) => return Some(Err(Refusal::Malformed)),
        };
        if len > MAX_MESSAGE {
            return Some(Err(Refusal::Oversized));
        }
        if rest.len() < len {
            return None;
        }
        let message = Message::decode(&rest[..len]);
        let used = self.buffer.len() - rest.len() + len;
        self.buffer.drain(..used);
        Some(message)
    }
}

/// A signaling stream as messages: a sink that writes (and flushes) each one, and the other
/// side's messages as [`Frames`] cuts them. The messages end at the stream's end, a read
/// error, or after a refusal.
pub fn messages<S>(
    stream: S,
) -> (impl Sink<Message, Error = io::Error> + Unpin, impl Stream<Item = Result<Message, Refusal>> + Unpin)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (reader, writer) = stream.split();
    let sink = futures::sink::unfold(writer, |mut writer, message: Message| async move {
        writer.write_all(&message.encode()).await?;
        writer.flush().await?;
        Ok::<_, io::Error>(writer)
    });
    let read = futures::stream::unfold(Some((reader, Frames::default())), |state| async move {
        let (mut reader, mut frames) = state?;
        let mut buffer = [0; 4096];
        loop {
            if let Some(message) = frames.next_message() {
                let more = message.is_ok().then_some((reader, frames));
                return Some((message, more));
            }
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => frames.push(&buffer[..n]),
            }
        }
    });
    (Box::pin(sink), Box::pin(read))
}

/// Which side of the negotiation this peer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Sends the offer, reads the answer.
    Dialer,
    /// Reads the offer, sends the answer.
    Listener,
}

/// What the other side's message asks of this peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Its session description, to set as the remote one: the offer for a listener, the
    /// answer for a dialer. `fingerprint` is the SHA-256 of the DTLS certificate it will
    /// present, which the browser holds the connection to.
    Description { sdp: String, fingerprint: [u8; 32] },
    /// A candidate to add.
    Candidate(String),
    /// It has no more candidates.
    Complete,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Description,
    Candidates,
    Complete,
}

/// The other side's half of a negotiation, checked message by message: first its
/// description, then at most [`MAX_CANDIDATES`] candidates, then at most an end marker.
#[derive(Debug)]
pub struct Negotiation {
    role: Role,
    stage: Stage,
    candidates: usize,
}

impl Negotiation {
    pub fn new(role: Role) -> Self {
        Self { role, stage: Stage::Description, candidates: 0 }
    }

    /// Checks the other side's next message. After a refusal the negotiation is over: the
    /// shell closes the stream.
    pub fn receive(&mut self, message: Message) -> Result<Step, Refusal> {
        match (self.stage, self.role, message) {
            (Stage::Description, Role::Listener, Message::Offer(sdp))
            | (Stage::Description, Role::Dialer, Message::Answer(sdp)) => {
                let fingerprint = fingerprint(&sdp)?;
                self.stage = Stage::Candidates;
                Ok(Step::Description { sdp, fingerprint })
            }
            (Stage::Candidates, _, Message::Candidate(Some(candidate))) => {
                self.candidates += 1;
                if self.candidates > MAX_CANDIDATES {
                    return Err(Refusal::TooManyCandidates);
                }
                check_candidate(&candidate)?;
                Ok(Step::Candidate(candidate))
            }
            (Stage::Candidates, _, Message::Candidate(None)) => {
                self.stage = Stage::Complete;
                Ok(Step::Complete)
            }
            _ => Err(Refusal::OutOfOrder),
        }
    }
}

/// The DTLS fingerprint an SDP carries: every `a=fingerprint` line must be SHA-256 and name
/// the same certificate, and there must be one, or there is nothing to hold DTLS to.
fn fingerprint(sdp: &str) -> Result<[u8; 32], Refusal> {
    let mut found = None;
    for line in sdp.lines() {
        let Some(value) = line.trim_end().strip_prefix("a=fingerprint:") else { continue };
        let (algorithm, hex) = value.split_once(' ').ok_or(Refusal::Fingerprint)?;
        if !algorithm.eq_ignore_ascii_case("sha-256") {
            return Err(Refusal::Fingerprint);
        }
        let mut bytes = [0; 32];
        let mut pairs = hex.trim().split(':');
        for byte in &mut bytes {
            let pair = pairs.next().filter(|p| p.len() == 2).ok_or(Refusal::Fingerprint)?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| Refusal::Fingerprint)?;
        }
        if pairs.next().is_some() || found.is_some_and(|f| f != bytes) {
            return Err(Refusal::Fingerprint);
        }
        found = Some(bytes);
    }
    found.ok_or(Refusal::Fingerprint)
}

/// A candidate is the JSON of an `RTCIceCandidateInit`: an object with a `candidate` string.
fn check_candidate(candidate: &str) -> Result<(), Refusal> {
    is_candidate_init(candidate).then_some(()).ok_or(Refusal::Malformed)
}

/// In a tab, read by the browser's own JSON parser, the one that reads the candidate for
/// `addIceCandidate` next (and no JSON parser of Rust's in the module, 6 KB gzipped).
#[cfg(target_arch = "wasm32")]
fn is_candidate_init(json: &str) -> bool {
    let candidate = |v| js_sys::Reflect::get(&v, &"candidate".into()).is_ok_and(|c| c.is_string());
    js_sys::JSON::parse(json).is_ok_and(|v| v.is_object() && candidate(v))
}

/// Natively (the signaling's own tests), read by serde_json.
#[cfg(not(target_arch = "wasm32"))]
fn is_candidate_init(json: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(json)
        .is_ok_and(|v| v.get("candidate").is_some_and(|c| c.is_string()))
}

#[cfg(test)]
mod tests;
