//! Installs from an index a hostile relay wrote. The index only proposes: every version an
//! install takes is checked against its publisher's signature, the name's one publisher and
//! the body's own manifest, so a doctored index can refuse service but never change the
//! bytes installed.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{start, within};
use souk_core::catalog::Catalog;
use souk_core::record::{PackRecord, RecordError};
use souk_core::{IndexBuilder, PackVersion};
use souk_net::{MemoryStore, NodeError, Store};
use souk_pack::LocalPack;

const OWNER: [u8; 32] = [7; 32];
const RELAY: [u8; 32] = [9; 32];

/// A node whose base is the demo registry as `forge` leaves it, holding every demo body.
async fn node_over(forge: impl FnOnce(&[LocalPack], &mut IndexBuilder)) -> souk_net::NodeHandle {
    let demo = souk_pack::demo::packs().unwrap();
    let mut builder = IndexBuilder::default();
    forge(&demo, &mut builder);
    let mut store = MemoryStore::default();
    store.put_base(&Catalog::from_snapshot(builder.build().unwrap().to_snapshot(), 1).unwrap()).unwrap();
    for pack in &demo {
        store.put_body(pack.body.clone()).unwrap();
    }
    start(store).await
}

fn signed(pack: &PackVersion, key: &[u8; 32]) -> PackRecord {
    PackRecord::sign(pack.clone(), key).unwrap()
}

/// Every demo pack signed by its owner, but those `keep` turns down.
fn honest_but(demo: &[LocalPack], builder: &mut IndexBuilder, keep: impl Fn(&PackVersion) -> bool) {
    demo.iter().filter(|p| keep(&p.version)).for_each(|p| builder.push_record(signed(&p.version, &OWNER)));
}

fn version(demo: &[LocalPack], name: &str) -> PackVersion {
    demo.iter().find(|p| p.version.name == name).unwrap().version.clone()
}

async fn refusal(node: &souk_net::NodeHandle) -> NodeError {
    within("installing", node.install("rust-cli", "*", &[], |_| {})).await.unwrap_err()
}

/// Installing rust-cli is refused because `name`'s record fails as `expected` says.
async fn refused_as(node: &souk_net::NodeHandle, name: &str, expected: impl Fn(&RecordError) -> bool) {
    match refusal(node).await {
        NodeError::Unverified { name: refused, reason, .. } if refused == name && expected(&reason) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_index_signed_by_its_publishers_installs() {
    let node = node_over(|demo, b| honest_but(demo, b, |_| true)).await;
    let installed = within("installing", node.install("rust-cli", "*", &[], |_| {})).await.unwrap();
    assert_eq!(installed.packs.len(), installed.resolution.packages.len());
    assert!(installed.packs.iter().any(|(p, _)| p.name == "rust-cli"));
}

#[tokio::test]
async fn an_unsigned_row_is_never_installed() {
    let node = node_over(|demo, b| {
        honest_but(demo, b, |p| p.name != "rust-ci");
        b.push(version(demo, "rust-ci"));
    })
    .await;
    refused_as(&node, "rust-ci", |reason| matches!(reason, RecordError::Unsigned)).await;
}

#[tokio::test]
async fn a_row_pointed_at_other_bytes_fails_its_signature() {
    let node = node_over(|demo, b| {
        honest_but(demo, b, |p| p.name != "rust-ci");
        let mut record = signed(&version(demo, "rust-ci"), &OWNER);
        record.pack.content_hash = version(demo, "rust-lib").content_hash;
        b.push_record(record);
    })
    .await;
    refused_as(&node, "rust-ci", |reason| matches!(reason, RecordError::BadSignature)).await;
}

#[tokio::test]
async fn a_version_the_relay_signed_beside_the_owners_is_contested() {
    let node = node_over(|demo, b| {
        honest_but(demo, b, |_| true);
        let mut forged = version(demo, "rust-ci");
        forged.version = "1.9.0".parse().unwrap();
        forged.content_hash = version(demo, "rust-lib").content_hash;
        b.push_record(signed(&forged, &RELAY));
    })
    .await;
    refused_as(
        &node,
        "rust-ci",
        |reason| matches!(reason, RecordError::ContestedName { owners, .. } if owners.len() == 2),
    )
    .await;
}

#[tokio::test]
async fn a_name_the_relay_took_whole_cannot_serve_another_packs_files() {
    let node = node_over(|demo, b| {
        honest_but(demo, b, |p| p.name != "rust-ci");
        let mut forged = version(demo, "rust-ci");
        forged.version = "1.9.0".parse().unwrap();
        forged.content_hash = version(demo, "rust-lib").content_hash;
        b.push_record(signed(&forged, &RELAY));
    })
    .await;
    match refusal(&node).await {
        NodeError::BodyMismatch { name, reason, .. } => {
            assert_eq!(name, "rust-ci");
            assert!(reason.contains("name is \"rust-lib\""), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_name_no_folder_can_carry_is_refused_before_any_fetch() {
    for bad in ["con", "a.b", "@scope/x"] {
        let node = node_over(|demo, b| {
            honest_but(demo, b, |p| p.name != "rust-cli");
            let mut cli = version(demo, "rust-cli");
            cli.dependencies[0].name = bad.into();
            // No key can sign a name that breaks the rule: the relay copies a signature.
            let signature = signed(&version(demo, "rust-cli"), &RELAY).signature;
            b.push_record(PackRecord { pack: PackVersion { publisher: Some([1; 32]), ..cli }, signature });
            let mut evil = version(demo, "rust-lib");
            evil.name = bad.into();
            b.push_record(PackRecord { pack: evil, signature });
        })
        .await;
        match refusal(&node).await {
            NodeError::Unverified { reason: RecordError::Invalid(_) | RecordError::BadKey, .. } => {}
            other => panic!("{bad}: {other:?}"),
        }
    }
}

/// Pack code that resolves as the linked code does but judges bodies its own way: what a
/// tab's second module is to the install.
struct Judging(fn(&PackVersion) -> Result<(), String>);

impl souk_net::Packs for Judging {
    fn resolve(
        &self,
        registry: &souk_core::resolve::MemoryRegistry,
        name: &str,
        requirement: &semver::VersionReq,
    ) -> Result<souk_core::resolve::Resolution, NodeError> {
        souk_net::Linked.resolve(registry, name, requirement)
    }

    fn check_body(&self, pack: &PackVersion, _body: &[u8]) -> Result<(), String> {
        (self.0)(pack)
    }
}

/// The install asks its pack code about every body and stops at the first it refuses, with
/// that code's reason; and a resolution the pack code refuses reaches the caller as it said.
#[tokio::test]
async fn an_install_takes_its_resolution_and_body_check_from_its_pack_code() {
    let node = node_over(|demo, b| honest_but(demo, b, |_| true)).await;
    let refuse_ci = Judging(|p| if p.name == "rust-ci" { Err("not this one".into()) } else { Ok(()) });
    let install = node.install_with(&refuse_ci, "rust-cli", "*", &[], |_| {});
    match within("installing", install).await.unwrap_err() {
        NodeError::BodyMismatch { name, reason, .. } => {
            assert_eq!((name.as_str(), reason.as_str()), ("rust-ci", "not this one"))
        }
        other => panic!("{other:?}"),
    }
    let installed =
        within("installing", node.install_with(&Judging(|_| Ok(())), "rust-cli", "^1", &[], |_| {}))
            .await
            .unwrap();
    assert!(installed.packs.iter().any(|(p, _)| p.name == "rust-ci"));
    let err = within("resolving", node.resolve_with(&refuse_ci, "rust-cli", "^9", &[])).await.unwrap_err();
    assert!(err.to_string().contains("rust-cli"), "{err}");
}
