//! Installs from an index a hostile relay wrote: a pack whose dependency is named to leave
//! the install folder is refused by name, before anything is fetched or written.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{start, within};
use souk_core::{Dependency, IndexBuilder};
use souk_net::{MemoryStore, NodeError, Store};

#[tokio::test]
async fn a_dependency_named_to_escape_the_install_folder_is_refused() {
    let demo = souk_pack::demo::packs().unwrap();
    for escape in ["../escape", "/home/u/.ssh", "con", "a\\\\b"] {
        let mut builder = IndexBuilder::default();
        let mut innocent = demo[0].version.clone();
        innocent.name = "innocent".into();
        innocent.dependencies = vec![Dependency { name: escape.into(), req: "*".parse().unwrap() }];
        let mut evil = demo[1].version.clone();
        evil.name = escape.into();
        evil.dependencies.clear();
        builder.push(innocent);
        builder.push(evil);
        let mut store = MemoryStore::default();
        store.put_base(&builder.build().unwrap().to_snapshot(), 2).unwrap();

        let node = start(store).await;
        let installed = within("installing", node.install("innocent", "*", |_| {})).await;
        match installed {
            Err(NodeError::UnsafeName { name, .. }) => assert_eq!(name, escape),
            other => panic!("{escape}: {other:?}"),
        }
    }
}
