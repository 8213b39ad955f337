//! The module's JavaScript-facing API, run in headless Chromium.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Reflect};
use souk_core::resolve::Resolution;
use souk_web::Registry;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test as test;

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

/// The demo registry, handed to the module as a snapshot: the page module does not carry it.
fn demo() -> Registry {
    Registry::from_snapshot(souk_pack::demo::index().to_snapshot()).unwrap()
}

#[test]
fn demo_registry_searches_like_the_cli() {
    let mut registry = demo();
    assert!(registry.length() >= 20);
    let options: JsValue = js_sys::JSON::parse(r#"{"limit": 3}"#).unwrap();
    let results: JsValue = registry.search("rust", Some(options.unchecked_into())).unwrap().into();
    let hits: Array = get(&results, "hits").unchecked_into();
    assert_eq!(hits.length(), 3);
    assert!(get(&results, "total").as_f64().unwrap() > 3.0);
    let names: Vec<String> = hits.iter().map(|h| get(&h, "name").as_string().unwrap()).collect();
    assert_eq!(names[..2], ["rust-lib", "rust-cli"]);
}

#[test]
fn snapshots_round_trip_and_bad_ones_are_errors() {
    let registry = demo();
    let bytes = registry.snapshot();
    assert_eq!(Registry::from_snapshot(bytes.clone()).unwrap().length(), registry.length());
    let err = Registry::from_snapshot(bytes[..bytes.len() / 2].to_vec()).unwrap_err();
    let message = get(&JsValue::from(err), "message").as_string().unwrap();
    assert!(message.starts_with("snapshot is truncated"), "{message}");
}

/// Resolved by the pack module over what the registry says is reachable, as the page does.
#[test]
fn resolves_a_pack_with_its_dependencies_or_explains_why_not() {
    let registry = demo();
    let resolve = |req| {
        souk_web_pack::install::resolve(
            registry.reachable("open-source-starter").unwrap(),
            "open-source-starter",
            req,
        )
    };
    let resolution: Resolution = serde_wasm_bindgen::from_value(resolve("^1").unwrap()).unwrap();
    let names: Vec<&str> = resolution.packages.keys().map(|id| id.name.as_str()).collect();
    assert_eq!(names.len(), 9);
    assert!(names.contains(&"license-mit-apache") && names.contains(&"code-of-conduct"));
    let Err(err) = resolve("^2") else { panic!("^2 resolved") };
    let message = get(&JsValue::from(err), "message").as_string().unwrap();
    assert_eq!(
        message,
        "the install requires open-source-starter ^2, but no version of open-source-starter matches ^2 (the newest is 1.0.0)"
    );
}
