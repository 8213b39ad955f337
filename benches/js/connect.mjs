// Connection setup from headless Chromium: the tab's own swarm (the wasm harness's
// connectLatency) dials one relay over each browser transport, ROUNDS times each,
// interleaved so a busy moment hits every transport alike. One warm-up connect each is
// left out. Prints a table and writes it to DIR/connect.md.
//
// usage: node connect.mjs DIR ROUNDS ADDR...
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { inChromium } from "./chromium.mjs";

const [dir, rounds, ...addrs] = process.argv.slice(2);

const times = await inChromium(
  dir,
  async ({ addrs, rounds }) => {
    const times = Object.fromEntries(addrs.map((a) => [a, []]));
    for (const addr of addrs) await globalThis.harness.connectLatency(addr, 1);
    for (let round = 0; round < rounds; round++) {
      for (const addr of addrs) times[addr].push(...(await globalThis.harness.connectLatency(addr, 1)));
    }
    return times;
  },
  { addrs, rounds: Number(rounds) },
);

const NAMES = [["/webtransport/", "WebTransport"], ["/webrtc-direct/", "WebRTC-direct"], ["/ws/", "WebSocket"]];
const name = (addr) => NAMES.find(([part]) => addr.includes(part))?.[1] ?? addr;
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

let table = `| transport | connects | median (ms) | p95 (ms) | min (ms) | max (ms) |\n|---|---|---|---|---|---|\n`;
for (const addr of addrs) {
  const sorted = [...times[addr]].sort((a, b) => a - b);
  const ms = (v) => v.toFixed(1);
  table += `| ${name(addr)} | ${sorted.length} | ${ms(quantile(sorted, 0.5))} | ${ms(quantile(sorted, 0.95))} | ${ms(sorted[0])} | ${ms(sorted.at(-1))} |\n`;
}
writeFileSync(join(dir, "connect.md"), table);
console.log(`Connection setup from headless Chromium to one relay on 127.0.0.1:\n\n${table}`);
