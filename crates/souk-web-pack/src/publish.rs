//! A pack to publish, made from what the page's form holds, as `souk publish` makes one from
//! a folder: the same manifest rules and the same template check.

use js_sys::{Array, Object, Uint8Array};
use serde::Serialize;
use souk_core::PackVersion;
use souk_core::body::PackFile;
use souk_pack::{LocalPack, MANIFEST_FILE};
use wasm_bindgen::prelude::*;

use crate::to_js_exact;

/// A pack ready to sign: its record's contents and its body.
#[derive(Serialize)]
struct Made<'a> {
    version: &'a PackVersion,
    #[serde(serialize_with = "crate::bytes::serialize")]
    body: &'a [u8],
}

/// The pack `manifest` (its `souk.toml`) and `files` (path to text or bytes) make, published
/// `now` (seconds since the epoch): `{ version, body }`, or an `Error` naming what breaks
/// the rules (a manifest field, a template's file and line).
#[wasm_bindgen(js_name = packFiles)]
pub fn pack_files(
    manifest: String,
    #[wasm_bindgen(unchecked_param_type = "Record<string, string | Uint8Array>")] files: JsValue,
    now: f64,
) -> Result<JsValue, JsError> {
    let mut pack_files = vec![PackFile { path: MANIFEST_FILE.into(), contents: manifest.into_bytes() }];
    let files: Object = files.dyn_into().map_err(|_| JsError::new("files must be an object"))?;
    for entry in Object::entries(&files) {
        let entry: Array = entry.into();
        let path = entry.get(0).as_string().unwrap_or_default();
        let contents = entry.get(1);
        let contents = match contents.as_string() {
            Some(text) => text.into_bytes(),
            None if contents.is_instance_of::<Uint8Array>() => Uint8Array::new(&contents).to_vec(),
            None => return Err(JsError::new(&format!("{path}: a file is a string or a Uint8Array"))),
        };
        pack_files.push(PackFile { path, contents });
    }
    let pack = LocalPack::from_files(pack_files, now as u64)?;
    pack.check_templates()?;
    to_js_exact(&Made { version: &pack.version, body: &pack.body })
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    const MANIFEST: &str =
        "[pack]\nname = \"made-here\"\nversion = \"1.0.0\"\ndescription = \"A pack\"\nlicense = \"MIT\"\n";

    fn files(entries: &[(&str, &str)]) -> JsValue {
        let files = Object::new();
        for (path, text) in entries {
            js_sys::Reflect::set(&files, &(*path).into(), &(*text).into()).unwrap();
        }
        files.into()
    }

    #[test]
    fn a_pack_is_made_with_its_record_and_body_and_a_broken_template_is_refused() {
        let made = pack_files(MANIFEST.into(), files(&[("README.md", "# {{ name }}")]), 1.7e9).unwrap();
        let version: PackVersion =
            serde_wasm_bindgen::from_value(js_sys::Reflect::get(&made, &"version".into()).unwrap()).unwrap();
        let body = Uint8Array::new(&js_sys::Reflect::get(&made, &"body".into()).unwrap()).to_vec();
        assert_eq!((version.name.as_str(), version.published), ("made-here", 1_700_000_000));
        assert_eq!(version.content_hash, Some(souk_core::body::content_hash(&body)));

        let err = pack_files(MANIFEST.into(), files(&[("README.md", "{% if %}")]), 0.0).unwrap_err();
        let err = js_sys::Reflect::get(&JsValue::from(err), &"message".into()).unwrap().as_string().unwrap();
        assert!(err.contains("README.md"), "{err}");
    }
}
