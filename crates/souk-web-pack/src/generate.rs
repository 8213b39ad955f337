//! `souk new` in a tab: the page installs a pack as it always does (every body verified),
//! then hands this module the packs; the answers and the rendering are
//! `souk_pack::template`'s, so the same answers give the same bytes as the CLI (compare
//! [`Generated::digest`] with `souk new --json`).
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use souk_core::body::PackFile;
use souk_core::pack::to_hex;
use souk_pack::template::{self, Answer, Builtins, Source, Variable};
use wasm_bindgen::prelude::*;

use crate::{from_js, to_js};

/// What `SoukPeer.install` returns, as far as generation needs it.
#[derive(Debug, Deserialize, Serialize)]
pub struct Installed {
    pub packs: Vec<InstalledPack>,
    pub lockfile: Vec<Locked>,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct InstalledPack {
    pub name: String,
    pub files: Vec<File>,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct File {
    pub path: String,
    #[serde(with = "bytes")]
    pub contents: Vec<u8>,
}

/// File contents as a `Uint8Array` both ways.
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

#[derive(Debug, Deserialize, Serialize)]
pub struct Locked {
    pub name: String,
    #[serde(default)]
    pub dependencies: Vec<String>,
}

/// A generated project.
#[derive(Debug, Serialize)]
pub struct Generated {
    pub files: Vec<File>,
    /// Every answer it was rendered with, defaults worked out (what the form shows for a
    /// question left blank).
    pub answers: template::Answers,
    /// [`template::digest`] in hex: what `souk new --json` prints for the same answers.
    pub digest: String,
}

/// The built-ins the page supplies (the tab has no git and its own clock).
#[derive(Debug, Deserialize, Serialize)]
pub struct PageBuiltins {
    pub name: String,
    pub year: i64,
    pub author: String,
}

/// The packs of an install as template sources, dependencies first ([`template::compose`]).
fn sources(installed: &Installed) -> Result<Vec<Source>, JsError> {
    let edges: BTreeMap<String, Vec<String>> = installed
        .lockfile
        .iter()
        .map(|p| {
            let deps = p.dependencies.iter().map(|d| d.split(' ').next().unwrap_or(d).to_owned());
            (p.name.clone(), deps.collect())
        })
        .collect();
    let packs = installed.packs.iter().map(|p| {
        let files = p.files.iter().map(|f| PackFile { path: f.path.clone(), contents: f.contents.clone() });
        (p.name.clone(), files.collect())
    });
    let (_, sources) = template::compose(&edges, packs).map_err(|e| JsError::new(&e.to_string()))?;
    Ok(sources)
}

/// The questions an install's packs ask, the root's first (each `{ name, type, help,
/// default, choices, pattern, min, max, when }`), for the page's form.
#[wasm_bindgen]
pub fn variables(installed: JsValue) -> Result<JsValue, JsError> {
    let sources = sources(&from_js(installed)?)?;
    to_js(&template::variables(&sources).map_err(|e| JsError::new(&e.to_string()))?)
}

/// `text` read as `variable`'s answer and checked against its rules: the answer, or an
/// error naming the variable and the rule (what the form shows as the user types).
#[wasm_bindgen(js_name = readAnswer)]
pub fn read_answer(variable: JsValue, text: &str) -> Result<JsValue, JsError> {
    let variable: Variable = from_js(variable)?;
    let answer: Answer = variable.read(text).map_err(|e| JsError::new(&e.to_string()))?;
    to_js(&answer)
}

/// The project: every pack of `installed` rendered with `answers` (variable name to text;
/// what is not given takes its default) and the page's built-ins, with the answers it took;
/// or every refusal at once.
#[wasm_bindgen]
pub fn generate(installed: JsValue, answers: JsValue, builtins: JsValue) -> Result<JsValue, JsError> {
    to_js(&generated(&from_js(installed)?, &from_js(answers)?, from_js(builtins)?)?)
}

fn generated(
    installed: &Installed,
    given: &BTreeMap<String, String>,
    builtins: PageBuiltins,
) -> Result<Generated, JsError> {
    let error = |e: template::GenerateError| JsError::new(&e.to_string());
    let sources = sources(installed)?;
    let variables = template::variables(&sources).map_err(error)?;
    let builtins = Builtins { name: builtins.name, year: builtins.year, author: builtins.author };
    let answers = template::answer(&variables, &builtins, given, None)
        .map_err(|e| error(template::GenerateError::Answers(e)))?;
    let tree = template::render(&sources, &answers).map_err(error)?;
    Ok(Generated {
        answers,
        digest: to_hex(&template::digest(&tree)),
        files: tree.into_iter().map(|(path, contents)| File { path, contents }).collect(),
    })
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    /// rust-cli and the demo packs it depends on, as `SoukPeer.install` hands them over.
    fn rust_cli() -> Installed {
        let packs = souk_pack::demo::packs().unwrap();
        let wanted = [
            "rust-cli",
            "rust-ci",
            "editorconfig",
            "gitignore-rust",
            "license-mit-apache",
            "license-mit",
            "license-apache",
        ];
        let chosen = packs.iter().filter(|p| wanted.contains(&p.version.name.as_str()));
        let (packs, lockfile) = chosen
            .map(|p| {
                let files = souk_core::body::decode(&p.body).unwrap();
                let files = files.into_iter().map(|f| File { path: f.path, contents: f.contents }).collect();
                let deps = p.version.dependencies.iter().map(|d| format!("{} 1.0.0", d.name)).collect();
                (
                    InstalledPack { name: p.version.name.clone(), files },
                    Locked { name: p.version.name.clone(), dependencies: deps },
                )
            })
            .unzip();
        Installed { packs, lockfile }
    }

    /// The CLI's digest for these answers (`souk_pack::template`'s cross-target test pins
    /// the same one): the tab renders the bytes the CLI renders.
    const RUST_CLI_DIGEST: &str = "8c7250403563d7f2e0355027dfeb236498aff312783b347c2ea9e9361471b99c";

    fn builtins() -> PageBuiltins {
        PageBuiltins { name: "my-tool".into(), year: 2026, author: "Ada <ada@example.org>".into() }
    }

    #[test]
    fn the_tab_generates_the_bytes_the_cli_generates() {
        let given = BTreeMap::from([("description".to_owned(), "Says hello".to_owned())]);
        let project = generated(&rust_cli(), &given, builtins()).unwrap();
        assert_eq!(project.digest, RUST_CLI_DIGEST);
        assert!(project.files.iter().any(|f| f.path == "Cargo.toml"));
    }

    #[cfg(target_arch = "wasm32")]
    #[test]
    fn the_page_calls_it_with_plain_javascript_values() {
        let installed = to_js(&rust_cli()).unwrap();
        let questions: Vec<Variable> = from_js(variables(installed.clone()).unwrap()).unwrap();
        assert_eq!(questions.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["description"]);
        let bad = read_answer(to_js(&questions[0]).unwrap(), "a \"quote\"").err().map(JsValue::from).unwrap();
        let message = js_sys::Reflect::get(&bad, &"message".into()).unwrap().as_string().unwrap();
        assert!(message.starts_with("description: must match"), "{message}");
        let answers = to_js(&BTreeMap::from([("description", "Says hello")])).unwrap();
        let project = generate(installed, answers, to_js(&builtins()).unwrap()).unwrap();
        let digest = js_sys::Reflect::get(&project, &"digest".into()).unwrap().as_string().unwrap();
        assert_eq!(digest, RUST_CLI_DIGEST);
        let files = js_sys::Reflect::get(&project, &"files".into()).unwrap();
        let first = js_sys::Reflect::get(&files, &0.into()).unwrap();
        let contents = js_sys::Reflect::get(&first, &"contents".into()).unwrap();
        assert!(contents.is_instance_of::<js_sys::Uint8Array>(), "file contents reach the page as bytes");
    }
}
