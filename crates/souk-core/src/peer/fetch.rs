//! Which peer to ask for a body next: the providers best first by reputation, the next one
//! after each failure, until one serves a body that matches its hash. A request cut off with
//! its connection is asked of the same peer once more: a peer is often reachable another way
//! (a relayed circuit closes as the direct connection that replaces it opens). Cut off again,
//! it is the peer's failure.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use crate::pack::Digest;

/// How one peer answered a fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchAnswer {
    /// A body whose hash is the one asked for.
    Served,
    /// The peer does not hold the body: no fault.
    Missing,
    /// A body whose hash is another: the peer lied.
    WrongBody,
    /// The request failed on the wire (a broken or oversized answer, a timeout).
    Failed,
    /// The connection the request rode closed under it, before an answer: no fault.
    Interrupted,
}

/// What to do after an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchStep<P> {
    /// The body arrived and checked out.
    Done,
    /// Ask this peer next.
    Try(P),
    /// No peer is left to ask.
    GiveUp,
}

/// A fetch under way: the peer asked now, since when, and those left, best first.
#[derive(Debug, Clone)]
pub struct FetchPlan<P> {
    hash: Digest,
    remaining: VecDeque<P>,
    current: Option<(P, u64)>,
    /// Whether the peer asked now is being asked again after an interruption.
    again: bool,
}

impl<P: Clone> FetchPlan<P> {
    /// A plan over `ranked`, asked in that order.
    pub(crate) fn new(hash: Digest, ranked: Vec<P>) -> Self {
        FetchPlan { hash, remaining: ranked.into(), current: None, again: false }
    }

    pub fn hash(&self) -> Digest {
        self.hash
    }

    /// The peer to ask first, or `None` when there is none.
    pub fn first(&mut self, now: u64) -> Option<P> {
        self.advance(now)
    }

    /// The peer asked now and when it was asked.
    pub fn current(&self) -> Option<&(P, u64)> {
        self.current.as_ref()
    }

    pub(crate) fn advance(&mut self, now: u64) -> Option<P> {
        let next = self.remaining.pop_front()?;
        self.current = Some((next.clone(), now));
        self.again = false;
        Some(next)
    }

    /// The peer asked now, to ask again after an interruption; `None` once it has been.
    pub(crate) fn again(&mut self, now: u64) -> Option<P> {
        let (peer, asked) = self.current.as_mut().filter(|_| !self.again)?;
        *asked = now;
        self.again = true;
        Some(peer.clone())
    }
}
