//! The tab's side of the signaling: drives the browser's `RTCPeerConnection` through the
//! negotiation [`crate::signaling`] checks. Messages come and go as a stream and a sink, so
//! the shell decides what carries them (a `/webrtc-signaling/0.0.1` stream on a relayed
//! connection).

use std::time::Duration;

use futures::channel::mpsc;
use futures::future::{Either, select};
use futures::{Sink, SinkExt, Stream, StreamExt};
use js_sys::{JSON, Reflect};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    RtcIceCandidateInit, RtcPeerConnection, RtcPeerConnectionIceEvent, RtcPeerConnectionState, RtcSdpType,
    RtcSessionDescriptionInit,
};

use crate::INIT_LABEL;
use crate::signaling::{Message, Negotiation, Refusal, Role, Step};

/// Why a negotiation ended without a connection.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the other side's signaling was refused: {0}")]
    Refused(#[from] Refusal),
    #[error("the signaling stream ended before the connection was up")]
    Ended,
    #[error("the browser refused: {0}")]
    Browser(String),
    #[error("the connection failed (ICE or DTLS)")]
    Failed,
    #[error("the negotiation took over {} s", NEGOTIATION_TIMEOUT.as_secs())]
    Timeout,
}

impl Error {
    /// The reason's label, as [`crate::Refusals`] counts it.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Refused(refusal) => refusal.as_str(),
            Self::Ended => "ended",
            Self::Browser(_) => "browser",
            Self::Failed => "failed",
            Self::Timeout => "timeout",
        }
    }
}

/// How long a negotiation may take, as js-libp2p allows: then the relayed path is used.
pub const NEGOTIATION_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) fn browser(error: JsValue) -> Error {
    Error::Browser(
        error
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_else(|| format!("{error:?}")),
    )
}

/// What the browser tells the negotiation while it runs.
enum Local {
    Candidate(Option<String>),
    StateChanged,
}

/// Whichever came first: the other side's next message, or the browser's.
enum Next {
    Remote(Option<Result<Message, Refusal>>),
    Local(Option<Local>),
}

/// Unsets the peer connection's handlers before their closures go.
struct Handlers<'a> {
    peer: &'a RtcPeerConnection,
    _on_candidate: Closure<dyn FnMut(RtcPeerConnectionIceEvent)>,
    _on_state: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for Handlers<'_> {
    fn drop(&mut self) {
        self.peer.set_onicecandidate(None);
        self.peer.set_onconnectionstatechange(None);
    }
}

fn watch(peer: &RtcPeerConnection) -> (Handlers<'_>, mpsc::UnboundedReceiver<Local>) {
    let (tx, rx) = mpsc::unbounded();
    let on_candidate = Closure::<dyn FnMut(RtcPeerConnectionIceEvent)>::new({
        let tx = tx.clone();
        move |event: RtcPeerConnectionIceEvent| {
            let candidate =
                event.candidate().and_then(|c| JSON::stringify(&c.to_json()).ok()).map(String::from);
            let _ = tx.unbounded_send(Local::Candidate(candidate));
        }
    });
    let on_state = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        let _ = tx.unbounded_send(Local::StateChanged);
    });
    peer.set_onicecandidate(Some(on_candidate.as_ref().unchecked_ref()));
    peer.set_onconnectionstatechange(Some(on_state.as_ref().unchecked_ref()));
    (Handlers { peer, _on_candidate: on_candidate, _on_state: on_state }, rx)
}

async fn send<O: Sink<Message> + Unpin>(outgoing: &mut O, message: Message) -> Result<(), Error> {
    outgoing.send(message).await.map_err(|_| Error::Ended)
}

async fn wait(promise: js_sys::Promise) -> Result<JsValue, Error> {
    JsFuture::from(promise).await.map_err(browser)
}

/// The SDP of a description the browser made.
fn sdp_of(description: &JsValue) -> Result<String, Error> {
    Reflect::get(description, &"sdp".into()).map_err(browser)?.as_string().ok_or(Error::Failed)
}

fn description(kind: RtcSdpType, sdp: &str) -> RtcSessionDescriptionInit {
    let description = RtcSessionDescriptionInit::new(kind);
    description.set_sdp(sdp);
    description
}

/// [`negotiate`], given up after [`NEGOTIATION_TIMEOUT`].
pub async fn negotiate_within<O, I>(
    role: Role,
    peer: &RtcPeerConnection,
    outgoing: O,
    incoming: I,
) -> Result<(), Error>
where
    O: Sink<Message> + Unpin,
    I: Stream<Item = Result<Message, Refusal>> + Unpin,
{
    let negotiation = std::pin::pin!(negotiate(role, peer, outgoing, incoming));
    match select(negotiation, futures_timer::Delay::new(NEGOTIATION_TIMEOUT)).await {
        Either::Left((result, _)) => result,
        Either::Right(_) => Err(Error::Timeout),
    }
}

/// Negotiates `peer` with the other side as `role` until the connection is up. The dialer
/// opens the `init` data channel (so its offer describes an SCTP association) and closes it
/// once connected.
pub async fn negotiate<O, I>(
    role: Role,
    peer: &RtcPeerConnection,
    mut outgoing: O,
    mut incoming: I,
) -> Result<(), Error>
where
    O: Sink<Message> + Unpin,
    I: Stream<Item = Result<Message, Refusal>> + Unpin,
{
    let (_handlers, mut local) = watch(peer);
    let mut negotiation = Negotiation::new(role);
    let init = (role == Role::Dialer).then(|| peer.create_data_channel(INIT_LABEL));
    let (mut described, mut signaling_open) = (false, true);
    if role == Role::Dialer {
        let offer = wait(peer.create_offer()).await?;
        let sdp = sdp_of(&offer)?;
        wait(peer.set_local_description(&description(RtcSdpType::Offer, &sdp))).await?;
        send(&mut outgoing, Message::Offer(sdp)).await?;
    }
    loop {
        match peer.connection_state() {
            RtcPeerConnectionState::Connected => break,
            RtcPeerConnectionState::Failed | RtcPeerConnectionState::Closed => return Err(Error::Failed),
            _ => {}
        }
        // Once the other side is connected it may close the signaling stream while this
        // side still finishes: after its description, only the connection's state counts.
        let next = match signaling_open {
            true => match select(incoming.next(), local.next()).await {
                Either::Left((remote, _)) => Next::Remote(remote),
                Either::Right((local, _)) => Next::Local(local),
            },
            false => Next::Local(local.next().await),
        };
        match next {
            Next::Remote(None) if described => signaling_open = false,
            Next::Remote(None) => return Err(Error::Ended),
            Next::Remote(Some(message)) => match negotiation.receive(message?)? {
                Step::Description { sdp, .. } if role == Role::Listener => {
                    described = true;
                    wait(peer.set_remote_description(&description(RtcSdpType::Offer, &sdp))).await?;
                    let answer = sdp_of(&wait(peer.create_answer()).await?)?;
                    wait(peer.set_local_description(&description(RtcSdpType::Answer, &answer))).await?;
                    send(&mut outgoing, Message::Answer(answer)).await?;
                }
                Step::Description { sdp, .. } => {
                    described = true;
                    wait(peer.set_remote_description(&description(RtcSdpType::Answer, &sdp))).await?;
                }
                Step::Candidate(json) => {
                    let candidate: RtcIceCandidateInit =
                        JSON::parse(&json).map_err(browser)?.unchecked_into();
                    let added = peer.add_ice_candidate_with_opt_rtc_ice_candidate_init(Some(&candidate));
                    wait(added).await.map_err(|_| Refusal::Malformed)?;
                }
                Step::Complete => {}
            },
            Next::Local(Some(Local::Candidate(candidate))) if signaling_open => {
                if send(&mut outgoing, Message::Candidate(candidate)).await.is_err() {
                    if !described {
                        return Err(Error::Ended);
                    }
                    signaling_open = false;
                }
            }
            // A state change, or a candidate the closed signaling no longer carries.
            Next::Local(Some(_)) => {}
            Next::Local(None) => unreachable!("the handlers hold the sender"),
        }
    }
    if let Some(init) = init {
        init.close();
    }
    Ok(())
}
