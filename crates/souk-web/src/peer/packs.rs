//! The page's second module (`souk-web-pack`), which carries the resolver, the body check
//! and the manifest rules (TOML) out of this one: loaded the first time this peer resolves,
//! installs or publishes, through the loader the page gave `SoukPeer.start` as `packs`.

use std::cell::RefCell;

use js_sys::{Function, Promise};
use souk_core::PackVersion;
use souk_core::resolve::{MemoryRegistry, Resolution};
use souk_net::{NodeError, Packs};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::js_message;
use crate::exact;

#[wasm_bindgen]
extern "C" {
    /// The second module's exports, started (what `import()` answered, after its `init`).
    #[derive(Debug, Clone)]
    pub type PackModule;

    #[wasm_bindgen(method, catch)]
    fn resolve(
        this: &PackModule,
        registry: JsValue,
        name: &str,
        requirement: &str,
    ) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = checkBody)]
    fn check_body(this: &PackModule, pack: JsValue, body: &[u8]) -> Result<(), JsValue>;

    #[wasm_bindgen(method, catch, js_name = packFiles)]
    pub(crate) fn pack_files(
        this: &PackModule,
        manifest: &str,
        files: &JsValue,
        now: f64,
    ) -> Result<JsValue, JsValue>;
}

impl Packs for PackModule {
    fn resolve(
        &self,
        registry: &MemoryRegistry,
        name: &str,
        requirement: &semver::VersionReq,
    ) -> Result<Resolution, NodeError> {
        let unresolved = |e: JsValue| NodeError::Unresolved(js_message(&e));
        let registry = exact(registry).map_err(|e| unresolved(e.into()))?;
        let resolution =
            PackModule::resolve(self, registry, name, &requirement.to_string()).map_err(unresolved)?;
        serde_wasm_bindgen::from_value(resolution).map_err(|e| unresolved(e.into()))
    }

    fn check_body(&self, pack: &PackVersion, body: &[u8]) -> Result<(), String> {
        let pack = exact(pack).map_err(|e| e.to_string())?;
        PackModule::check_body(self, pack, body).map_err(|e| js_message(&e))
    }
}

/// Loads the module once, on first use.
#[derive(Debug)]
pub(crate) struct Loader {
    /// `() => Promise<module>`, from the page; undefined if it gave none.
    load: JsValue,
    loaded: RefCell<Option<PackModule>>,
}

impl Loader {
    pub(crate) fn new(load: JsValue) -> Self {
        Loader { load, loaded: RefCell::new(None) }
    }

    pub(crate) async fn get(&self) -> Result<PackModule, String> {
        if let Some(module) = self.loaded.borrow().clone() {
            return Ok(module);
        }
        let load: &Function = self.load.dyn_ref().ok_or(
            "this needs the pack module: start the peer with `packs`, a function that loads souk_web_pack.js",
        )?;
        let loading = Promise::resolve(&load.call0(&JsValue::NULL).map_err(|e| js_message(&e))?);
        let module: PackModule = JsFuture::from(loading).await.map_err(|e| js_message(&e))?.unchecked_into();
        *self.loaded.borrow_mut() = Some(module.clone());
        Ok(module)
    }
}
