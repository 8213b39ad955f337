// Small DOM helpers: elements built from data (never from HTML strings), highlighting, zips.
import { zipSync } from "./node_modules/fflate/esm/browser.js";
import { queryTerms } from "./pkg/souk_web.js";

/** `<tag attrs>children</tag>`; attributes starting with "on" become listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "className") el.className = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** The words of a query, as search matches them: the core's own tokenizer. */
export function queryWords(query) {
  return queryTerms(query);
}

/** `text` with each word that starts with one of `words` wrapped in <mark>. */
export function highlight(text, words) {
  if (words.length === 0) return [text];
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(${escaped.join("|")})`, "giu");
  const out = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    out.push(text.slice(last, match.index), h("mark", {}, match[0]));
    last = match.index + match[0].length;
  }
  out.push(text.slice(last));
  return out;
}

export function shortId(id) {
  return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id;
}

export function formatBytes(n) {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;
}

/**
 * An installed pack and its dependencies as one zip: a folder per pack, and souk.lock
 * (written by `packs`, the pack module, as the CLI writes it).
 */
export function zipInstall(installed, packs) {
  const entries = {};
  for (const pack of installed.packs) {
    for (const file of pack.files) entries[`${pack.name}/${file.path}`] = file.contents;
  }
  entries["souk.lock"] = new TextEncoder().encode(packs.soukLock(installed.lockfile));
  return new Blob([zipSync(entries)], { type: "application/zip" });
}

/** A link that downloads `blob` as `name`. */
export function downloadLink(blob, name, label) {
  return h("a", { className: "button", href: URL.createObjectURL(blob), download: name }, label);
}
