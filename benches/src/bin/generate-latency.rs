//! Native generation latency: demo packs and their dependencies rendered into projects
//! from bodies in hand, as JSON (`cargo xtask compare` runs the wasm build beside it).
//!
//! `cargo run --release -p souk-benches --bin generate-latency`

use std::time::Instant;

const ROUNDS: usize = 50;

fn main() {
    let epoch = Instant::now();
    let report = souk_benches::generation::report(ROUNDS, || epoch.elapsed().as_secs_f64() * 1000.0);
    println!("{}", serde_json::to_string_pretty(&report).expect("serializes"));
}
