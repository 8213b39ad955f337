//! Generation latency: a demo pack and its dependencies rendered into a project, from bodies
//! in hand (a local cache), natively and in wasm through the same code.

use std::collections::BTreeMap;

use souk_core::body;
use souk_pack::template::{self, Builtins, Source};

use crate::latency::Percentiles;

/// The demo packs timed: rust-cli (7 packs, the case) and the largest graphs.
const ROOTS: [&str; 3] = ["rust-cli", "python-package", "open-source-starter"];

/// For each root: decoding its packs' bodies, then answering and rendering; milliseconds
/// per round, `rounds` rounds after one warm-up.
pub fn report(rounds: usize, now: impl Fn() -> f64) -> serde_json::Value {
    let packs = souk_pack::demo::packs().expect("the demo registry is valid");
    let edges: BTreeMap<String, Vec<String>> = packs
        .iter()
        .map(|p| (p.version.name.clone(), p.version.dependencies.iter().map(|d| d.name.clone()).collect()))
        .collect();
    let bodies: BTreeMap<&str, &[u8]> =
        packs.iter().map(|p| (p.version.name.as_str(), p.body.as_slice())).collect();
    let builtins = Builtins { name: "hello-tool".into(), year: 2026, author: "A. Author".into() };
    let mut report = serde_json::Map::new();
    for root in ROOTS {
        let order = template::render_order(root, &edges);
        let generate = || {
            let sources: Vec<Source> = order
                .iter()
                .map(|name| Source::from_files(body::decode(bodies[name.as_str()]).expect("a demo body")))
                .collect::<Result<_, _>>()
                .expect("demo sources");
            let variables = template::variables(&sources).expect("one type per variable");
            let answers = template::answer(&variables, &builtins, &BTreeMap::new(), None).expect("defaults");
            template::render(&sources, &answers).expect("renders")
        };
        let files = generate().len();
        let times: Vec<f64> = (0..rounds)
            .map(|_| {
                let start = now();
                std::hint::black_box(generate());
                now() - start
            })
            .collect();
        let p = Percentiles::of(times);
        report.insert(
            root.into(),
            serde_json::json!({ "packs": order.len(), "files": files, "p50": p.p50, "p95": p.p95 }),
        );
    }
    serde_json::Value::Object(report)
}
