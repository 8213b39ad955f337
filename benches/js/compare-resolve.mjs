// Resolution side by side: Souk natively and in its wasm build under Node and in headless
// Chromium, on the same workloads (a 10-level chain, 50 flat dependencies, the real cases of
// shared/resolve on its two crates.io slices).
//
//   node compare-resolve.mjs DIR
//
// DIR holds what `resolve-latency DIR` wrote and the wasm harness in DIR/wasm (Node) and
// DIR/wasm-web (Chromium). Writes
// DIR/comparison.json and DIR/comparison.md, and prints the table.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { inChromium } from "./chromium.mjs";

const dir = resolve(process.argv[2] ?? "");
// cargo's whole-process times, as `cargo xtask compare` measured them, for these cases.
const cargoSeconds = Object.fromEntries(
  ["libp2p-native", "sqlx-pg-sqlite", "random-619"].map((name, i) => [name, Number(process.argv[3 + i] ?? "NaN")]),
);
const wasm = createRequire(import.meta.url)(`${dir}/wasm/souk_benches.js`);
const native = JSON.parse(readFileSync(`${dir}/native.json`, "utf8"));
// Each index the real cases resolve on, as resolve-latency wrote it (absent without the data).
const LABELS = ["index", "index-large"].filter((label) => existsSync(`${dir}/${label}.jsonl`));
const ROUNDS = 20;
const souk_wasm = JSON.parse(wasm.resolveLatency("", undefined, "{}", true, ROUNDS));
for (const label of LABELS) {
  const [index, manifests] = [`${label}.jsonl`, `${label}-manifests.json`].map((file) =>
    readFileSync(`${dir}/${file}`, "utf8"),
  );
  Object.assign(souk_wasm, JSON.parse(wasm.resolveLatency(label, index, manifests, false, ROUNDS)));
}
const souk_chromium = await inChromium(
  dir,
  async ([labels, rounds]) => {
    const out = JSON.parse(harness.resolveLatency("", undefined, "{}", true, rounds));
    for (const label of labels) {
      const [index, manifests] = await Promise.all(
        [`/${label}.jsonl`, `/${label}-manifests.json`].map(async (path) => (await fetch(path)).text()),
      );
      Object.assign(out, JSON.parse(harness.resolveLatency(label, index, manifests, false, rounds)));
    }
    return out;
  },
  [LABELS, ROUNDS],
);

const ms = (x) => (x < 0.1 ? x.toFixed(4) : x < 10 ? x.toFixed(3) : x.toFixed(1));
const lines = [
  "| workload | Souk native p50 / p95 | Souk wasm (Node) p50 / p95 | Souk wasm (Chromium) p50 / p95 | wasm / native (p50): Node, Chromium |",
  "|---|---|---|---|---|",
];
for (const [name, n] of Object.entries(native)) {
  const [w, c] = [souk_wasm[name], souk_chromium[name]];
  if (name.endsWith("-parse")) {
    const ratios = `${(w.ms / n.ms).toFixed(2)}x, ${(c.ms / n.ms).toFixed(2)}x`;
    lines.push(`| parse the crates.io index (${n.versions} versions) | ${ms(n.ms)} | ${ms(w.ms)} | ${ms(c.ms)} | ${ratios} |`);
  } else {
    const ratios = `${(w.p50 / n.p50).toFixed(2)}x, ${(c.p50 / n.p50).toFixed(2)}x`;
    lines.push(`| ${name} | ${ms(n.p50)} / ${ms(n.p95)} | ${ms(w.p50)} / ${ms(w.p95)} | ${ms(c.p50)} / ${ms(c.p95)} | ${ratios} |`);
  }
}
for (const [name, seconds] of Object.entries(cargoSeconds)) {
  if (!Number.isFinite(seconds) || !native[name]) continue;
  const n = native[name].p50;
  lines.push("", `cargo generate-lockfile for ${name}, whole process: ${(seconds * 1000).toFixed(0)} ms; Souk's resolution: ${ms(n)} ms native (${((seconds * 1000) / n).toFixed(0)}x less).`);
}
const table = lines.join("\n");
writeFileSync(`${dir}/comparison.json`, JSON.stringify({ souk_native: native, souk_wasm, souk_chromium }, null, 2));
writeFileSync(`${dir}/comparison.md`, `# Resolution: native vs wasm (Node, Chromium)\n\nLatencies in milliseconds.\n\n${table}\n`);
console.log(table);
