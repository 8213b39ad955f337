// Runs a workload of the wasm harness in headless Chromium (Debian's, driven by
// playwright-core: no browser download) and answers what it returns.
//
// The page is served from DIR on 127.0.0.1, cross-origin isolated: an isolated page's
// performance.now() ticks every 5 µs instead of every 100 µs. DIR/wasm-web holds the
// harness bound with `wasm-bindgen --target web`.
import { createReadStream, existsSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";

const TYPES = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };
const PAGE = "<!doctype html><title>souk bench</title>";

function serve(dir) {
  const server = createServer((req, res) => {
    const headers = {
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
    };
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (path === "/") {
      res.writeHead(200, { ...headers, "Content-Type": "text/html" }).end(PAGE);
      return;
    }
    const file = join(dir, path);
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { ...headers, "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

/// Calls `workload(arg)` in a fresh page that has imported the harness as `globalThis.harness`.
export async function inChromium(dir, workload, arg) {
  const server = await serve(dir);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.evaluate(async () => {
      const harness = await import("/wasm-web/souk_benches.js");
      await harness.default();
      globalThis.harness = harness;
    });
    if (!(await page.evaluate(() => crossOriginIsolated))) throw new Error("the bench page is not cross-origin isolated");
    return await page.evaluate(workload, arg);
  } finally {
    await browser.close();
    server.close();
  }
}
