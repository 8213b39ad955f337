use alloc::vec;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::index::IndexBuilder;

const ALICE: [u8; 32] = [1; 32];
const MALLORY: [u8; 32] = [2; 32];

fn pack(version: &str, hash: u8) -> PackVersion {
    let mut p = Manifest {
        name: "rust-cli".into(),
        version: version.into(),
        description: "A Rust CLI skeleton".into(),
        license: "MIT".into(),
        tags: vec!["rust".into()],
        dependencies: [("rust-ci".into(), "^1".into())].into(),
        ..Manifest::default()
    }
    .validate()
    .unwrap();
    p.content_hash = Some([hash; 32]);
    p.published = 1_767_225_600;
    p
}

#[test]
fn a_signed_record_round_trips_and_verifies() {
    let record = PackRecord::sign(pack("1.0.0", 7), &ALICE).unwrap();
    let bytes = record.encode();
    assert_eq!(PackRecord::decode(&bytes).unwrap(), record);
    assert_eq!(record.pack.publisher, Some(SigningKey::from_bytes(&ALICE).verifying_key().to_bytes()));
}

#[test]
fn any_change_breaks_the_signature() {
    let bytes = PackRecord::sign(pack("1.0.0", 7), &ALICE).unwrap().encode();
    for at in MAGIC.len()..bytes.len() {
        let mut tampered = bytes.clone();
        tampered[at] ^= 1;
        assert!(PackRecord::decode(&tampered).is_err(), "a flip at {at} was accepted");
    }
    // A record re-signed by another key is a valid record of that key's, not of Alice's.
    let mut forged = PackRecord::sign(pack("1.0.0", 7), &MALLORY).unwrap();
    forged.pack.publisher = PackRecord::sign(pack("1.0.0", 7), &ALICE).unwrap().pack.publisher;
    assert_eq!(PackRecord::decode(&forged.encode()), Err(RecordError::BadSignature));
}

#[test]
fn malformed_records_are_refused_with_a_reason() {
    let bytes = PackRecord::sign(pack("1.0.0", 7), &ALICE).unwrap().encode();
    for len in 0..bytes.len() {
        assert!(PackRecord::decode(&bytes[..len]).is_err());
    }
    assert_eq!(PackRecord::decode(b"SOUKREC0"), Err(RecordError::BadMagic));
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(PackRecord::decode(&longer), Err(RecordError::TrailingBytes(1)));
    let huge = vec![0u8; MAX_RECORD_LEN + 1];
    assert_eq!(PackRecord::decode(&huge), Err(RecordError::TooLarge(MAX_RECORD_LEN + 1)));
    let mut bad_name = pack("1.0.0", 7);
    bad_name.name = "9lives".into();
    assert!(matches!(PackRecord::sign(bad_name, &ALICE), Err(RecordError::Invalid(_))));
    let mut no_hash = pack("1.0.0", 7);
    no_hash.content_hash = None;
    assert_eq!(PackRecord::sign(no_hash, &ALICE), Err(RecordError::MissingContentHash));
}

#[test]
fn a_name_belongs_to_its_first_publisher_and_versions_never_change() {
    let first = PackRecord::sign(pack("1.0.0", 7), &ALICE).unwrap();
    let mut builder = IndexBuilder::default();
    builder.push(first.pack.clone());
    let index = builder.build().unwrap();

    assert_eq!(first.check_against(&index), Ok(()), "republishing the same version is harmless");
    assert_eq!(PackRecord::sign(pack("1.1.0", 8), &ALICE).unwrap().check_against(&index), Ok(()));
    let squat = PackRecord::sign(pack("2.0.0", 9), &MALLORY).unwrap();
    assert!(matches!(squat.check_against(&index), Err(RecordError::NameOwned { .. })));
    let mut other_spelling = pack("2.0.0", 9);
    other_spelling.name = "Rust_CLI".into();
    let squat = PackRecord::sign(other_spelling, &MALLORY).unwrap();
    assert!(matches!(squat.check_against(&index), Err(RecordError::NameOwned { .. })));
    let changed = PackRecord::sign(pack("1.0.0", 8), &ALICE).unwrap();
    assert_eq!(
        changed.check_against(&index).unwrap_err().to_string(),
        "rust-cli 1.0.0 is already published with different contents"
    );
}

#[test]
fn verify_checks_a_record_made_in_memory_as_decode_does() {
    let record = PackRecord::sign(pack("1.0.0", 7), &ALICE).unwrap();
    assert_eq!(record.verify(), Ok(()));
    let mut claimed = record.clone();
    claimed.pack.publisher = Some(SigningKey::from_bytes(&MALLORY).verifying_key().to_bytes());
    assert_eq!(claimed.verify(), Err(RecordError::BadSignature));
    let mut huge = record.clone();
    huge.pack.description = "x".repeat(70_000);
    assert!(huge.verify().is_err());
    let mut unsigned = record;
    unsigned.pack.publisher = None;
    assert_eq!(unsigned.verify(), Err(RecordError::BadKey));
}

#[test]
fn a_row_gives_back_its_record_through_a_snapshot_and_nothing_else() {
    let record = PackRecord::sign(pack("1.0.0", 7), &ALICE).unwrap();
    let mut builder = IndexBuilder::default();
    builder.push_record(record.clone());
    let mut unsigned = pack("1.1.0", 8);
    unsigned.publisher = record.pack.publisher;
    builder.push(unsigned);
    let index = crate::Index::from_snapshot(&builder.build().unwrap().to_snapshot()).unwrap();

    assert_eq!(PackRecord::from_row(&index, index.get(0)), Ok(record.clone()));
    assert_eq!(PackRecord::from_row(&index, index.get(1)), Err(RecordError::Unsigned));

    let mut builder = IndexBuilder::default();
    builder.push_record(record.clone());
    builder.push_record(PackRecord::sign(pack("2.0.0", 9), &MALLORY).unwrap());
    let index = builder.build().unwrap();
    let contested = PackRecord::from_row(&index, index.get(0)).unwrap_err();
    assert!(
        matches!(&contested, RecordError::ContestedName { owners, .. } if owners.len() == 2),
        "{contested}"
    );
}

#[test]
fn a_name_imported_from_another_registry_is_reserved() {
    let mut imported = pack("19.0.0", 0);
    (imported.publisher, imported.content_hash) = (None, None);
    let mut builder = IndexBuilder::default();
    builder.push(imported);
    let index = builder.build().unwrap();
    let hijack = PackRecord::sign(pack("99.0.0", 9), &MALLORY).unwrap();
    assert_eq!(hijack.check_against(&index), Err(RecordError::Reserved { name: "rust-cli".into() }));
    let mut other_spelling = pack("99.0.0", 9);
    other_spelling.name = "Rust_Cli".into();
    let hijack = PackRecord::sign(other_spelling, &MALLORY).unwrap();
    assert!(matches!(hijack.check_against(&index), Err(RecordError::Reserved { .. })));
}

#[test]
fn a_statement_round_trips_and_any_change_breaks_it() {
    let bob = SigningKey::from_bytes(&MALLORY).verifying_key().to_bytes();
    let claims = [
        Claim::AddOwner(bob),
        Claim::RemoveOwner(bob),
        Claim::Yank("1.0.0".parse().unwrap()),
        Claim::Unyank("2.0.0-rc.1".parse().unwrap()),
    ];
    for claim in claims {
        let statement = Statement::sign("rust-cli", claim, 1_767_225_600, &ALICE).unwrap();
        let bytes = statement.encode();
        assert_eq!(Entry::decode(&bytes), Ok(Entry::Statement(statement)));
        for at in 8..bytes.len() {
            let mut tampered = bytes.clone();
            tampered[at] ^= 1;
            assert!(Statement::decode(&tampered).is_err(), "a flip at {at} was accepted");
        }
        for len in 0..bytes.len() {
            assert!(Entry::decode(&bytes[..len]).is_err(), "cut at {len}");
        }
        assert_eq!(Statement::decode(&[bytes.as_slice(), &[0]].concat()), Err(RecordError::TrailingBytes(1)));
    }
    assert!(matches!(Statement::sign("../x", Claim::AddOwner(bob), 1, &ALICE), Err(RecordError::Name(_))));
    assert_eq!(
        Statement::decode(&vec![0; MAX_STATEMENT_LEN + 1]),
        Err(RecordError::TooLarge(MAX_STATEMENT_LEN + 1))
    );
    let mut unknown = Statement::sign("rust-cli", Claim::AddOwner(bob), 1, &ALICE).unwrap().encode();
    unknown[8 + 2 + "rust-cli".len()] = 9;
    assert_eq!(Statement::decode(&unknown), Err(RecordError::UnknownKind(9)));
}
