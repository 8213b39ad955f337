// A tab's first visit to a relay serving a large index: from opening the page to the first
// search answered over the whole index (the relay's base and the log on top of it), and to
// the badge saying online. A measurement, not a test: it prints numbers.
//
//   souk index import ../shared/corpus/npm-packages.tsv --out npm.idx
//   souk relay --index npm.idx --http 127.0.0.1:8080 --web web --data relay-npm
//   SOUK_PAGE=http://127.0.0.1:8080/ node web/tests/first-visit.mjs [RUNS] [--when-online]
//
// By default the page searches from its first moment, as someone typing at once would;
// `--when-online` searches once, when the badge says online.
import { chromium } from "playwright-core";

const url = process.env.SOUK_PAGE ?? "http://127.0.0.1:8080/";
const runs = Number(process.argv[2] ?? 3);
const whenOnline = process.argv.includes("--when-online");
// A word of the npm base and a pack of the relay's log (the demo registry it seeds).
const queries = ["express", "rust-cli"];
// Every pack the relay holds (a name the tab lacks is looked up in the DHT, so a search
// alone could answer before the index has them all).
const metrics = await (await fetch(new URL("metrics", url))).text();
const relayPacks = Number(metrics.match(/^marketplace_index_packs (\d+)$/m)[1]);

for (let run = 1; run <= runs; run++) {
  // A browser of its own each time: an empty IndexedDB, as a first visit has.
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage();
    const opened = Date.now();
    await page.goto(url);
    const online = page
      .locator("#badge", { hasText: "online" })
      .waitFor({ timeout: 600_000 })
      .then(() => Date.now() - opened);
    // Searches back to back from the moment the peer exists until both queries find
    // their pack in an index holding every pack the relay holds.
    await page.waitForFunction(() => window.souk, null, { timeout: 600_000 });
    if (whenOnline) await online;
    const answered = await page.evaluate(async ([queries, relayPacks]) => {
      for (;;) {
        const all = (await window.souk.stats()).packs;
        const found = await Promise.all(queries.map((q) => window.souk.search(q)));
        if (all >= relayPacks && found.every((r, i) => r.hits[0]?.name === queries[i])) {
          return { at: performance.now(), packs: all };
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }, [queries, relayPacks]);
    const start = await page.evaluate(() => performance.timeOrigin);
    const first = answered.at + start - opened;
    console.log(
      `run ${run}: first search over ${answered.packs} packs answered ${(first / 1000).toFixed(2)} s after opening the page; online at ${((await online) / 1000).toFixed(2)} s`,
    );
  } finally {
    await browser.close();
  }
}
