//! The page's second module: what a tab does with the contents of packs, loaded when a user
//! first needs it, so that the module every visit loads (`souk-web`, the peer: network,
//! index, search) stays small. The peer calls the first three through the module object
//! the page hands `SoukPeer.start` as `packs`; the page calls the rest.
//!
//! - `resolve`, `checkBody`: an install's resolution and the check of each fetched body
//!   against its signed record (`souk_net::Packs`), the code the CLI links.
//! - `packFiles`: a pack to publish, from its `souk.toml` and files, validated.
//! - `soukLock`: an install's lockfile as the CLI writes it.
//! - `variables`, `readAnswer`, `generate`: `souk new` in a tab ([`generate`]).
//!
//! ```js
//! const packs = () => import("./pkg/souk_web_pack.js").then(async (m) => (await m.default(), m));
//! const peer = await SoukPeer.start({ bootstrap, packs });
//! const installed = await peer.install("rust-cli", "^1");   // loads this module
//! const gen = await packs();
//! const questions = gen.variables(installed);              // [{ name, type, help, default, ... }]
//! gen.readAnswer(questions[0], "Says hello");              // the answer, or an error naming the rule
//! const { files, digest } = gen.generate(installed, { description: "Says hello" },
//!                                        { name: "hello-cli", year: 2026, author: "Ada" });
//! ```

#![forbid(unsafe_code)]

pub mod generate;
pub mod install;
pub mod publish;

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

/// Bytes as a `Uint8Array` both ways (file contents, a body), not an array of numbers.
mod bytes {
    use serde::de::{Deserializer, Error, SeqAccess, Visitor};
    use serde::ser::Serializer;

    pub fn serialize<S: Serializer>(contents: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(contents)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        struct Bytes;
        impl<'de> Visitor<'de> for Bytes {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a Uint8Array")
            }
            fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = seq.next_element()? {
                    out.push(b);
                }
                Ok(out)
            }
        }
        deserializer.deserialize_byte_buf(Bytes)
    }
}

fn from_js<T: for<'de> Deserialize<'de>>(value: JsValue) -> Result<T, JsError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&e.to_string()))
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    // JSON's shapes (plain objects, `null` for what is absent), but bytes as `Uint8Array`s.
    let serializer = serde_wasm_bindgen::Serializer::json_compatible().serialize_bytes_as_arrays(false);
    value.serialize(&serializer).map_err(|e| JsError::new(&e.to_string()))
}

/// Data only the two modules exchange, in serde's own shapes (maps as `Map`s, so keys need
/// not be strings).
fn to_js_exact<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value.serialize(&serde_wasm_bindgen::Serializer::new()).map_err(|e| JsError::new(&e.to_string()))
}
