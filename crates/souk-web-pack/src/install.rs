//! An install's pack code, for the peer module (`souk_net::Packs`): the same resolver and
//! body check the CLI links, over data the peer hands across.

use souk_core::PackVersion;
use souk_core::lockfile::LockedPackage;
use souk_core::resolve::{MemoryRegistry, install};
use wasm_bindgen::prelude::*;

use crate::{from_js, to_js_exact};

/// Resolves `name` at `requirement` (cargo syntax) over `registry` (the versions the peer's
/// index offers, as `MemoryRegistry` serializes): the `Resolution`, or an `Error`
/// explaining the conflict.
#[wasm_bindgen]
pub fn resolve(registry: JsValue, name: &str, requirement: &str) -> Result<JsValue, JsError> {
    let registry: MemoryRegistry = from_js(registry)?;
    let resolution = install(&registry, name, requirement.parse()?)?;
    to_js_exact(&resolution)
}

/// Whether `body` is the body `pack`'s signed record describes (its own `souk.toml` says
/// the same): an `Error` saying what differs if not.
#[wasm_bindgen(js_name = checkBody)]
pub fn check_body(pack: JsValue, body: &[u8]) -> Result<(), JsError> {
    let pack: PackVersion = from_js(pack)?;
    Ok(souk_pack::check_body(&pack, body)?)
}

/// The `souk.lock` text of an install's lockfile, as the CLI writes it.
#[wasm_bindgen(js_name = soukLock)]
pub fn souk_lock(
    #[wasm_bindgen(unchecked_param_type = "LockedPackage[]")] lockfile: JsValue,
) -> Result<String, JsError> {
    let packages: Vec<LockedPackage> = from_js(lockfile)?;
    Ok(souk_pack::lockfile::to_toml(&packages))
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn message(error: JsError) -> String {
        let error = JsValue::from(error);
        js_sys::Reflect::get(&error, &"message".into()).unwrap().as_string().unwrap()
    }

    /// What the peer module hands over, in the shape it hands it.
    fn exact(pack: &PackVersion) -> JsValue {
        crate::to_js_exact(pack).unwrap()
    }

    #[test]
    fn a_body_passes_against_its_own_record_and_fails_against_another() {
        let packs = souk_pack::demo::packs().unwrap();
        let (pack, other) = (&packs[0], &packs[1]);
        check_body(exact(&pack.version), &pack.body).unwrap();
        let err = message(check_body(exact(&other.version), &pack.body).unwrap_err());
        assert!(err.contains("says name is"), "{err}");
        let err = message(check_body(exact(&pack.version), b"not a body").unwrap_err());
        assert!(err.starts_with("it is not a pack"), "{err}");
    }
}
