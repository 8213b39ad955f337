// Generation latency in wasm under Node: the same workload as `generate-latency` natively.
// Usage: node benches/js/generate.mjs DIR   (DIR/wasm holds the Node-bound harness)
import { createRequire } from "node:module";
import { resolve } from "node:path";

const require = createRequire(import.meta.url);
const harness = require(resolve(process.argv[2] ?? ".", "wasm/souk_benches.js"));
console.log(JSON.stringify(JSON.parse(harness.generateLatency(50)), null, 2));
