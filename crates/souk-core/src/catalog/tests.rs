use alloc::vec;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::pack::{Manifest, PackVersion};
use crate::record::{Claim, Owners, Statement};
use crate::search::{Query, search};

const ALICE: [u8; 32] = [1; 32];
const MALLORY: [u8; 32] = [2; 32];

/// A signed record of `name` at `version`, its body hash all `hash` bytes.
pub(crate) fn record(name: &str, version: &str, hash: u8, key: &[u8; 32]) -> PackRecord {
    let mut p: PackVersion = Manifest {
        name: name.into(),
        version: version.into(),
        description: alloc::format!("The {name} template"),
        license: "MIT".into(),
        ..Manifest::default()
    }
    .validate()
    .unwrap();
    p.content_hash = Some([hash; 32]);
    PackRecord::sign(p, key).unwrap()
}

fn names(catalog: &mut Catalog, query: &str) -> Vec<alloc::string::String> {
    let index = catalog.index();
    search(index, &Query::new(query)).hits.iter().map(|h| index.get(h.record).name().to_string()).collect()
}

#[test]
fn accepted_records_are_numbered_and_searchable() {
    let mut catalog = Catalog::default();
    assert_eq!(catalog.accept(record("rust-cli", "1.0.0", 1, &ALICE)), Ok(true));
    assert_eq!(catalog.accept(record("rust-ci", "1.0.0", 2, &ALICE)), Ok(true));
    // The same version again is known, not new; the log does not grow.
    assert_eq!(catalog.accept(record("rust-cli", "1.0.0", 1, &ALICE)), Ok(false));
    assert_eq!(catalog.seq(), 2);
    // Counted before the index is brought up to date, and the same after.
    assert_eq!(catalog.versions(), 2);
    assert_eq!(names(&mut catalog, "rust-cli")[0], "rust-cli");
    assert_eq!(catalog.index().len(), 2);
    assert_eq!(catalog.accept(record("rust-cli", "1.1.0", 3, &ALICE)), Ok(true));
    assert_eq!(catalog.versions(), 3);
    assert_eq!(catalog.index().len(), 3);
}

#[test]
fn the_rules_hold_for_records_not_yet_indexed() {
    let mut catalog = Catalog::default();
    catalog.accept(record("rust-cli", "1.0.0", 1, &ALICE)).unwrap();
    // Both still wait in the log: the check must see the first.
    assert!(matches!(
        catalog.accept(record("Rust_CLI", "2.0.0", 3, &MALLORY)),
        Err(RecordError::NameOwned { .. })
    ));
    assert!(matches!(
        catalog.accept(record("rust-cli", "1.0.0", 9, &ALICE)),
        Err(RecordError::VersionExists { .. })
    ));
    assert_eq!(catalog.accept(record("rust-cli", "1.1.0", 4, &ALICE)), Ok(true));
    assert_eq!(catalog.seq(), 2);
}

#[test]
fn an_entry_heard_again_is_known_without_indexing_the_log() {
    let mut catalog = Catalog::default();
    catalog.accept(record("rust-cli", "1.0.0", 1, &ALICE)).unwrap();
    catalog.index();
    let newer = record("rust-cli", "1.1.0", 2, &ALICE);
    assert_eq!(catalog.accept(newer.clone()), Ok(true));
    // By gossip and then in a DHT put: known from the log, which still waits to be indexed.
    assert_eq!(catalog.accept(newer.clone()), Ok(false));
    assert!(catalog.holds(&newer.clone().into()));
    assert_eq!(catalog.indexed, 1);
    // A statement is judged against an index holding the pack's record; heard again, it is
    // known from the log.
    let add_bob = say("rust-cli", Claim::AddOwner(public(&BOB)), 10, &ALICE);
    assert_eq!(catalog.accept(add_bob.clone()), Ok(true));
    assert_eq!(catalog.indexed, 2);
    assert_eq!(catalog.accept(add_bob.clone()), Ok(false));
    assert!(catalog.holds(&add_bob.into()));
    assert_eq!(catalog.indexed, 2);
    // Another record of a waiting version is still judged against an index holding it.
    assert!(matches!(
        catalog.accept(record("rust-cli", "1.1.0", 9, &ALICE)),
        Err(RecordError::VersionExists { .. })
    ));
    assert_eq!(catalog.indexed, 3);
    assert_eq!(catalog.accept(newer), Ok(false), "and once indexed, known from the index");
    assert_eq!(catalog.seq(), 3);
}

#[test]
fn a_record_republished_after_its_publisher_lost_the_name_is_known_not_refused() {
    let mut catalog = Catalog::default();
    let old = record("rust-cli", "1.0.0", 1, &ALICE);
    catalog.accept(old.clone()).unwrap();
    catalog.accept(say("rust-cli", Claim::AddOwner(public(&BOB)), 10, &ALICE)).unwrap();
    catalog.accept(say("rust-cli", Claim::RemoveOwner(public(&ALICE)), 11, &BOB)).unwrap();
    // Kademlia republishes Alice's record every hour: an honest peer's copy, nothing new.
    assert_eq!(catalog.accept(old.clone()), Ok(false));
    catalog.index();
    assert_eq!(catalog.accept(old), Ok(false));
    // What she signs now is refused, and so is her old version signed again.
    assert!(matches!(
        catalog.accept(record("rust-cli", "1.2.0", 3, &ALICE)),
        Err(RecordError::NameOwned { .. })
    ));
    let mut resigned = record("rust-cli", "1.0.0", 1, &ALICE);
    resigned.pack.description = "The same version, said again".into();
    let resigned = PackRecord::sign(resigned.pack, &ALICE).unwrap();
    assert!(matches!(catalog.accept(resigned), Err(RecordError::NameOwned { .. })));
}

#[test]
fn since_answers_the_records_after_a_sequence_number_within_a_size_limit() {
    let mut catalog = Catalog::default();
    let records: Vec<Entry> =
        (0..5).map(|i| record(&alloc::format!("pack-{i}"), "1.0.0", i, &ALICE).into()).collect();
    records.iter().for_each(|r| assert_eq!(catalog.accept(r.clone()), Ok(true)));
    let one = records[0].encode().len();

    let Since::Records { records: after, more } = catalog.since(2, usize::MAX) else { panic!() };
    assert_eq!(after, [&records[2], &records[3], &records[4]]);
    assert!(!more);
    let Since::Records { records: after, more } = catalog.since(0, 2 * one) else { panic!() };
    assert_eq!(after, [&records[0], &records[1]]);
    assert!(more);
    // At least one record, whatever the limit: a sync always moves forward.
    let Since::Records { records: after, .. } = catalog.since(4, 1) else { panic!() };
    assert_eq!(after, [&records[4]]);
    assert_eq!(catalog.since(5, 1), Since::Records { records: vec![], more: false });
    assert_eq!(catalog.since(6, 1), Since::Rebase);
}

/// Takes `chunk` into `base`, hashed as a peer does.
fn push(base: &mut FetchedBase, chunk: &[u8]) -> bool {
    base.push(chunk.to_vec(), content_hash(chunk))
}

#[test]
fn a_compacted_catalog_syncs_to_a_new_peer_chunk_by_chunk() {
    let mut served = Catalog::default();
    for i in 0..40u8 {
        served.accept(record(&alloc::format!("pack-{i}"), "1.0.0", i, &ALICE)).unwrap();
    }
    served.compact();
    let late = record("late-pack", "1.0.0", 99, &ALICE);
    served.accept(late.clone()).unwrap();
    assert_eq!(served.since(3, usize::MAX), Since::Rebase);

    // The new peer: chunks by hash, each checked, then the records since the base.
    let head = served.head();
    assert_eq!((head.seq, head.base_seq), (41, 40));
    let mut base = FetchedBase::new(head.chunks.clone());
    for hash in &head.chunks {
        assert!(push(&mut base, served.chunk(hash).unwrap()));
    }
    let mut synced = Catalog::default();
    synced.rebase(base, head.base_seq).unwrap();
    let Since::Records { records, .. } = served.since(head.base_seq, usize::MAX) else { panic!() };
    for r in records {
        synced.accept(r.clone()).unwrap();
    }
    assert_eq!(synced.seq(), served.seq());
    assert_eq!(synced.index(), served.index());
    assert_eq!(names(&mut synced, "late"), ["late-pack"]);
}

#[test]
fn a_chunk_is_checked_against_its_hash() {
    let served = Catalog::default();
    let hash = served.head().chunks[0];
    let mut chunk = served.chunk(&hash).unwrap().to_vec();
    chunk[0] ^= 1;
    let mut base = FetchedBase::new(served.head().chunks);
    assert!(!push(&mut base, &chunk));
    chunk[0] ^= 1;
    assert!(push(&mut base, &chunk) && base.is_complete());
    assert!(!push(&mut base, &chunk), "nothing past the last chunk");
    assert_eq!(served.chunk(&[0; 32]), None);
}

/// Chunks cut otherwise than a base is cut are refused even when their hashes match: the
/// list the head gave must be the base's own, since a rebase does not hash it again.
#[test]
fn chunks_arrive_whole_and_in_order_or_not_at_all() {
    let snapshot: Vec<u8> = (0..CHUNK_LEN * 2 + 10).map(|i| (i % 251) as u8).collect();
    let parts = [&snapshot[..CHUNK_LEN], &snapshot[CHUNK_LEN..CHUNK_LEN * 2], &snapshot[CHUNK_LEN * 2..]];
    let hashes: Vec<Digest> = parts.iter().map(|p| content_hash(p)).collect();
    let mut base = FetchedBase::new(hashes.clone());
    assert!(!push(&mut base, parts[1]), "out of order");
    assert!(push(&mut base, parts[0]) && push(&mut base, parts[1]) && !base.is_complete());
    assert!(push(&mut base, parts[2]) && base.is_complete());
    assert_eq!(base.len(), snapshot.len());
    // The same bytes cut short in the middle: each piece matches a hash the peer could list,
    // but a base is never cut so.
    let short = [&snapshot[..10], &snapshot[10..]];
    let mut base = FetchedBase::new(short.iter().map(|p| content_hash(p)).collect());
    assert!(!push(&mut base, short[0]));
    // A base held whole is complete, in as many chunks as its head lists.
    let whole = FetchedBase::whole(snapshot.clone());
    assert!(whole.is_complete() && whole.len() == snapshot.len());
    // An incomplete base is refused by a rebase, whatever it holds.
    let mut base = FetchedBase::new(hashes);
    assert!(push(&mut base, parts[0]));
    assert!(matches!(
        Catalog::default().rebase(base, 1),
        Err(RebaseError::Snapshot(SnapshotError::Truncated(_)))
    ));
}

#[test]
fn rebasing_keeps_every_signed_record_and_refuses_a_base_that_contradicts_one() {
    let mut theirs = Catalog::default();
    theirs.accept(record("rust-cli", "1.0.0", 1, &ALICE)).unwrap();
    theirs.compact();

    let base = |c: &Catalog| (c.base().to_vec(), c.head().base_seq);
    let mut mine = Catalog::default();
    let own = record("my-pack", "1.0.0", 5, &MALLORY);
    let old = record("old-pack", "1.0.0", 7, &MALLORY);
    mine.accept(old.clone()).unwrap();
    mine.compact();
    mine.accept(own.clone()).unwrap();
    let (snapshot, seq) = base(&theirs);
    mine.rebase(FetchedBase::whole(snapshot), seq).unwrap();
    assert_eq!(
        mine.log(),
        [own.into(), old.into()],
        "records from the old base and the log are kept, in index order"
    );
    assert_eq!(mine.seq(), 3);
    assert_eq!(names(&mut mine, "pack"), ["my-pack", "old-pack"]);

    // Mallory's rust-cli: her base contradicts Alice's record, which this peer holds.
    let mut forked = Catalog::default();
    forked.accept(record("rust-cli", "0.9.0", 6, &MALLORY)).unwrap();
    forked.compact();
    let before = mine.head();
    let (snapshot, seq) = base(&forked);
    assert!(matches!(
        mine.rebase(FetchedBase::whole(snapshot), seq),
        Err(RebaseError::Contradicts(RecordError::NameOwned { .. }))
    ));
    assert_eq!(mine.head(), before, "nothing changed");
}

/// The serving peer's key, which signs its heads.
fn relay() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[5; 32])
}

#[test]
fn the_chain_follows_the_history_and_not_only_its_length() {
    let (a, b) = (record("alpha", "1.0.0", 1, &ALICE), record("beta", "1.0.0", 2, &ALICE));
    let mut first = Catalog::default();
    let mut second = Catalog::default();
    first.accept(a.clone()).unwrap();
    first.accept(b.clone()).unwrap();
    second.accept(b).unwrap();
    second.accept(a).unwrap();
    assert_eq!(first.seq(), second.seq());
    assert_ne!(first.head().chain, second.head().chain, "the same records in another order");
    let mut again = Catalog::default();
    for r in first.log().to_vec() {
        again.accept(r).unwrap();
    }
    assert_eq!(again.head().chain, first.head().chain);
}

#[test]
fn sync_messages_round_trip() {
    let mut catalog = Catalog::default();
    catalog.accept(record("rust-cli", "1.0.0", 1, &ALICE)).unwrap();
    let head = catalog.head();
    let offer = SyncRequest::Offer(record("rust-ci", "1.0.0", 2, &ALICE).encode());
    let requests = [SyncRequest::Head, SyncRequest::Chunk(head.chunks[0]), SyncRequest::Since(0), offer];
    for request in requests {
        assert_eq!(SyncRequest::decode(&request.encode()).as_ref(), Ok(&request));
        let response = catalog.answer(request, 7, 1_800_000_000, &relay());
        assert_eq!(SyncResponse::decode(&response.encode()).as_ref(), Ok(&response));
    }
    let SyncResponse::Head(signed) = catalog.answer(SyncRequest::Head, 7, 1_800_000_000, &relay()) else {
        panic!("a head answers a head")
    };
    assert_eq!((signed.epoch, &signed.head, signed.time), (7, &head, 1_800_000_000));
    assert!(signed.verify(&relay().verifying_key().to_bytes()));
    assert_eq!(catalog.answer(SyncRequest::Chunk([0; 32]), 7, 0, &relay()), SyncResponse::NotFound);
    assert_eq!(catalog.answer(SyncRequest::Since(9), 7, 0, &relay()), SyncResponse::Rebase);
    let answers = [
        SyncResponse::NotFound,
        SyncResponse::Rebase,
        SyncResponse::Taken { new: true },
        SyncResponse::Refused("not an owner".into()),
    ];
    for response in answers {
        assert_eq!(SyncResponse::decode(&response.encode()), Ok(response));
    }
}

#[test]
fn hostile_sync_messages_are_refused() {
    let mut catalog = Catalog::default();
    catalog.accept(record("rust-cli", "1.0.0", 1, &ALICE)).unwrap();
    let responses =
        [SyncRequest::Head, SyncRequest::Since(0)].map(|r| catalog.answer(r, 1, 0, &relay()).encode());
    for bytes in &responses {
        // Every cut is an error (a chunk answer is any length, so it is not among these).
        for len in 0..bytes.len() {
            assert!(SyncResponse::decode(&bytes[..len]).is_err(), "cut at {len}");
        }
        assert_eq!(
            SyncResponse::decode(&[bytes.as_slice(), &[0]].concat()),
            Err(MessageError::TrailingBytes(1))
        );
    }
    // Counts larger than the input, unknown kinds, oversized parts.
    assert_eq!(
        SyncResponse::decode(&[&[0u8; 25][..], &u32::MAX.to_le_bytes()].concat()),
        Err(MessageError::Truncated)
    );
    assert_eq!(SyncResponse::decode(&[2, 0, 255, 255, 255, 255]), Err(MessageError::Truncated));
    assert_eq!(SyncResponse::decode(&[2, 0, 1, 0, 0, 0, 255, 255, 255, 255]), Err(MessageError::TooLarge));
    assert_eq!(SyncResponse::decode(&[9]), Err(MessageError::UnknownKind(9)));
    assert_eq!(SyncResponse::decode(&vec![1; CHUNK_LEN + 2]), Err(MessageError::TooLarge));
    assert_eq!(SyncRequest::decode(&[1, 0]), Err(MessageError::Truncated));
    assert_eq!(SyncRequest::decode(&[0, 0]), Err(MessageError::TrailingBytes(1)));
    assert_eq!(SyncRequest::decode(&[]), Err(MessageError::Truncated));
    assert_eq!(SyncRequest::decode(&vec![3; message::MAX_REQUEST_LEN + 1]), Err(MessageError::TooLarge));
    assert_eq!(SyncResponse::decode(&vec![6; message::MAX_REASON_LEN + 2]), Err(MessageError::TooLarge));
    // Found by fuzzing: a reason of bad UTF-8 read lossily grew past the limit on the way out.
    assert_eq!(SyncResponse::decode(&[6, 0xff, 0xfe]), Err(MessageError::NotText));
    let long = SyncResponse::Refused("é".repeat(message::MAX_REASON_LEN));
    let SyncResponse::Refused(cut) = SyncResponse::decode(&long.encode()).unwrap() else { panic!() };
    assert_eq!(cut, "é".repeat(message::MAX_REASON_LEN / 2), "cut within the limit, between characters");
}

const BOB: [u8; 32] = [3; 32];

fn public(secret: &[u8; 32]) -> Digest {
    SigningKey::from_bytes(secret).verifying_key().to_bytes()
}

fn say(name: &str, claim: Claim, serial: u64, key: &[u8; 32]) -> Statement {
    Statement::sign(name, claim, serial, key).unwrap()
}

fn version(v: &str) -> semver::Version {
    v.parse().unwrap()
}

#[test]
fn owners_add_and_remove_owners_and_only_owners_do() {
    let mut catalog = Catalog::default();
    catalog.accept(record("rust-cli", "1.0.0", 1, &ALICE)).unwrap();
    let mallory_adds_herself = say("rust-cli", Claim::AddOwner(public(&MALLORY)), 10, &MALLORY);
    assert!(matches!(catalog.accept(mallory_adds_herself), Err(RecordError::NotOwner { .. })));
    assert!(matches!(
        catalog.accept(record("rust-cli", "1.1.0", 2, &BOB)),
        Err(RecordError::NameOwned { .. })
    ));

    let add_bob = say("rust-cli", Claim::AddOwner(public(&BOB)), 10, &ALICE);
    assert_eq!(catalog.accept(add_bob.clone()), Ok(true));
    assert_eq!(catalog.accept(add_bob), Ok(false), "a statement held already is known");
    assert_eq!(catalog.accept(record("rust-cli", "1.1.0", 2, &BOB)), Ok(true));

    // Bob removes Alice: she can no longer publish, and her old statement cannot be replayed.
    assert_eq!(catalog.accept(say("rust-cli", Claim::RemoveOwner(public(&ALICE)), 11, &BOB)), Ok(true));
    assert!(matches!(
        catalog.accept(record("rust-cli", "1.2.0", 3, &ALICE)),
        Err(RecordError::NameOwned { .. })
    ));
    let replayed = say("rust-cli", Claim::AddOwner(public(&ALICE)), 11, &BOB);
    assert!(matches!(catalog.accept(replayed), Err(RecordError::Stale { .. })));
    let bob_leaves = say("rust-cli", Claim::RemoveOwner(public(&BOB)), 12, &BOB);
    assert!(matches!(catalog.accept(bob_leaves), Err(RecordError::LastOwner { .. })));
    let not_an_owner = say("rust-cli", Claim::RemoveOwner(public(&MALLORY)), 12, &BOB);
    assert!(matches!(catalog.accept(not_an_owner), Err(RecordError::NotAnOwner { .. })));

    // Through a compaction (a snapshot): the same owners, and every version still installable.
    catalog.compact();
    let index = catalog.index();
    let owners = Owners::of(index, "rust-cli");
    assert_eq!(owners.current, [public(&BOB)]);
    assert_eq!(owners.ever, [public(&ALICE), public(&BOB)]);
    for row in index.versions_of("rust-cli") {
        crate::record::Claimed::from_row(index, index.get(row)).unwrap().verify().unwrap();
    }
}

#[test]
fn a_yank_is_an_owners_word_about_a_listed_version_and_can_be_undone() {
    let mut catalog = Catalog::default();
    catalog.accept(record("rust-cli", "1.0.0", 1, &ALICE)).unwrap();
    let yank = |v: &str, serial, key| say("rust-cli", Claim::Yank(version(v)), serial, key);
    assert!(matches!(catalog.accept(yank("1.0.0", 5, &MALLORY)), Err(RecordError::NotOwner { .. })));
    assert!(matches!(catalog.accept(yank("9.0.0", 5, &ALICE)), Err(RecordError::UnknownVersion { .. })));
    let unknown = say("nobody", Claim::Yank(version("1.0.0")), 5, &ALICE);
    assert!(matches!(catalog.accept(unknown), Err(RecordError::UnknownName { .. })));

    assert_eq!(catalog.accept(yank("1.0.0", 5, &ALICE)), Ok(true));
    assert_eq!(Owners::of(catalog.index(), "rust-cli").yanked, [version("1.0.0")]);
    let undo = say("rust-cli", Claim::Unyank(version("1.0.0")), 6, &ALICE);
    assert_eq!(catalog.accept(undo), Ok(true));
    assert!(Owners::of(catalog.index(), "rust-cli").yanked.is_empty());
}

/// Publication times are the publishers' word: an owner's key that backdates a version
/// (or publishes in the same second as the first) does not unseat the owner who added it.
#[test]
fn a_backdated_version_does_not_change_who_was_first() {
    let mut catalog = Catalog::default();
    let mut first = record("rust-cli", "1.0.0", 1, &ALICE).pack;
    first.published = 1_000;
    catalog.accept(PackRecord::sign(first, &ALICE).unwrap()).unwrap();
    catalog.accept(say("rust-cli", Claim::AddOwner(public(&BOB)), 10, &ALICE)).unwrap();
    for published in [1_000, 5] {
        let mut backdated = record("rust-cli", &alloc::format!("0.0.{published}"), 2, &BOB).pack;
        backdated.published = published;
        assert_eq!(catalog.accept(PackRecord::sign(backdated, &BOB).unwrap()), Ok(true));
        let owners = Owners::of(catalog.index(), "rust-cli");
        assert_eq!(owners.current, [public(&ALICE), public(&BOB)], "published at {published}");
    }
    // Alice can still remove Bob.
    assert_eq!(catalog.accept(say("rust-cli", Claim::RemoveOwner(public(&BOB)), 11, &ALICE)), Ok(true));
    assert_eq!(Owners::of(catalog.index(), "rust-cli").current, [public(&ALICE)]);
}

/// Found by fuzzing: a statement spelling the name another way was taken but never seen
/// again, so an owner's word under `Rust_CLI` changed nothing about `rust-cli`.
#[test]
fn a_statement_counts_under_every_spelling_of_its_name() {
    let mut catalog = Catalog::default();
    catalog.accept(record("rust-cli", "1.0.0", 1, &ALICE)).unwrap();
    let add_bob = say("Rust_CLI", Claim::AddOwner(public(&BOB)), 10, &ALICE);
    assert_eq!(catalog.accept(add_bob.clone()), Ok(true));
    assert!(catalog.holds(&add_bob.clone().into()));
    assert_eq!(catalog.accept(say("rust-cli", Claim::Yank(version("1.0.0")), 11, &BOB)), Ok(true));
    let replayed = say("RUST-CLI", Claim::RemoveOwner(public(&BOB)), 10, &ALICE);
    assert!(matches!(catalog.accept(replayed), Err(RecordError::Stale { .. })));
    for catalog in [catalog.clone(), {
        catalog.compact();
        catalog
    }] {
        let mut catalog = catalog;
        let owners = Owners::of(catalog.index(), "rust_cli");
        assert_eq!(owners.current, [public(&ALICE), public(&BOB)]);
        assert_eq!(owners.yanked, [version("1.0.0")]);
    }
}

/// An index listing `requests` from another registry, imported by `importer`.
fn imported(importer: &[u8; 32]) -> Catalog {
    let mut builder = IndexBuilder::default();
    let mut requests = record("requests", "2.31.0", 0, &ALICE).pack;
    (requests.publisher, requests.content_hash) = (None, None);
    builder.push(requests);
    builder.importer(public(importer));
    Catalog::from_snapshot(builder.build().unwrap().to_snapshot(), 1).unwrap()
}

#[test]
fn an_imported_name_is_granted_only_by_the_key_that_imported_it() {
    let mut catalog = imported(&ALICE);
    assert!(matches!(
        catalog.accept(record("requests", "3.0.0", 1, &BOB)),
        Err(RecordError::Reserved { .. })
    ));
    let self_grant = say("requests", Claim::AddOwner(public(&BOB)), 5, &BOB);
    assert!(matches!(catalog.accept(self_grant), Err(RecordError::NotOwner { .. })));
    assert_eq!(catalog.accept(say("requests", Claim::AddOwner(public(&BOB)), 5, &ALICE)), Ok(true));
    assert_eq!(catalog.accept(record("requests", "3.0.0", 1, &BOB)), Ok(true));

    // A base that says another key imported the names is refused whole.
    let (snapshot, seq) = (imported(&MALLORY).base().to_vec(), 1);
    assert_eq!(
        catalog.rebase(FetchedBase::whole(snapshot), seq),
        Err(RebaseError::Contradicts(RecordError::ImporterChanged))
    );
    // One from the same importer keeps the grant and Bob's version.
    let (snapshot, seq) = (imported(&ALICE).base().to_vec(), 1);
    catalog.rebase(FetchedBase::whole(snapshot), seq).unwrap();
    assert_eq!(Owners::of(catalog.index(), "requests").current, [public(&ALICE), public(&BOB)]);
    assert_eq!(catalog.index().versions_of("requests").len(), 2);
}

#[test]
fn a_forged_index_cannot_make_anyone_an_owner() {
    let alice = record("rust-cli", "1.0.0", 1, &ALICE);
    let mut later = record("rust-cli", "2.0.0", 2, &MALLORY).pack;
    later.published = 10;
    // (Dated before Alice's, Mallory's row would make her the first owner; Alice's rows
    // would then contest the name, and every install of it is refused all the same.)
    let mallory = PackRecord::sign(later, &MALLORY).unwrap();
    let mut builder = IndexBuilder::default();
    builder.push_record(alice);
    builder.push_record(mallory);
    builder.push_statement(say("rust-cli", Claim::AddOwner(public(&MALLORY)), 5, &MALLORY));
    let index = Index::from_snapshot(&builder.build().unwrap().to_snapshot()).unwrap();
    assert_eq!(Owners::of(&index, "rust-cli").current, [public(&ALICE)], "her statement has no effect");
    for row in index.versions_of("rust-cli") {
        assert!(matches!(
            crate::record::Claimed::from_row(&index, index.get(row)),
            Err(RecordError::ContestedName { .. })
        ));
    }
    // A statement whose signature does not hold does not load at all.
    let mut builder = IndexBuilder::default();
    builder.push_record(record("rust-cli", "1.0.0", 1, &ALICE));
    let mut forged = say("rust-cli", Claim::Yank(version("1.0.0")), 5, &ALICE);
    forged.serial = 6;
    builder.push_statement(forged);
    let snapshot = builder.build().unwrap().to_snapshot();
    assert!(matches!(Index::from_snapshot(&snapshot), Err(SnapshotError::Corrupt(_))));
}

#[test]
fn only_what_arrived_in_the_log_counts_as_checked() {
    let mut catalog = Catalog::default();
    catalog.accept(record("rust-cli", "1.0.0", 1, &ALICE)).unwrap();
    let index = catalog.index();
    assert!(index.get(0).is_checked(), "decoded on arrival: an install need not check it again");
    let loaded = Index::from_snapshot(&index.to_snapshot()).unwrap();
    assert!(!loaded.get(0).is_checked(), "a snapshot never vouches for itself");

    // A base row whose signature fails is no record: a rebase does not carry it into the log.
    let mut forged = record("forged", "1.0.0", 2, &ALICE);
    forged.pack.description = "changed after signing".into();
    let mut builder = IndexBuilder::default();
    builder.push_record(forged);
    let mut mine = Catalog::from_snapshot(builder.build().unwrap().to_snapshot(), 1).unwrap();
    mine.rebase(FetchedBase::whole(Catalog::default().base().to_vec()), 0).unwrap();
    assert!(mine.index().versions_of("forged").is_empty());
}

#[test]
fn a_stored_base_keeps_its_chunk_hashes_and_never_serves_a_chunk_they_misname() {
    let mut catalog = Catalog::default();
    catalog.accept(record("kept", "1.0.0", 3, &[1; 32])).unwrap();
    catalog.compact();
    let (snapshot, head) = (catalog.base().to_vec(), catalog.head());
    let again = Catalog::from_stored(snapshot.clone(), head.base_seq, head.chunks.clone()).unwrap();
    assert_eq!(again.head(), head);
    assert_eq!(again.chunk(&head.chunks[0]), catalog.chunk(&head.chunks[0]));
    // A damaged list is taken (one hash per chunk), but no chunk goes out under it.
    let wrong =
        Catalog::from_stored(snapshot.clone(), head.base_seq, vec![[9; 32]; head.chunks.len()]).unwrap();
    assert_eq!(wrong.chunk(&[9; 32]), None);
    // A list of another length is not taken: the base is hashed again.
    let longer = Catalog::from_stored(snapshot, head.base_seq, vec![[9; 32]; head.chunks.len() + 1]).unwrap();
    assert_eq!(longer.head(), head);
}

/// A signed record of `name` at `version` whose text draws on a small vocabulary, so
/// packs share terms as a registry's do.
fn worded(name: &str, version: &str, i: usize) -> PackRecord {
    const WORDS: [&str; 12] =
        ["web", "server", "cli", "parser", "async", "fast", "json", "http", "tool", "react", "rust", "test"];
    let word = |k: usize| WORDS[(i * 7 + k * 5) % WORDS.len()];
    let mut p: PackVersion = Manifest {
        name: name.into(),
        version: version.into(),
        description: alloc::format!("A {} {} for {} {}", word(0), word(1), word(2), word(3 + i % 4)),
        tags: vec![word(4).into(), word(5 + i % 3).into()],
        license: "MIT".into(),
        ..Manifest::default()
    }
    .validate()
    .unwrap();
    (p.content_hash, p.downloads) = (Some([i as u8; 32]), (i * 37 % 1000) as u64);
    PackRecord::sign(p, &ALICE).unwrap()
}

/// The index of `records`, as a relay's base.
fn index_of(records: &[PackRecord]) -> Index {
    let mut builder = IndexBuilder::default();
    records.iter().cloned().for_each(|r| builder.push_record(r));
    builder.build().unwrap()
}

/// A base of 700 packs with a log of a few entries on top: new packs, new versions of
/// packs in the base, a statement, as a relay's log sits on its base.
fn base_and_log() -> (Vec<PackRecord>, Vec<Entry>) {
    let base = (0..700).map(|i| worded(&alloc::format!("pack-{i}"), "1.0.0", i)).collect();
    let log = vec![
        worded("pack-3", "1.1.0", 900).into(),
        worded("fresh-web-tool", "0.1.0", 901).into(),
        worded("pack-350", "2.0.0", 902).into(),
        say("pack-3", Claim::AddOwner(public(&MALLORY)), 1, &ALICE).into(),
        worded("zz-last", "1.0.0", 903).into(),
        worded("aa-first", "1.0.0", 904).into(),
    ];
    (base, log)
}

#[test]
fn a_small_log_is_merged_into_the_index_and_finds_what_a_rebuild_finds() {
    let (base, log) = base_and_log();
    let mut catalog = Catalog::from_snapshot(index_of(&base).to_snapshot(), 700).unwrap();
    for entry in &log {
        assert_eq!(catalog.accept(entry.clone()), Ok(true));
    }
    let whole = catalog.rebuilt();
    let merged = catalog.index().clone();
    assert!(merged.search.is_well_formed(merged.len()));
    // Rows, signatures and statements as a rebuild has them; merged strings are not
    // interned across base and log, so rows are compared by what they say.
    assert_eq!(merged.len(), whole.len());
    for (m, w) in merged.iter().zip(whole.iter()) {
        assert_eq!(m.to_version().unwrap(), w.to_version().unwrap());
        assert_eq!((m.signature(), m.is_checked()), (w.signature(), w.is_checked()));
    }
    assert_eq!(merged.statements(), whole.statements());
    assert_eq!(Owners::of(&merged, "pack-3"), Owners::of(&whole, "pack-3"));
    // The search index is the rebuild's but for the words' weights, which were normalized
    // against the base's average length: every term, document, IDF and field the same.
    let (m, w) = (&merged.search, &whole.search);
    assert_eq!((&m.docs, &m.popularity, &m.name_terms), (&w.docs, &w.popularity, &w.name_terms));
    assert_eq!(m.names, w.names);
    assert_eq!((&m.words.terms, &m.words.idf), (&w.words.terms, &w.words.idf));
    assert_eq!(
        (&m.words.postings.docs, &m.words.postings.fields),
        (&w.words.postings.docs, &w.words.postings.fields)
    );
    assert_ne!(m.average, w.average, "the log moved the average a little");
    for (a, b) in m.words.postings.weights.iter().zip(w.words.postings.weights.iter()) {
        assert!(a.abs_diff(*b) <= b / 100 + 1, "{a} against {b}");
    }
    // So searches find the same packs, the new ones included.
    for query in ["pack-3", "fresh web tool", "frsh", "zz-last", "rust parser", "jsn", "server", "pack"] {
        let found = |index: &Index| {
            let results = search(index, &Query { limit: 1000, ..Query::new(query) });
            let mut names: Vec<_> =
                results.hits.iter().map(|h| index.get(h.record).name().to_string()).collect();
            names.sort();
            (results.total, names)
        };
        assert_eq!(found(&merged), found(&whole), "{query}");
    }
    assert_eq!(names(&mut catalog, "fresh-web-tool")[0], "fresh-web-tool");
    assert_eq!(catalog.index().latest("pack-3").unwrap().version(), "1.1.0");
}

#[test]
fn a_catalog_that_merged_compacts_to_the_bytes_a_whole_build_writes() {
    let (base, log) = base_and_log();
    let mut catalog = Catalog::from_snapshot(index_of(&base).to_snapshot(), 700).unwrap();
    catalog.accept_all(log.clone());
    catalog.index();
    catalog.compact();

    let mut whole = IndexBuilder::default();
    base.into_iter().for_each(|r| whole.push_record(r));
    log.into_iter().for_each(|entry| whole.push_entry(entry));
    assert_eq!(catalog.base()[..], whole.build().unwrap().to_snapshot()[..]);
}

#[test]
fn a_base_written_without_its_average_length_is_rebuilt_whole() {
    let (base, log) = base_and_log();
    let mut index = index_of(&base);
    index.search.average = None;
    let mut catalog = Catalog::from_snapshot(index.to_snapshot(), 700).unwrap();
    assert_eq!(catalog.index().search.average, None, "an older snapshot has none");
    // Records of names new to the log, so none brings the index up to date on the way.
    catalog.accept_all(log.into_iter().filter(|e| matches!(e, Entry::Record(_))).collect());
    let whole = catalog.rebuilt();
    assert_eq!(catalog.index(), &whole);
    // Built whole, it has one now, and the next entries merge.
    assert!(whole.search.average.is_some());
}

#[test]
fn a_base_weighed_against_an_outlandish_average_still_merges_its_log_soundly() {
    // A relay writes the base's average; any it can get past loading only weighs the
    // merged packs (it already chose the base's own weights), never breaks the index.
    let (base, log) = base_and_log();
    for average in [1.0, 1e300] {
        let mut index = index_of(&base);
        index.search.average = Some(f64::to_bits(average));
        let mut catalog = Catalog::from_snapshot(index.to_snapshot(), 700).unwrap();
        catalog.accept_all(log.clone());
        let merged = catalog.index();
        assert_eq!(merged.search.average, Some(f64::to_bits(average)), "merged, not rebuilt");
        assert!(merged.search.is_well_formed(merged.len()));
        assert_eq!(names(&mut catalog, "fresh-web-tool")[0], "fresh-web-tool");
        assert_eq!(names(&mut catalog, "pack-350")[0], "pack-350");
    }
}
