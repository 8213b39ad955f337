// How typing feels on a large index: the page (a peer that synced the relay's whole index
// into the tab) gets one input event per keystroke, and each is timed from the event to
// the result list rendered. A measurement, not a test: it prints numbers.
//
//   souk index import ../shared/corpus/npm-packages.tsv --out npm.idx
//   souk relay --index npm.idx --http 127.0.0.1:8080 --web web --data relay-npm
//   SOUK_PAGE=http://127.0.0.1:8080/ node web/tests/typing.mjs
import { chromium } from "playwright-core";

const url = process.env.SOUK_PAGE ?? "http://127.0.0.1:8080/";
const typed = ["react-router-dom", "expres", "lodsh debounce", "typescript eslint plugin", "vue"];

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const page = await browser.newPage();
  const started = Date.now();
  await page.goto(url);
  await page.locator("#badge", { hasText: "online" }).waitFor({ timeout: 600_000 });
  const packs = await page.evaluate(async () => (await window.souk.stats()).packs);
  console.log(`joined and synced ${packs} packs in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const times = await page.evaluate(async (queries) => {
    const input = document.querySelector("#query");
    const results = document.querySelector("#results");
    const out = [];
    for (const query of queries) {
      for (let i = 1; i <= query.length; i++) {
        const rendered = new Promise((resolve) => {
          const observer = new MutationObserver(() => (observer.disconnect(), resolve()));
          observer.observe(results, { childList: true });
        });
        const t0 = performance.now();
        input.value = query.slice(0, i);
        input.dispatchEvent(new Event("input"));
        await rendered;
        out.push(performance.now() - t0);
      }
    }
    return out;
  }, typed);
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
  console.log(`${times.length} keystrokes, input to rendered results: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${times.at(-1).toFixed(1)} ms`);
} finally {
  await browser.close();
}
