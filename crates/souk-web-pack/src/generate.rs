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
    #[serde(with = "crate::bytes")]
    pub contents: Vec<u8>,
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

    use souk_core::resolve::{MemoryRegistry, install};

    use super::*;

    /// rust-cli and the demo packs it depends on, as `SoukPeer.install` hands them over.
    fn rust_cli() -> Installed {
        let registry = MemoryRegistry::reachable(&souk_pack::demo::index(), "rust-cli").unwrap();
        let resolution = install(&registry, "rust-cli", "*".parse().unwrap()).unwrap();
        let demo = souk_pack::demo::packs().unwrap();
        let (packs, lockfile) = resolution
            .packages
            .iter()
            .map(|(id, resolved)| {
                let pack = demo.iter().find(|p| p.version.name == id.name).unwrap();
                let files = souk_core::body::decode(&pack.body).unwrap();
                let files = files.into_iter().map(|f| File { path: f.path, contents: f.contents }).collect();
                let dependencies = resolved.dependencies.iter().map(ToString::to_string).collect();
                (
                    InstalledPack { name: id.name.clone(), files },
                    Locked { name: id.name.clone(), dependencies },
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
