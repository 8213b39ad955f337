//! The peer's rules on simulated time: no sockets, no clock, every decision seen in the
//! actions it answers. Peers are named by `u8`.

use alloc::vec;
use alloc::vec::Vec;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::catalog::FetchedBase;
use crate::catalog::head::{chain_link, chain_root};
use crate::catalog::tests::record;

const ALICE: [u8; 32] = [1; 32];
const MALLORY: [u8; 32] = [2; 32];
const HONEST: u8 = 1;
const HOSTILE: u8 = 2;

fn peer(relay: bool) -> Peer<u8> {
    let config = PeerConfig { relay, ..PeerConfig::default() };
    Peer::start(Catalog::default(), Vec::new(), [], config).0
}

fn actions(peer: &mut Peer<u8>) -> Vec<Action<u8>> {
    core::iter::from_fn(|| peer.poll_action()).collect()
}

fn refusals(actions: &[Action<u8>]) -> Vec<(u8, Reason)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Refused(r) => Some((r.peer, r.reason)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_new_record_is_kept_offered_to_the_dht_and_told_once() {
    let mut peer = peer(false);
    let r = record("rust-cli", "1.0.0", 1, &ALICE);
    assert_eq!(peer.handle_record(HONEST, Via::Gossip, &r.encode()), Verdict::New);
    assert_eq!(
        actions(&mut peer),
        [
            Action::Learned { entry: r.clone().into(), from: Some(HONEST), via: Via::Gossip },
            Action::KeepInDht(r.clone())
        ]
    );
    // Heard again (from a relay this time): valid, known, told no one.
    assert_eq!(peer.handle_record(HOSTILE, Via::Gossip, &r.encode()), Verdict::Known);
    assert_eq!(actions(&mut peer), [Action::KeepInDht(r)]);
}

#[test]
fn broken_input_is_refused_counted_and_reported_once_per_peer_and_reason() {
    let mut peer = peer(false);
    let mut bytes = record("rust-cli", "1.0.0", 1, &ALICE).encode();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    for _ in 0..3 {
        assert_eq!(peer.handle_record(HOSTILE, Via::Sync, &bytes), Verdict::Refused);
    }
    let done = actions(&mut peer);
    assert_eq!(refusals(&done), [(HOSTILE, Reason::BadRecord)]);
    assert_eq!(peer.refused_for(Reason::BadRecord), 3);
    assert_eq!(peer.reputation(&HOSTILE).failures, 3);
    assert!(!done.iter().any(|a| matches!(a, Action::Learned { .. } | Action::KeepInDht(_))));
}

#[test]
fn a_name_stays_with_its_first_key() {
    let mut peer = peer(false);
    peer.handle_record(HONEST, Via::Gossip, &record("rust-cli", "1.0.0", 1, &ALICE).encode());
    actions(&mut peer);
    let squat = record("Rust_CLI", "2.0.0", 2, &MALLORY);
    assert_eq!(peer.handle_record(HOSTILE, Via::Gossip, &squat.encode()), Verdict::Refused);
    let done = actions(&mut peer);
    assert_eq!(refusals(&done), [(HOSTILE, Reason::BrokenRules)]);
    assert!(!done.iter().any(|a| matches!(a, Action::KeepInDht(_))), "never offered to the DHT store");
    assert!(dht::replaces(None, &squat));
    let held = record("rust-cli", "1.0.0", 1, &ALICE);
    assert!(dht::replaces(Some(&held), &record("rust-cli", "1.1.0", 3, &ALICE)));
    assert!(!dht::replaces(Some(&record("rust-cli", "1.1.0", 3, &ALICE)), &held), "never an older one");
}

#[test]
fn dht_puts_must_sit_under_their_own_key_and_relays_announce_new_ones() {
    let mut relay = peer(true);
    let r = record("rust-cli", "1.0.0", 1, &ALICE);
    let bytes = r.encode();
    assert_eq!(relay.handle_dht_put(HOSTILE, b"/other/key", &bytes), Verdict::Refused);
    assert_eq!(relay.handle_dht_put(HOSTILE, &dht::record_key("rust-ci"), &bytes), Verdict::Refused);
    assert_eq!(
        refusals(&actions(&mut relay)),
        [(HOSTILE, Reason::MisplacedRecord)],
        "both misplaced, reported once"
    );
    assert_eq!(relay.handle_dht_put(HONEST, &dht::record_key("RUST_cli"), &bytes), Verdict::New);
    assert!(actions(&mut relay).contains(&Action::Announce(bytes.clone())));
    assert_eq!(relay.handle_dht_put(HONEST, &dht::record_key("rust-cli"), &bytes), Verdict::Known);
    assert!(!actions(&mut relay).iter().any(|a| matches!(a, Action::Announce(_))), "announced once");

    let mut plain = peer(false);
    plain.handle_dht_put(HONEST, &dht::record_key("rust-cli"), &bytes);
    assert!(!actions(&mut plain).iter().any(|a| matches!(a, Action::Announce(_))));
}

#[test]
fn fetches_go_best_first_learn_latency_and_move_on_after_a_lie() {
    let mut peer = peer(false);
    // A fetch from HONEST that took 40 ms of simulated time.
    let mut plan = peer.plan_fetch([9; 32], vec![HONEST]);
    assert_eq!(plan.first(1_000), Some(HONEST));
    assert_eq!(peer.handle_fetch_answer(&mut plan, FetchAnswer::Served, 1_040), FetchStep::Done);
    assert_eq!(peer.reputation(&HONEST).latency_ms, 40.0);

    // HONEST now ranks first; a missing body is no fault, a lie is.
    let mut plan = peer.plan_fetch([9; 32], vec![3, HOSTILE, HONEST]);
    assert_eq!(plan.first(2_000), Some(HONEST));
    assert_eq!(peer.handle_fetch_answer(&mut plan, FetchAnswer::Missing, 2_001), FetchStep::Try(HOSTILE));
    assert_eq!(peer.reputation(&HONEST).failures, 0);
    assert_eq!(peer.handle_fetch_answer(&mut plan, FetchAnswer::WrongBody, 2_002), FetchStep::Try(3));
    assert_eq!(peer.handle_fetch_answer(&mut plan, FetchAnswer::Failed, 2_003), FetchStep::GiveUp);
    let done = actions(&mut peer);
    assert_eq!(refusals(&done), [(HOSTILE, Reason::WrongBody), (3, Reason::FailedFetch)]);
    assert_eq!(peer.reputation(&HOSTILE).failures, 1);
    // The liar now ranks last.
    assert_eq!(peer.plan_fetch([9; 32], vec![HOSTILE, 3, HONEST]).first(3_000), Some(HONEST));
}

#[test]
fn an_interrupted_fetch_asks_the_same_peer_once_more_and_blames_only_a_second_interruption() {
    let mut peer = peer(false);
    let mut plan = peer.plan_fetch([9; 32], vec![HONEST, 3]);
    assert_eq!(plan.first(1_000), Some(HONEST));
    assert_eq!(peer.handle_fetch_answer(&mut plan, FetchAnswer::Interrupted, 1_010), FetchStep::Try(HONEST));
    // Asked again at 1,010: the latency learned counts from then.
    assert_eq!(peer.handle_fetch_answer(&mut plan, FetchAnswer::Served, 1_030), FetchStep::Done);
    assert_eq!(peer.reputation(&HONEST).latency_ms, 20.0);
    assert_eq!(refusals(&actions(&mut peer)), []);

    // Cut off twice running (a peer that resets every request): counted against it, as a
    // failed fetch is, and the next peer asked.
    let mut plan = peer.plan_fetch([9; 32], vec![HOSTILE, 3]);
    assert_eq!(plan.first(2_000), Some(HOSTILE));
    assert_eq!(peer.handle_fetch_answer(&mut plan, FetchAnswer::Interrupted, 2_001), FetchStep::Try(HOSTILE));
    assert_eq!(peer.handle_fetch_answer(&mut plan, FetchAnswer::Interrupted, 2_002), FetchStep::Try(3));
    assert_eq!(peer.handle_fetch_answer(&mut plan, FetchAnswer::Interrupted, 2_003), FetchStep::Try(3));
    assert_eq!(peer.handle_fetch_answer(&mut plan, FetchAnswer::Interrupted, 2_004), FetchStep::GiveUp);
    assert_eq!(refusals(&actions(&mut peer)), [(HOSTILE, Reason::FailedFetch), (3, Reason::FailedFetch)]);
    assert_eq!((peer.reputation(&HOSTILE).failures, peer.reputation(&HONEST).failures), (1, 0));
}

#[test]
fn lookups_are_cached_until_their_name_changes_or_they_expire() {
    let mut peer = peer(false);
    let r = record("rust-cli", "1.0.0", 1, &ALICE);
    let key = dht::record_key("rust-cli");
    // A record under the wrong key, or of another name, is skipped.
    assert_eq!(peer.handle_found("rust-ci", &key, &r.encode(), Some(HONEST), 0), None);
    assert_eq!(peer.handle_found("rust-cli", &key, &r.encode(), Some(HONEST), 0), Some(r.clone()));
    assert_eq!(peer.cached_record("Rust-CLI", 1_000), Some(r.clone()));
    // A newer version learned clears the cached answer.
    let newer = record("rust-cli", "1.1.0", 2, &ALICE);
    peer.handle_record(HONEST, Via::Gossip, &newer.encode());
    assert_eq!(peer.cached_record("rust-cli", 2_000), None);

    peer.handle_providers([9; 32], vec![HONEST], 0);
    assert_eq!(peer.cached_providers([9; 32], 60_000), Some(vec![HONEST]));
    let day = 24 * 60 * 60 * 1000;
    assert_eq!(peer.cached_providers([9; 32], day + 1), None, "a day later the answer has expired");
}

/// `head` as `signer` signs it in `epoch`, and the key to check it with.
fn signed(signer: u8, epoch: u64, head: &Head) -> ([u8; 32], SignedHead) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[signer; 32]);
    (key.verifying_key().to_bytes(), SignedHead::sign(epoch, head.clone(), 1_800_000_000, &key))
}

/// Where a sync with HONEST starts, given the head it signs in `epoch`.
fn start(peer: &mut Peer<u8>, epoch: u64, head: &Head) -> SyncStart {
    let (key, head) = signed(1, epoch, head);
    peer.sync_start(&HONEST, &key, &head).unwrap()
}

#[test]
fn a_sync_resumes_from_its_cursor_and_refetches_a_changed_base() {
    let mut peer = peer(false);
    // The records it serves (5 to 10) fold into the chain it signed.
    let chain = (5..=10u8).fold(chain_root(4, &[[5; 32]]), |c, i| chain_link(&c, &[i]));
    let head = Head { seq: 10, base_seq: 4, chunks: vec![[5; 32]], chain };
    assert_eq!(start(&mut peer, 7, &head), SyncStart::Base { chunks: vec![[5; 32]], base_seq: 4 });
    for i in 5..=10u8 {
        peer.handle_record(HONEST, Via::Sync, &[i]);
    }
    assert_eq!(peer.handle_synced(HONEST), Ok(()));
    assert_eq!(start(&mut peer, 7, &Head { seq: 12, chain: [2; 32], ..head.clone() }), SyncStart::Since(10));
    // The peer restarted (a new epoch): start from its base again.
    let restarted = Head { seq: 12, chain: [3; 32], ..head.clone() };
    assert!(matches!(start(&mut peer, 8, &restarted), SyncStart::Base { .. }));
    // A base this peer already holds is not fetched again.
    let own = peer.head();
    let (key, own_signed) = signed(2, 1, &own);
    assert_eq!(peer.sync_start(&3, &key, &own_signed), Ok(SyncStart::Since(own.base_seq)));
}

#[test]
fn records_that_do_not_lead_to_the_signed_chain_are_caught() {
    let mut peer = peer(false);
    let head = Head { seq: 6, base_seq: 4, chunks: vec![[5; 32]], chain: [1; 32] };
    start(&mut peer, 7, &head);
    let (key, signed_head) = signed(1, 7, &head);
    peer.handle_record(HONEST, Via::Sync, b"one");
    peer.handle_record(HONEST, Via::Sync, b"two");
    assert!(matches!(peer.handle_synced(HONEST), Err(HeadError::Unchained(h)) if *h == signed_head));
    assert_eq!(peer.evidence().count(), 1);
    // The cursor did not move: the next sync starts from the base again.
    let (_, again) = signed(1, 7, &Head { seq: 7, ..head });
    assert!(matches!(peer.sync_start(&HONEST, &key, &again), Ok(SyncStart::Base { .. })));
}

#[test]
fn a_head_that_goes_back_or_rewrites_is_refused_and_kept_as_evidence() {
    let mut peer = peer(false);
    let head = Head { seq: 10, base_seq: 4, chunks: vec![[5; 32]], chain: [1; 32] };
    start(&mut peer, 7, &head);
    let (key, seen) = signed(1, 7, &head);
    actions(&mut peer);

    let (_, rolled_back) = signed(1, 9, &Head { seq: 8, ..head.clone() });
    assert!(matches!(peer.sync_start(&HONEST, &key, &rolled_back), Err(HeadError::Rollback(_))));
    let (_, rewritten) = signed(1, 7, &Head { chain: [2; 32], ..head.clone() });
    assert!(matches!(peer.sync_start(&HONEST, &key, &rewritten), Err(HeadError::Fork(_))));
    let (_, not_theirs) = signed(2, 7, &head);
    assert_eq!(peer.sync_start(&HONEST, &key, &not_theirs), Err(HeadError::BadSignature));

    let kept: Vec<_> = peer.evidence().map(|(p, e)| (*p, e.clone())).collect();
    assert_eq!(kept.len(), 2);
    assert!(
        matches!(&kept[0], (HONEST, HeadError::Rollback(e)) if e.earlier == seen && e.later == rolled_back)
    );
    assert!(matches!(&kept[1], (HONEST, HeadError::Fork(e)) if e.later == rewritten));
    let reasons = refusals(&actions(&mut peer));
    assert_eq!(
        reasons,
        [(HONEST, Reason::Rollback), (HONEST, Reason::Fork), (HONEST, Reason::BadSyncAnswer)]
    );

    // A head announcing a base of 10 GB is refused before a chunk is asked for.
    let chunks = vec![[9; 32]; 10 * 1024 * 4];
    let (_, huge) = signed(1, 8, &Head { seq: 11, base_seq: 11, chunks, chain: [3; 32] });
    assert!(matches!(
        peer.sync_start(&HONEST, &key, &huge),
        Err(HeadError::TooLarge { chunks: 40_960, limit: 2048 })
    ));
    assert_eq!(refusals(&actions(&mut peer)), [(HONEST, Reason::TooLarge)]);
    assert_eq!(peer.last_head(&HONEST), Some(&seen), "the last head taken stays");
    assert_eq!(peer.stale_by(1_800_000_000, 1_800_000_000 + 24 * 3600), None);
    assert_eq!(peer.stale_by(1_800_000_000, 1_800_000_000 + 24 * 3600 + 5), Some(5));
}

#[test]
fn a_broken_base_changes_nothing_and_costs_its_sender() {
    let mut peer = peer(false);
    peer.handle_record(HONEST, Via::Gossip, &record("rust-cli", "1.0.0", 1, &ALICE).encode());
    actions(&mut peer);
    assert!(peer.handle_base(HOSTILE, FetchedBase::whole(b"not a snapshot".to_vec()), 5).is_err());
    assert_eq!(refusals(&actions(&mut peer)), [(HOSTILE, Reason::BadSnapshot)]);
    assert_eq!(peer.index().len(), 1);
    assert_eq!(peer.head().seq, 1);
}

#[test]
fn a_start_offers_every_stored_record_to_the_dht_and_compacts_a_long_log() {
    let records: Vec<_> = (0..=COMPACT_AFTER)
        .map(|i| record(&alloc::format!("pack-{i}"), "1.0.0", i as u8, &ALICE).into())
        .collect();
    let relay = PeerConfig { relay: true, ..PeerConfig::default() };
    let (mut peer, broken) = Peer::<u8>::start(Catalog::default(), records.clone(), [], relay);
    assert!(broken.is_empty());
    let done = actions(&mut peer);
    assert_eq!(done.iter().filter(|a| matches!(a, Action::KeepInDht(_))).count(), COMPACT_AFTER + 1);
    assert_eq!(done.last(), Some(&Action::SaveBase));
    assert!(peer.catalog().log().is_empty());
    assert_eq!(peer.head().base_seq, COMPACT_AFTER as u64 + 1);
    // A relay keeps a short log as it is: new peers sync the same base as before.
    let (mut peer, _) = Peer::<u8>::start(Catalog::default(), records[..2].to_vec(), [], relay);
    assert!(!actions(&mut peer).contains(&Action::SaveBase));
    assert_eq!(peer.catalog().log().len(), 2);
    // Any other peer folds even one entry, and started again on that base with the same
    // entries, has nothing left to fold.
    let (mut peer, _) =
        Peer::<u8>::start(Catalog::default(), records[..1].to_vec(), [], PeerConfig::default());
    assert!(actions(&mut peer).contains(&Action::SaveBase));
    let base = Catalog::from_snapshot(peer.catalog().base().to_vec(), peer.head().base_seq).unwrap();
    let (mut again, _) = Peer::<u8>::start(base, records[..1].to_vec(), [], PeerConfig::default());
    assert!(!actions(&mut again).contains(&Action::SaveBase));
    assert!(again.catalog().log().is_empty());
    assert_eq!(again.index().len(), 1);
}

#[test]
fn a_cursor_survives_its_encoding_and_nothing_else_reads_as_one() {
    let cursor = Cursor { epoch: 7, chunks: vec![[1; 32], [2; 32]], seq: 40, chain: [3; 32] };
    assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor.clone()));
    let bytes = cursor.encode();
    assert_eq!(Cursor::decode(&bytes[..bytes.len() - 1]), None);
    assert_eq!(Cursor::decode(&bytes[..47]), None);
}

#[test]
fn own_publishes_must_match_their_body_and_the_rules() {
    let mut peer = peer(false);
    let r = record("rust-cli", "1.0.0", 1, &ALICE);
    assert_eq!(peer.publish(r.clone(), [2; 32]), Err(PublishError::WrongBody));
    peer.publish(r.clone(), [1; 32]).unwrap();
    assert_eq!(
        actions(&mut peer),
        [Action::Learned { entry: r.clone().into(), from: None, via: Via::Publish }, Action::KeepInDht(r)]
    );
    let squat = record("rust-cli", "2.0.0", 3, &MALLORY);
    assert!(matches!(peer.publish(squat, [3; 32]), Err(PublishError::Record(RecordError::NameOwned { .. }))));
}

#[test]
fn an_offered_statement_is_taken_from_an_owner_and_announced_by_a_relay() {
    use crate::record::{Claim, Statement};
    let mut relay = peer(true);
    relay.handle_record(HONEST, Via::Gossip, &record("rust-cli", "1.0.0", 1, &ALICE).encode());
    actions(&mut relay);
    let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let ask = |claim: Claim, secret: &[u8; 32]| {
        let statement = Statement::sign("rust-cli", claim, 100, secret).unwrap();
        SyncRequest::Offer(statement.encode())
    };
    let grab = Claim::AddOwner([7; 32]);
    let SyncResponse::Refused(why) = relay.answer(HOSTILE, ask(grab.clone(), &MALLORY), 1, 0, &key) else {
        panic!("a statement by someone who is no owner is refused")
    };
    assert!(why.contains("is not an owner of rust-cli"), "{why}");
    assert_eq!(refusals(&actions(&mut relay)), [(HOSTILE, Reason::BrokenRules)]);

    let offer = ask(grab, &ALICE);
    assert_eq!(relay.answer(HONEST, offer.clone(), 1, 0, &key), SyncResponse::Taken { new: true });
    let SyncRequest::Offer(bytes) = &offer else { unreachable!() };
    let done = actions(&mut relay);
    assert!(done.contains(&Action::Announce(bytes.clone())), "a relay passes it on");
    assert!(done.iter().any(|a| matches!(a, Action::Learned { entry: Entry::Statement(_), .. })));
    assert_eq!(relay.answer(HONEST, offer, 1, 0, &key), SyncResponse::Taken { new: false });
    let garbage = SyncRequest::Offer(b"SOUKSTM1 and then nothing".to_vec());
    assert!(matches!(relay.answer(HOSTILE, garbage, 1, 0, &key), SyncResponse::Refused(_)));
}

#[test]
fn a_peer_refused_again_and_again_is_banned_and_one_slip_is_not() {
    let mut peer = peer(false);
    let mut banned_at = None;
    for i in 1..=25 {
        peer.handle_record(HOSTILE, Via::Gossip, b"not a record");
        if actions(&mut peer).contains(&Action::Ban(HOSTILE)) && banned_at.is_none() {
            banned_at = Some(i);
        }
    }
    assert_eq!(banned_at, Some(19), "banned once its score is below 0.05");
    peer.refuse(HONEST, Reason::FailedFetch, &"a fetch that timed out");
    assert!(!actions(&mut peer).iter().any(|a| matches!(a, Action::Ban(_))));
}

#[test]
fn a_peer_past_its_rate_is_refused_and_one_asking_on_regardless_is_banned() {
    let mut peer = peer(true);
    let Rate { per_second, burst } = PeerConfig::default().rates.fetch;
    peer.tick(1_000);
    assert!((0..burst).all(|_| peer.admit(HONEST, Request::Fetch)), "a burst is served");
    assert!(!peer.admit(HONEST, Request::Fetch), "and then no more");
    assert!(peer.admit(HONEST, Request::Sync), "each kind of request has its own rate");
    assert!(peer.admit(HOSTILE, Request::Fetch), "each peer too");
    peer.tick(1_000 + 1_000u64.div_ceil(u64::from(per_second)));
    assert!(peer.admit(HONEST, Request::Fetch), "refilled at the steady rate");
    assert_eq!(refusals(&actions(&mut peer)), [(HONEST, Reason::TooManyRequests)]);

    // A flood at one instant: a burst, then every request dropped, each counted, the
    // peer's reputation untouched; until it has been refused a burst's worth and asks on
    // regardless, and is banned.
    let sync = PeerConfig::default().rates.sync;
    let flooded = (0..sync.burst + 100).filter(|_| !peer.admit(HOSTILE, Request::Sync)).count();
    assert_eq!(flooded, 100);
    assert!(!actions(&mut peer).iter().any(|a| matches!(a, Action::Ban(_) | Action::SaveReputation(..))));
    assert_eq!(peer.refused_for(Reason::TooManyRequests), 1 + flooded as u64);
    let banned_after = (1..=sync.burst).find(|_| {
        peer.admit(HOSTILE, Request::Sync);
        actions(&mut peer).contains(&Action::Ban(HOSTILE))
    });
    assert_eq!(banned_after, Some(sync.burst - 100 + 1), "banned past a burst of refusals");
    assert_eq!(peer.reputation(&HOSTILE).failures, 0, "a flood is not a lie");
    // DHT writes asked for regardless are dropped, never banned: Kademlia's replication
    // sends them that way.
    for _ in 0..4 * PeerConfig::default().rates.dht_write.burst {
        peer.admit(HONEST, Request::DhtWrite);
    }
    assert!(!actions(&mut peer).contains(&Action::Ban(HONEST)));
}

#[test]
fn a_publisher_past_its_quota_waits_and_no_one_is_blamed() {
    let rates = Rates { publish: Rate { per_second: 1, burst: 2 }, ..Rates::default() };
    let config = PeerConfig { rates, ..PeerConfig::default() };
    let mut peer = Peer::start(Catalog::default(), Vec::new(), [], config).0;
    let version = |v: u8| record("rust-cli", &alloc::format!("1.0.{v}"), v, &ALICE).encode();
    assert_eq!(peer.handle_record(HONEST, Via::Gossip, &version(0)), Verdict::New);
    assert_eq!(peer.handle_record(HONEST, Via::Dht, &version(1)), Verdict::New);
    actions(&mut peer);
    assert_eq!(peer.handle_record(HONEST, Via::Gossip, &version(2)), Verdict::Ignored, "over the quota");
    assert_eq!(peer.handle_record(HONEST, Via::Gossip, &version(1)), Verdict::Known, "known: no quota");
    assert_eq!(peer.handle_offer(HONEST, &version(2)), Err(RecordError::OverQuota));
    let done = actions(&mut peer);
    assert!(!done.iter().any(|a| matches!(a, Action::SaveReputation(..) | Action::Learned { .. })));
    assert_eq!(peer.reputation(&HONEST).failures, 0, "the forwarder is not to blame");
    assert_eq!(peer.refused_for(Reason::OverQuota), 2);

    // History from a sync counts against no one; and a second later the quota has room.
    assert_eq!(peer.handle_record(HONEST, Via::Sync, &version(3)), Verdict::New);
    peer.tick(1_000);
    assert_eq!(peer.handle_record(HONEST, Via::Gossip, &version(2)), Verdict::New);
    let other = record("other-pack", "1.0.0", 9, &MALLORY).encode();
    assert_eq!(peer.handle_record(HONEST, Via::Gossip, &other), Verdict::New, "other keys, other quotas");
}
