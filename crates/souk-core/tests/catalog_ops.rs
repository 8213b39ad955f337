//! Property tests of the catalog as network input drives it: any sequence of records,
//! compactions, bases (honest, damaged with a good checksum, or plain noise, at any sequence
//! number) and sync requests leaves a catalog that answers, never a panic, and never loses a
//! record it accepted. (Native only: proptest needs an OS random source.)
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use souk_core::catalog::{Catalog, FetchedBase, SyncRequest};
use souk_core::record::PackRecord;
use souk_core::{Manifest, PackVersion};

/// A record from a small space, so names, versions and keys collide often.
#[derive(Debug, Clone)]
struct Spec {
    name: u8,
    minor: u8,
    key: u8,
    hash: u8,
}

#[derive(Debug, Clone)]
enum Op {
    Accept(Spec),
    Compact,
    /// A base another catalog of these records would serve, maybe damaged at a byte (the
    /// checksum made good again, so the deeper checks run), at a sequence number.
    Rebase {
        records: Vec<Spec>,
        damage: Option<(usize, u8)>,
        seq: u64,
    },
    Noise(Vec<u8>, u64),
    Request(Vec<u8>),
    Since(u64, usize),
}

fn spec() -> impl Strategy<Value = Spec> {
    (0u8..4, 0u8..3, 0u8..3, 0u8..3).prop_map(|(name, minor, key, hash)| Spec { name, minor, key, hash })
}

fn op() -> impl Strategy<Value = Op> {
    let seq = prop_oneof![0u64..8, Just(u64::MAX), Just(u64::MAX - 1), any::<u64>()];
    prop_oneof![
        4 => spec().prop_map(Op::Accept),
        1 => Just(Op::Compact),
        2 => (proptest::collection::vec(spec(), 0..6), proptest::option::of((any::<usize>(), any::<u8>())), seq.clone())
            .prop_map(|(records, damage, seq)| Op::Rebase { records, damage, seq }),
        1 => (proptest::collection::vec(any::<u8>(), 0..64), seq.clone()).prop_map(|(b, s)| Op::Noise(b, s)),
        1 => proptest::collection::vec(any::<u8>(), 0..41).prop_map(Op::Request),
        1 => (seq, 0usize..4096).prop_map(|(s, n)| Op::Since(s, n)),
    ]
}

/// Each record of the space, signed once (signing dominates a debug build's run).
fn record(spec: &Spec) -> PackRecord {
    static RECORDS: std::sync::OnceLock<Vec<PackRecord>> = std::sync::OnceLock::new();
    let all = RECORDS.get_or_init(|| {
        let specs = (0..4).flat_map(|name| {
            (0..3).flat_map(move |minor| {
                (0..3).flat_map(move |key| (0..3).map(move |hash| Spec { name, minor, key, hash }))
            })
        });
        specs.map(|s| sign(&s)).collect()
    });
    all[usize::from(spec.name) * 27
        + usize::from(spec.minor) * 9
        + usize::from(spec.key) * 3
        + usize::from(spec.hash)]
    .clone()
}

fn sign(spec: &Spec) -> PackRecord {
    let manifest = Manifest {
        name: format!("pack-{}", spec.name),
        version: format!("1.{}.0", spec.minor),
        description: "a pack".into(),
        license: "MIT".into(),
        ..Manifest::default()
    };
    let pack = PackVersion { content_hash: Some([spec.hash; 32]), ..manifest.validate().unwrap() };
    PackRecord::sign(pack, &[spec.key + 1; 32]).unwrap()
}

fn base(records: &[Spec], damage: Option<(usize, u8)>) -> Vec<u8> {
    let mut catalog = Catalog::default();
    for spec in records {
        let _ = catalog.accept(record(spec));
    }
    catalog.compact();
    let mut bytes = catalog.base().to_vec();
    if let Some((at, byte)) = damage {
        let at = 16 + at % (bytes.len() - 16);
        bytes[at] = byte;
        let sum = xxhash_rust::xxh3::xxh3_64(&bytes[16..]) as u32;
        bytes[12..16].copy_from_slice(&sum.to_le_bytes());
    }
    bytes
}

/// Whether the catalog still lists this exact version.
fn holds(catalog: &mut Catalog, record: &PackRecord) -> bool {
    let index = catalog.index();
    let version = record.pack.version.to_string();
    index.versions_of(&record.pack.name).any(|r| {
        let row = index.get(r);
        row.name() == record.pack.name
            && row.version() == version
            && row.content_hash() == record.pack.content_hash.as_ref()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_catalog_answers_everything_and_loses_nothing(ops in proptest::collection::vec(op(), 1..24)) {
        let mut catalog = Catalog::default();
        let mut kept: Vec<PackRecord> = Vec::new();
        for op in &ops {
            match op {
                Op::Accept(spec) => {
                    let record = record(spec);
                    if catalog.accept(record.clone()) == Ok(true) {
                        kept.push(record);
                    }
                }
                Op::Compact => catalog.compact(),
                Op::Rebase { records, damage, seq } => {
                    let _ = catalog.rebase(FetchedBase::whole(base(records, *damage)), *seq);
                }
                Op::Noise(bytes, seq) => prop_assert!(catalog.rebase(FetchedBase::whole(bytes.clone()), *seq).is_err()),
                Op::Request(bytes) => {
                    if let Ok(request) = SyncRequest::decode(bytes) {
                        let _ = catalog.answer(request, 1, 0, &ed25519_dalek::SigningKey::from_bytes(&[1; 32]));
                    }
                }
                Op::Since(seq, max) => drop(catalog.since(*seq, *max)),
            }
            let head = catalog.head();
            prop_assert!(head.base_seq <= head.seq);
            for record in &kept {
                prop_assert!(holds(&mut catalog, record), "lost {} {} after {:?}", record.pack.name, record.pack.version, op);
            }
        }
    }
}
