// The page end to end in Debian's Chromium (playwright-core, no browser download), against
// the real `souk relay` that `cargo xtask test` starts and names in SOUK_PAGE. Two pages,
// each its own peer with its own IndexedDB: search by typing, a pack page, install (the zip
// arrives and the pack is listed), a project generated from a pack (the same digest as the
// CLI at SOUK_CLI, through SOUK_BOOTSTRAP), and a pack published in one page appearing in
// the other and installed there. Screenshots land in SOUK_SCREENSHOTS.
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { unzipSync } from "fflate";

const url = process.env.SOUK_PAGE;
const shots = process.env.SOUK_SCREENSHOTS ?? "target/screenshots";
assert.ok(url, "SOUK_PAGE names the relay's page (run through `cargo xtask test`)");
mkdirSync(shots, { recursive: true });

const launch = { executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] };
const browser = await chromium.launch(launch);
const steps = [];
// Any page error or console error fails the step it happened in: the test passing while
// the page throws would hide a broken page.
const problems = [];
function check(name) {
  assert.deepEqual(problems.splice(0), [], `the page reported errors during "${name}"`);
}
async function step(name, f) {
  const started = Date.now();
  await f();
  check(name);
  steps.push(name);
  console.log(`ok ${steps.length} ${name} (${Date.now() - started} ms)`);
}

// A page as a new peer: in a fresh context, or in `context` (a persistent profile).
async function openPeer(context) {
  context ??= await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 900 } });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (err) => problems.push(`page error: ${err.stack ?? err.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()} (${message.location().url})`);
  });
  await page.goto(url);
  await page.waitForFunction(() => window.souk !== undefined, null, { timeout: 30_000 });
  await page.locator("#badge", { hasText: "online" }).waitFor({ timeout: 30_000 });
  return page;
}

async function downloadZip(page, name, label = "Download zip") {
  const link = page.locator("a.button", { hasText: label }).first();
  await link.waitFor({ timeout: 30_000 });
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  assert.equal(download.suggestedFilename(), name);
  const path = join(shots, name);
  await download.saveAs(path);
  const bytes = readFileSync(path);
  assert.equal(bytes.subarray(0, 2).toString(), "PK", "the download is a zip");
  return bytes;
}

try {
  const a = await openPeer();

  await step("search by typing, the total and the matched words shown", async () => {
    await a.locator("#query").pressSequentially("rust", { delay: 30 });
    await a.locator("#results li", { hasText: "rust-cli" }).first().waitFor();
    assert.match(await a.locator("#status").textContent(), /of \d+ packs/);
    assert.ok((await a.locator("#results mark").count()) > 0, "matched words are highlighted");
    await a.locator("#sort").selectOption("newest");
    await a.locator("#results li").first().waitFor();
    await a.locator("#sort").selectOption("relevance");
    await a.locator("#query").fill("licnse");
    await a.locator("#results li", { hasText: "license" }).first().waitFor();
    await a.locator("#query").fill("rust");
    await a.locator("#results li", { hasText: "rust-cli" }).first().waitFor();
    await a.screenshot({ path: join(shots, "search.png"), fullPage: true });
  });

  await step("a pack page: readme, dependencies, the resolved tree, providers", async () => {
    await a.locator("#results a", { hasText: /^rust-cli$/ }).click();
    await a.locator("h1", { hasText: "rust-cli" }).waitFor();
    await a.locator(".readme", { hasText: "Files: " }).waitFor({ timeout: 30_000 });
    await a.locator(".tree li").first().waitFor();
    await a.locator("section", { hasText: "Provided by" }).locator("li").first().waitFor({ timeout: 30_000 });
    await a.screenshot({ path: join(shots, "pack.png"), fullPage: true });
  });

  await step("install: progress, then the zip, then listed as installed", async () => {
    await a.locator("#install").click();
    const zip = unzipSync(new Uint8Array(await downloadZip(a, "rust-cli-1.0.0.zip")));
    // The same souk.lock the CLI writes (one writer in souk-pack): header, every package
    // pinned to the body and the key it was installed with, dependencies as `name version`.
    const lock = new TextDecoder().decode(zip["souk.lock"]);
    assert.match(lock, /^# souk\.lock: written by souk; do not edit\.\nversion = 1\n/);
    assert.match(
      lock,
      /name = "rust-cli"\nversion = "1\.0\.0"\nchecksum = "[0-9a-f]{64}"\npublisher = "[0-9a-f]{64}"\ndependencies = \["/,
    );
    assert.ok(zip["rust-cli/souk.toml"], "each pack in a folder of its name");
    await a.goto(`${url}#/installed`);
    await a.locator("#installed li", { hasText: "rust-cli" }).waitFor();
  });

  await step("use a pack as a template: the form, a refused answer, the project, the CLI's digest", async () => {
    await a.goto(`${url}#/pack/rust-cli`);
    await a.locator("#use-template").click();
    await a.locator("#generate-form").waitFor({ timeout: 30_000 });
    const answers = { name: "hello-cli", author: "Ada <ada@example.org>", year: "2026", description: "Says hello" };
    await a.locator("#var-name").fill(answers.name);
    await a.locator("#var-author").fill(answers.author);
    await a.locator("#var-year").fill(answers.year);
    await a.locator("#var-description").fill('a "quoted" line');
    await a.locator("#var-description-error", { hasText: "description: must match" }).waitFor();
    assert.equal(await a.locator("#var-description").getAttribute("aria-invalid"), "true");
    await a.locator("#var-description").fill(answers.description);
    await a.locator("#project-digest").waitFor();
    assert.equal(await a.locator("#var-description").getAttribute("aria-invalid"), "false");
    const digest = await a.locator("#project-digest").textContent();
    await a.screenshot({ path: join(shots, "generate.png"), fullPage: true });
    const zip = unzipSync(new Uint8Array(await downloadZip(a, "hello-cli.zip", "Download project")));
    const cargoToml = new TextDecoder().decode(zip["hello-cli/Cargo.toml"]);
    assert.match(cargoToml, /name = "hello-cli"\n/);
    assert.match(cargoToml, /description = "Says hello"/);
    // The zip's files hash to the digest shown (souk_pack::template::digest's rule)...
    const hash = createHash("sha256");
    for (const path of Object.keys(zip).sort()) {
      const bytes = zip[path];
      const length = Buffer.alloc(8);
      length.writeBigUInt64LE(BigInt(bytes.length));
      hash.update(path.slice("hello-cli/".length)).update(Buffer.from([0])).update(length).update(bytes);
    }
    assert.equal(hash.digest("hex"), digest);
    // ...and the CLI, given the same answers, makes the same project.
    const home = mkdtempSync(join(tmpdir(), "souk-cli-"));
    const set = Object.entries(answers).flatMap(([k, v]) => ["--set", `${k}=${v}`]);
    const printed = execFileSync(
      process.env.SOUK_CLI,
      ["new", "rust-cli", join(home, "hello-cli"), "--defaults", ...set, "--json", `--bootstrap=${process.env.SOUK_BOOTSTRAP}`],
      { env: { ...process.env, SOUK_HOME: home } },
    );
    assert.equal(JSON.parse(printed).digest, digest, "the tab and the CLI render the same bytes");
  });

  await step("a conflict is explained in words", async () => {
    const message = await a.evaluate(() => window.souk.install("open-source-starter", "^9").catch((e) => e.message));
    assert.match(message, /no version of open-source-starter matches \^9/);
  });

  await step("a tab closed while it starts and syncs reopens with a consistent IndexedDB", async () => {
    const { packs } = await a.evaluate(() => window.souk.stats());
    // One browser profile, closed at moments through the page's start: loading the module,
    // opening IndexedDB, joining the relay, syncing and storing the index.
    const profile = mkdtempSync(join(tmpdir(), "souk-tab-"));
    for (const after of [50, 200, 500, 1000, 2000]) {
      const context = await chromium.launchPersistentContext(profile, launch);
      const page = context.pages()[0] ?? (await context.newPage());
      page.goto(url).catch(() => {}); // cut short by the close
      await page.waitForTimeout(after);
      await context.close();
    }
    // Reopened: it comes online without an error, holds every pack once, and installs.
    const context = await chromium.launchPersistentContext(profile, launch);
    try {
      const page = await openPeer(context);
      let held;
      for (let i = 0; i < 100 && held !== packs; i++) {
        held = (await page.evaluate(() => window.souk.stats())).packs;
        if (held !== packs) await page.waitForTimeout(100);
      }
      assert.equal(held, packs, "the reopened tab holds what a tab that never closed does");
      const installed = await page.evaluate(() => window.souk.install("rust-cli").then((i) => i.packs.map((p) => p.name)));
      assert.ok(installed.includes("rust-cli"), `installed ${installed}`);
    } finally {
      await context.close();
    }
  });

  const b = await openPeer();
  const name = `e2e-pack-${Date.now()}`;

  await step("publish in one page, see it appear in the other and install it there", async () => {
    await b.locator("#query").fill(name);
    await b.locator("#status", { hasText: "0 packs" }).waitFor();
    await a.goto(`${url}#/publish`);
    const manifest = `[pack]\nname = "${name}"\nversion = "1.0.0"\ndescription = "Published from a page in the end-to-end test"\nlicense = "MIT"\ncategory = "testing"\n\n[dependencies]\neditorconfig = "1"\n`;
    await a.locator("#files").setInputFiles([
      { name: "souk.toml", mimeType: "text/plain", buffer: Buffer.from(manifest) },
      { name: "README.md", mimeType: "text/markdown", buffer: Buffer.from("# Made in a page\n") },
    ]);
    await a.locator("#published", { hasText: "Published" }).waitFor();
    await b.locator("#results li", { hasText: name }).waitFor({ timeout: 15_000 });
    await b.locator("#results a", { hasText: name }).click();
    await b.locator("#install").click();
    const zip = await downloadZip(b, `${name}-1.0.0.zip`);
    assert.ok(zip.includes(Buffer.from(`${name}/README.md`)), "the zip holds the pack's files");
  });

  await step("a broken manifest is refused next to the field", async () => {
    await a.goto(`${url}#/publish`);
    await a.locator("#files").setInputFiles([{ name: "souk.toml", mimeType: "text/plain", buffer: Buffer.from("[pack]\nname = \"x\"\n") }]);
    await a.locator("#publish-error").filter({ hasText: /\S/ }).waitFor();
  });

  await step("the network panel", async () => {
    await a.goto(`${url}#/network`);
    await a.locator("#peer-id").waitFor();
    await a.locator("tbody tr").first().waitFor();
    await a.waitForTimeout(2500); // a few samples for the chart
    await a.screenshot({ path: join(shots, "network.png"), fullPage: true });
  });

  await step("a phone-width search", async () => {
    await a.setViewportSize({ width: 390, height: 800 });
    await a.goto(`${url}#/`);
    await a.locator("#results li").first().waitFor();
    await a.screenshot({ path: join(shots, "search-phone.png"), fullPage: true });
  });
  await new Promise((done) => setTimeout(done, 1000)); // errors that arrive late still count
  check("the end");
  console.log(`page: ${steps.length} steps passed; screenshots in ${shots}`);
} finally {
  await browser.close();
}
