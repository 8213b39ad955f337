// Tab to tab, in Debian's Chromium: two browser contexts (each its own IndexedDB and
// identity) open the page of a `souk relay` this test starts itself (SOUK_CLI), with pinning
// off so that only the publishing tab holds what it publishes. Tab B installs tab A's pack
// over a direct WebRTC connection, and the relay's byte counters (`/metrics`) show that the
// body did not cross the relay. A js-libp2p node with @libp2p/webrtc, in a third context,
// dials tab A over `/webrtc` through the relay and pings it on the direct connection. Then
// the relay is stopped and B fetches a second pack from A over the same connection; then A's
// tab goes, and B lets the connection go.
//
// With `--measure`, the numbers BENCHMARKS.md reports (printed, never asserted): the time from nothing to
// a first fetched body, and a large body, tab to tab directly and through the relay's
// circuit (a third peer started with `direct: false`, reached through the circuit only).
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

const souk = process.env.SOUK_CLI;
assert.ok(souk, "SOUK_CLI names the souk binary (run through `cargo xtask test`)");
const web = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Starts a relay on 127.0.0.1 that pins nothing; answers its page URL and process. */
async function startRelay() {
  const data = mkdtempSync(join(tmpdir(), "souk-tabs-relay-"));
  const args = ["relay", "--http", "127.0.0.1:0", "--data", data, "--web", web, "--pin-quota", "0"];
  for (const listen of ["/ip4/127.0.0.1/tcp/0/ws", "/ip4/127.0.0.1/udp/0/quic-v1/webtransport"]) {
    args.push("--listen", listen);
  }
  const relay = spawn(souk, args, { stdio: ["ignore", "pipe", "ignore"] });
  let page;
  for await (const line of createInterface({ input: relay.stdout })) {
    if (line.startsWith("http://")) page = `${line}/`;
    if (line === "ready") break;
  }
  assert.ok(page, "the relay printed its HTTP address");
  return { page, relay };
}

/** What the relay's transports have carried, in and out, in bytes. */
async function bytesCarried(page) {
  const text = await (await fetch(new URL("metrics", page))).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("libp2p_bandwidth_bytes_total{"))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

/** The js-libp2p node of `interop/js-node.js`, bundled for the browser. */
async function jsNodeBundle() {
  const interop = join(dirname(fileURLToPath(import.meta.url)), "interop");
  const esbuild = createRequire(join(interop, "package.json"))("esbuild");
  const built = await esbuild.build({
    entryPoints: [join(interop, "js-node.js")],
    bundle: true,
    format: "esm",
    minify: true,
    write: false,
  });
  return built.outputFiles[0].text;
}

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
const problems = [];

async function openTab(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("pageerror", (err) => problems.push(`page error: ${err.stack ?? err.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console error: ${m.text()}`));
  await page.goto(url);
  await page.waitForFunction(() => window.souk !== undefined, null, { timeout: 30_000 });
  await page.evaluate(() => window.souk.connected());
  return page;
}

/** Publishes a pack whose one file is `bytes` random bytes (as hex) from `page`'s peer. */
async function publish(page, name, bytes, peer = "souk") {
  const manifest = `[pack]\nname = "${name}"\nversion = "1.0.0"\ndescription = "tab to tab"\nlicense = "MIT"\ncategory = "testing"\n`;
  const data = randomBytes(bytes / 2).toString("hex");
  return page.evaluate(
    ([peer, manifest, data]) => window[peer].publish(manifest, { "data.txt": data }).then((p) => p.contentHash),
    [peer, manifest, data],
  );
}

/** How `page`'s peer sees the peer `id`: its transport, as the network panel shows it. */
async function transportTo(page, id) {
  const peers = await page.evaluate(() => window.souk.peers());
  return peers.find((p) => p.id === id)?.transport;
}

const { page: url, relay } = await startRelay();
try {
  const a = await openTab(url);
  const b = await openTab(url);
  const [idA, idB] = await Promise.all([a, b].map((tab) => tab.evaluate(() => window.souk.id)));

  // B installs a pack only A holds: found in the DHT, fetched from A directly.
  const name = `tab-pair-${Date.now()}`;
  const bodyBytes = 2_000_000;
  await publish(a, name, bodyBytes);
  const before = await bytesCarried(url);
  const installed = await b.evaluate((name) => window.souk.install(name).then((i) => i.packs.map((p) => p.name)), name);
  assert.ok(installed.includes(name), `installed ${installed}`);
  const crossed = (await bytesCarried(url)) - before;
  assert.equal(await transportTo(b, idA), "WebRTC (direct)");
  assert.equal(await transportTo(a, idB), "WebRTC (direct)");
  // The body is random hex: compressed, still over half its size. What the relay carried
  // meanwhile is the record's lookup and the signaling.
  assert.ok(crossed < bodyBytes / 4, `the relay carried ${crossed} bytes during the install`);
  console.log(`ok 1 B installed A's pack over WebRTC; the relay carried ${crossed} bytes meanwhile`);

  // A js-libp2p node in a third context reaches A over /webrtc, signalled through the relay.
  const info = await (await fetch(new URL("bootstrap", url))).json();
  const ws = info.addrs.find((a) => a.includes("/ws/"));
  const js = await (await browser.newContext()).newPage();
  js.on("pageerror", (err) => problems.push(`js-libp2p page error: ${err.stack ?? err.message}`));
  await js.goto(new URL("index.html", url).href);
  await js.addScriptTag({ content: await jsNodeBundle(), type: "module" });
  await js.waitForFunction(() => globalThis.pingTabOverWebRtc !== undefined);
  const started = Date.now();
  const pinged = await js.evaluate(([ws, tab]) => globalThis.pingTabOverWebRtc(ws, tab), [ws, idA]);
  const took = Date.now() - started;
  assert.ok(pinged.address.includes("/p2p-circuit/webrtc/"), pinged.address);
  assert.ok(pinged.protocols.includes("/souk/fetch/1.0.0"), `identify said ${pinged.protocols}`);
  await js.context().close();
  console.log(`ok 2 a js-libp2p node dialed A over /webrtc and pinged it (${pinged.rtt} ms; ${took} ms in all)`);

  // A second pack, then the relay goes: the direct connection stays, and B fetches from A.
  const second = await publish(a, `${name}-second`, 10_000);
  // From here on, the tabs' attempts to reach the stopped relay fail, as they should
  // (refused over WebSocket; over WebTransport, a QUIC write error, whose code is that refusal's).
  const relayGone = problems.length;
  relay.kill();
  await new Promise((done) => relay.once("exit", done));
  const body = await b.evaluate(([hash, from]) => window.souk.fetch(hash, from).then((b) => b.length), [second, idA]);
  assert.ok(body > 10_000 / 2, `fetched ${body} bytes`);
  assert.equal(await transportTo(b, idA), "WebRTC (direct)");
  console.log("ok 3 with the relay stopped, B fetched a second pack from A over the same connection");

  // A's tab goes without closing anything (its context is torn down): only ICE notices,
  // after some 15 s, and B then lets the connection go (a tab that closes its peer
  // connection is noticed at once: souk-webrtc's tests/connection.rs).
  await a.context().close();
  let connected = true;
  for (let tries = 0; tries < 300 && connected; tries++) {
    await new Promise((done) => setTimeout(done, 100));
    connected = (await b.evaluate(() => window.souk.peers())).some((p) => p.id === idA);
  }
  assert.ok(!connected, "B still held its connection to A 30 s after A's tab went");
  console.log("ok 4 A's tab went, and B let its connection to A go");
  await b.context().close();
  const refused = (p, i) =>
    p.includes("ERR_CONNECTION_REFUSED") || (i >= relayGone && p.includes("Failed to establish a connection"));
  assert.deepEqual(problems.filter((p, i) => !refused(p, i)), []);
} finally {
  relay.kill();
}

if (!process.argv.includes("--measure")) {
  await browser.close();
  process.exit(0);
}

// The numbers: a fresh relay; one tab holds two peers, one reached directly, one (started
// with `direct: false`) through the circuit only; another tab fetches from both.
const measured = await startRelay();
try {
  const [c, fetcher] = [await openTab(measured.page), await openTab(measured.page)];
  await c.evaluate(async (page) => {
    const { SoukPeer } = await import(new URL("pkg/souk_web.js", page).href);
    const { loadPacks: packs } = await import(new URL("packs.js", page).href);
    const bootstrap = new URL("bootstrap", page).href;
    window.relayed = await SoukPeer.start({ bootstrap, database: "relayed-only", direct: false, packs });
    await window.relayed.connected();
  }, measured.page);
  // Three rounds, each path in turn, each round with packs of its own (a fetched body stays
  // in the fetching tab); the median is printed.
  const times = { direct: [], relayed: [] };
  for (let round = 0; round < 3; round++) {
    for (const [path, peer] of [["direct", "souk"], ["relayed", "relayed"]]) {
      const from = await c.evaluate((peer) => window[peer].id, peer);
      const small = await publish(c, `first-body-${peer}-${round}-${Date.now()}`, 1_000, peer);
      const large = await publish(c, `large-${peer}-${round}-${Date.now()}`, 4_000_000, peer);
      times[path].push(
        await fetcher.evaluate(
          async ([small, large, from, round]) => {
            // The first round's first fetch also sets up the connection.
            let started = performance.now();
            await window.souk.fetch(small, from);
            const first = performance.now() - started;
            started = performance.now();
            const bytes = (await window.souk.fetch(large, from)).length;
            return { first, round, large: performance.now() - started, bytes };
          },
          [small, large, from, round],
        ),
      );
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const rows = Object.entries(times).map(([path, runs]) => {
    const { bytes } = runs[0];
    const large = median(runs.map((r) => r.large));
    const mbps = bytes / 1e6 / (large / 1000);
    return `| ${path} | ${runs[0].first.toFixed(0)} | ${median(runs.slice(1).map((r) => r.first)).toFixed(0)} | ${(bytes / 1e6).toFixed(1)} MB in ${large.toFixed(0)} | ${mbps.toFixed(1)} |`;
  });
  console.log(
    "\nTab to tab on 127.0.0.1 (median of 3):\n\n| path | connect + first body (ms) | a body, connected (ms) | large body (ms) | MB/s |\n|---|---|---|---|---|\n" +
      rows.join("\n"),
  );
} finally {
  measured.relay.kill();
  await browser.close();
}
