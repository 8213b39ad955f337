// Search side by side: Souk natively, Souk's wasm build under Node and in headless
// Chromium, MiniSearch and FlexSearch, on the same corpora and the same query mix
// (../queries.tsv).
//
//   node --expose-gc compare.mjs DIR
//
// DIR holds what `search-latency DIR` wrote (snapshots, corpora as TSV, native.json) and
// the wasm harness in DIR/wasm (wasm-bindgen --target nodejs) and DIR/wasm-web (--target
// web, for Chromium). Writes DIR/comparison.json
// and DIR/comparison.md, and prints the table. `cargo xtask compare` runs all of it.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import MiniSearch from "minisearch";
import { Charset, Document } from "flexsearch";
import { inChromium } from "./chromium.mjs";

const dir = resolve(process.argv[2] ?? "");
const wasm = createRequire(import.meta.url)(`${dir}/wasm/souk_benches.js`);
const queries = readFileSync(new URL("../queries.tsv", import.meta.url), "utf8")
  .split("\n")
  .filter((line) => line && !line.startsWith("#"))
  .map((line) => line.split("\t"));
const native = JSON.parse(readFileSync(`${dir}/native.json`, "utf8"));
const WASM_ROUNDS = 20;
const JS_ROUNDS = 5;

// The same percentile rule as the Rust harness.
function percentiles(ms) {
  ms.sort((a, b) => a - b);
  const at = (q) => ms[Math.round((ms.length - 1) * q)];
  return { samples: ms.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}

function latency(search, rounds) {
  const samples = {};
  for (let round = 0; round <= rounds; round++) {
    for (const [kind, text] of queries) {
      const start = performance.now();
      search(text);
      const took = performance.now() - start;
      if (round > 0) {
        (samples[kind] ??= []).push(took);
        (samples.all ??= []).push(took);
      }
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([kind, ms]) => [kind, percentiles(ms)]));
}

function heapUsed() {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

function library(docs, build, search) {
  const before = heapUsed();
  const start = performance.now();
  const index = build(docs);
  const build_ms = performance.now() - start;
  const heap_bytes = heapUsed() - before;
  return { build_ms, heap_bytes, latency_ms: latency((q) => search(index, q), JS_ROUNDS) };
}

// Souk's wasm build first, on a fresh heap, as a tab that runs only Souk would.
const results = {};
for (const corpus of Object.keys(native)) {
  const snapshot = readFileSync(`${dir}/${corpus}.idx`);
  const souk_wasm = JSON.parse(wasm.searchLatency(snapshot, WASM_ROUNDS));
  souk_wasm.wasm_memory_bytes = wasm.memoryBytes();
  results[corpus] = { souk_native: native[corpus], souk_wasm };
}
// Then in Chromium, a fresh tab per corpus.
for (const corpus of Object.keys(native)) {
  console.error(`${corpus}: Souk in Chromium...`);
  results[corpus].souk_chromium = await inChromium(
    dir,
    async ({ corpus, rounds }) => {
      const snapshot = new Uint8Array(await (await fetch(`/${corpus}.idx`)).arrayBuffer());
      const report = JSON.parse(harness.searchLatency(snapshot, rounds));
      report.wasm_memory_bytes = harness.memoryBytes();
      return report;
    },
    { corpus, rounds: WASM_ROUNDS },
  );
}
for (const corpus of Object.keys(native)) {
  const docs = readFileSync(`${dir}/${corpus}.tsv`, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line, id) => {
      const [name, description, downloads] = line.split("\t");
      return { id, name, description, downloads: Number(downloads) };
    });
  console.error(`${corpus}: ${docs.length} packages; MiniSearch...`);
  results[corpus].minisearch = library(
    docs,
    (docs) => {
      const index = new MiniSearch({ fields: ["name", "description"], storeFields: ["name"] });
      index.addAll(docs);
      return index;
    },
    (index, q) => index.search(q, { prefix: true, fuzzy: 0.2, boost: { name: 3 } }).slice(0, 20),
  );
  console.error(`${corpus}: FlexSearch...`);
  results[corpus].flexsearch = library(
    docs,
    (docs) => {
      const index = new Document({ document: { id: "id", index: ["name", "description"] }, tokenize: "forward" });
      for (const doc of docs) index.add(doc);
      return index;
    },
    (index, q) => index.search(q, { limit: 20 }),
  );
  // FlexSearch's nearest to typo tolerance: phonetic matching, and suggestions (results
  // that match only some of the query).
  console.error(`${corpus}: FlexSearch (phonetic)...`);
  results[corpus].flexsearch_phonetic = library(
    docs,
    (docs) => {
      const index = new Document({
        document: { id: "id", index: ["name", "description"] },
        tokenize: "forward",
        encoder: Charset.LatinSoundex,
      });
      for (const doc of docs) index.add(doc);
      return index;
    },
    (index, q) => index.search(q, { limit: 20, suggest: true }),
  );
}

const ms = (x) => (x < 0.1 ? x.toFixed(4) : x < 10 ? x.toFixed(3) : x.toFixed(1));
const mb = (x) => `${(x / 1e6).toFixed(1)} MB`;
const kinds = ["all", "keyword", "two-word", "typo", "prefix"];
const lines = [
  "| corpus | queries | Souk native p50 / p95 | Souk wasm (Node) p50 / p95 | Souk wasm (Chromium) p50 / p95 | MiniSearch p50 / p95 | FlexSearch p50 / p95 | FlexSearch (phonetic) p50 / p95 | wasm / native (p95): Node, Chromium |",
  "|---|---|---|---|---|---|---|---|---|",
];
for (const [corpus, r] of Object.entries(results)) {
  for (const kind of kinds) {
    const cells = [r.souk_native, r.souk_wasm, r.souk_chromium, r.minisearch, r.flexsearch, r.flexsearch_phonetic].map(
      (x) => `${ms(x.latency_ms[kind].p50)} / ${ms(x.latency_ms[kind].p95)}`,
    );
    const ratio = (x) => `${(x.latency_ms[kind].p95 / r.souk_native.latency_ms[kind].p95).toFixed(2)}x`;
    lines.push(`| ${corpus} | ${kind} | ${cells.join(" | ")} | ${ratio(r.souk_wasm)}, ${ratio(r.souk_chromium)} |`);
  }
}
lines.push("", "| corpus | packages | Souk snapshot | Souk load native / Node / Chromium | Souk index memory | MiniSearch build / heap | FlexSearch build / heap | FlexSearch (phonetic) build / heap |", "|---|---|---|---|---|---|---|---|");
for (const [corpus, r] of Object.entries(results)) {
  const n = r.souk_native;
  lines.push(
    `| ${corpus} | ${n.packs} | ${mb(n.snapshot_bytes)} | ${ms(n.load_ms)} / ${ms(r.souk_wasm.load_ms)} / ${ms(r.souk_chromium.load_ms)} ms | ${mb(n.memory_bytes)} (wasm memory ${mb(r.souk_chromium.wasm_memory_bytes)}) | ${ms(r.minisearch.build_ms)} ms / ${mb(r.minisearch.heap_bytes)} | ${ms(r.flexsearch.build_ms)} ms / ${mb(r.flexsearch.heap_bytes)} | ${ms(r.flexsearch_phonetic.build_ms)} ms / ${mb(r.flexsearch_phonetic.heap_bytes)} |`,
  );
}
const table = lines.join("\n");
writeFileSync(`${dir}/comparison.json`, JSON.stringify(results, null, 2));
writeFileSync(`${dir}/comparison.md`, `# Search: Souk vs MiniSearch vs FlexSearch\n\nLatencies in milliseconds.\n\n${table}\n`);
console.log(table);
