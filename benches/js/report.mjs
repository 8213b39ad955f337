// The one table of `cargo xtask compare`: search and resolution, natively, in wasm under
// Node and in headless Chromium, beside MiniSearch and FlexSearch, with the ratios; and a
// plot of search latency against corpus size for each target.
//
//   node report.mjs DIR
//
// Reads DIR/search/comparison.json and DIR/resolve/comparison.json (compare.mjs and
// compare-resolve.mjs write them); writes DIR/comparison.{json,md} and DIR/search.svg.
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

const dir = resolve(process.argv[2] ?? "");
const search = JSON.parse(readFileSync(`${dir}/search/comparison.json`, "utf8"));
const resolution = JSON.parse(readFileSync(`${dir}/resolve/comparison.json`, "utf8"));
const TARGETS = [
  ["souk_native", "native"],
  ["souk_wasm", "wasm (Node)"],
  ["souk_chromium", "wasm (Chromium)"],
  ["minisearch", "MiniSearch"],
  ["flexsearch", "FlexSearch"],
  ["flexsearch_phonetic", "FlexSearch (phonetic)"],
];

// Rows: an operation and its milliseconds per target (null where a target does not run it).
const rows = [];
const corpora = Object.entries(search).sort(([, a], [, b]) => a.souk_native.packs - b.souk_native.packs);
for (const [corpus, r] of corpora) {
  for (const kind of ["all", "keyword", "two-word", "typo", "prefix"]) {
    const ms = Object.fromEntries(TARGETS.map(([key]) => [key, r[key].latency_ms[kind].p95]));
    rows.push({ operation: `search ${corpus}, ${kind} queries (p95)`, ms });
  }
  rows.push({
    operation: `load ${corpus} (JS libraries: build)`,
    ms: {
      souk_native: r.souk_native.load_ms,
      souk_wasm: r.souk_wasm.load_ms,
      souk_chromium: r.souk_chromium.load_ms,
      minisearch: r.minisearch.build_ms,
      flexsearch: r.flexsearch.build_ms,
      flexsearch_phonetic: r.flexsearch_phonetic.build_ms,
    },
  });
}
for (const [name, n] of Object.entries(resolution.souk_native)) {
  const pick = (x) => (name === "index-parse" ? x.ms : x.p50);
  rows.push({
    operation: name === "index-parse" ? "parse the crates.io index" : `resolve ${name} (p50)`,
    ms: {
      souk_native: pick(n),
      souk_wasm: pick(resolution.souk_wasm[name]),
      souk_chromium: pick(resolution.souk_chromium[name]),
    },
  });
}
for (const row of rows) {
  const ratio = (key) => (row.ms[key] == null ? null : row.ms[key] / row.ms.souk_native);
  row.ratio = { node: ratio("souk_wasm"), chromium: ratio("souk_chromium") };
}

const num = (x) => (x == null ? "–" : x < 0.1 ? x.toFixed(4) : x < 10 ? x.toFixed(3) : x.toFixed(1));
const times = (x) => (x == null ? "–" : `${x.toFixed(2)}x`);
const lines = [
  `| operation | ${TARGETS.map(([, label]) => label).join(" | ")} | Node / native | Chromium / native |`,
  `|---|${"---|".repeat(TARGETS.length + 2)}`,
  ...rows.map(
    (row) =>
      `| ${row.operation} | ${TARGETS.map(([key]) => num(row.ms[key])).join(" | ")} | ${times(row.ratio.node)} | ${times(row.ratio.chromium)} |`,
  ),
];
const table = lines.join("\n");

// Latency against corpus size, log-log, one line per target: every query, and the typos.
function plot(panels) {
  const [W, H, PAD] = [420, 300, 56];
  const targets = TARGETS.map(([key, label], i) => ({ key, label, color: ["#1b6ef3", "#e8710a", "#0f9d58", "#a142f4", "#d93025", "#f2a600"][i] }));
  const svg = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W * panels.length}" height="${H + 40}" font-family="sans-serif" font-size="11">`];
  panels.forEach(({ title, kind }, p) => {
    const points = targets.map((t) => corpora.map(([, r]) => [r.souk_native.packs, r[t.key].latency_ms[kind].p95]));
    const all = points.flat();
    const [x0, x1] = [Math.min(...all.map((q) => q[0])), Math.max(...all.map((q) => q[0]))].map(Math.log10);
    const [y0, y1] = [Math.floor(Math.log10(Math.min(...all.map((q) => q[1])))), Math.ceil(Math.log10(Math.max(...all.map((q) => q[1]))))];
    const x = (v) => p * W + PAD + ((Math.log10(v) - x0) / (x1 - x0)) * (W - PAD - 44);
    const y = (v) => H - PAD + 20 - ((Math.log10(v) - y0) / (y1 - y0)) * (H - PAD - 10);
    svg.push(`<text x="${p * W + W / 2}" y="16" text-anchor="middle" font-size="13">${title}</text>`);
    for (let e = y0; e <= y1; e++) {
      svg.push(`<line x1="${x(10 ** x0)}" x2="${x(10 ** x1)}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/>`);
      svg.push(`<text x="${x(10 ** x0) - 6}" y="${y(10 ** e) + 4}" text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)} ms</text>`);
    }
    for (const [, r] of corpora) {
      svg.push(`<text x="${x(r.souk_native.packs)}" y="${H + 4}" text-anchor="middle">${r.souk_native.packs.toLocaleString("en")}</text>`);
    }
    svg.push(`<text x="${p * W + W / 2}" y="${H + 20}" text-anchor="middle">packages in the corpus (p95 latency, log scales)</text>`);
    targets.forEach((t, i) => {
      const path = points[i].map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(" ");
      svg.push(`<polyline points="${path}" fill="none" stroke="${t.color}" stroke-width="2"/>`);
      for (const [a, b] of points[i]) svg.push(`<circle cx="${x(a).toFixed(1)}" cy="${y(b).toFixed(1)}" r="3" fill="${t.color}"/>`);
      if (p === 0) {
        svg.push(`<rect x="${PAD + 8}" y="${28 + i * 14}" width="10" height="3" fill="${t.color}"/>`);
        svg.push(`<text x="${PAD + 22}" y="${33 + i * 14}">${t.label}</text>`);
      }
    });
  });
  svg.push("</svg>");
  return svg.join("\n");
}

writeFileSync(`${dir}/comparison.json`, JSON.stringify(rows, null, 2));
writeFileSync(`${dir}/comparison.md`, `# Souk across targets\n\nMilliseconds; the ratios are to native.\n\n${table}\n`);
writeFileSync(`${dir}/search.svg`, plot([{ title: "Search, every query", kind: "all" }, { title: "Search, misspelled queries", kind: "typo" }]));
console.log(`\n${table}\n\nwritten: ${dir}/comparison.md, comparison.json, search.svg`);
