// A pack's page: versions, readme, metadata, dependencies both ways, the resolved tree,
// who provides it, the install button, and "Use this template".
import { downloadLink, formatBytes, h, shortId, zipInstall } from "../dom.js";
import { loadPacks } from "../packs.js";
import { renderGenerate } from "./generate.js";

export async function renderPack(root, app, name, wanted) {
  const versions = await app.peer.info(name);
  if (versions.length === 0) {
    root.append(h("h1", {}, name), h("p", { className: "error" }, `No pack called ${name} is known to this peer.`));
    return;
  }
  const pack = versions.find((v) => v.version === wanted) ?? versions[0];
  const picker = h(
    "select",
    { id: "version" },
    ...versions.map((v) =>
      h("option", { value: v.version, selected: v.version === pack.version }, v.yanked ? `${v.version} (yanked)` : v.version),
    ),
  );
  picker.addEventListener("change", () => (location.hash = `#/pack/${encodeURIComponent(name)}/${picker.value}`));

  const installArea = h("div", { className: "install", "aria-live": "polite" });
  const install = h("button", { type: "button", id: "install", onclick: () => installPack(app, pack, installArea) }, "Install");
  const generateArea = h("section", { className: "generate-area", "aria-live": "polite" });
  const useTemplate = h(
    "button",
    { type: "button", id: "use-template", onclick: () => useAsTemplate(app, pack, generateArea) },
    "Use this template",
  );
  const readme = h("section", { className: "readme" }, h("h2", {}, "Readme"), h("p", { className: "muted" }, "Fetching the pack…"));
  const tree = h("section", {}, h("h2", {}, "Dependency tree"), h("p", { className: "muted" }, "Resolving…"));
  const dependents = h("section", {}, h("h2", {}, "Dependents"));
  const providers = h("section", {}, h("h2", {}, "Provided by"), h("p", { className: "muted" }, "Asking the DHT…"));

  const lookalike = h("p", { className: "warning", id: "lookalike", hidden: true });
  app.peer.lookalike(pack.name).then((popular) => {
    if (popular) {
      lookalike.textContent = `${pack.name} is one edit from the popular pack ${popular}: make sure this is the one you want.`;
      lookalike.hidden = false;
    }
  });
  root.append(
    h(
      "div",
      { className: "pack-head" },
      h("h1", {}, pack.name),
      h("label", { for: "version", className: "visually-hidden" }, "Version"),
      picker,
      install,
      useTemplate,
    ),
    lookalike,
    pack.yanked
      ? h("p", { className: "warning", id: "yanked" }, `${pack.name} ${pack.version} is yanked by its owners: new installs skip it.`)
      : "",
    h("p", { className: "lead" }, pack.description),
    installArea,
    generateArea,
    h(
      "dl",
      { className: "facts" },
      fact("License", pack.license),
      fact("Category", pack.category),
      fact("Tags", pack.tags.join(", ") || "none"),
      fact("Authors", pack.authors.join(", ") || "unknown"),
      fact("Downloads", pack.downloads.toLocaleString()),
      fact("Stars", pack.stars.toLocaleString()),
      fact("Published", pack.published ? new Date(pack.published * 1000).toLocaleDateString() : "unknown"),
      fact("Publisher key", pack.publisher ? h("code", { title: pack.publisher }, shortId(pack.publisher)) : "none"),
      fact("Content hash", pack.contentHash ? h("code", { title: pack.contentHash }, shortId(pack.contentHash)) : "none"),
    ),
    h(
      "section",
      {},
      h("h2", {}, "Dependencies"),
      pack.dependencies.length
        ? h("ul", {}, ...pack.dependencies.map((d) => h("li", {}, packLink(d.name), ` ${d.req}`)))
        : h("p", { className: "muted" }, "None."),
    ),
    tree,
    dependents,
    readme,
    providers,
  );

  // Each part fills in as its answer comes; none waits for another.
  app.peer
    .resolve(pack.name, `=${pack.version}`)
    .then((lock) => tree.replaceChildren(h("h2", {}, "Dependency tree"), h("ul", { className: "tree" }, treeOf(pack.name, lock, new Set()))))
    .catch((err) => tree.append(h("p", { className: "error" }, err.message)));
  app.peer.dependents(pack.name).then((list) =>
    dependents.append(
      list.length ? h("ul", {}, ...list.map((d) => h("li", {}, packLink(d.name), ` ${d.version}`))) : h("p", { className: "muted" }, "None yet."),
    ),
  );
  if (pack.contentHash) {
    app.peer
      .files(pack.contentHash)
      .then((files) => {
        const file = files.find((f) => /^readme(\.md|\.txt)?$/i.test(f.path));
        const text = file ? h("pre", {}, new TextDecoder().decode(file.contents)) : h("p", { className: "muted" }, "This pack has no readme.");
        const list = h("p", { className: "muted" }, `Files: ${files.map((f) => f.path).join(", ")}`);
        readme.replaceChildren(h("h2", {}, "Readme"), text, list);
      })
      .catch((err) => readme.replaceChildren(h("h2", {}, "Readme"), h("p", { className: "error" }, err.message)));
    app.peer
      .providers(pack.contentHash)
      .then(async (ids) => {
        const rows = await Promise.all(ids.map(async (id) => [id, await app.peer.reputation(id)]));
        providers.replaceChildren(
          h("h2", {}, "Provided by"),
          rows.length
            ? h(
                "ul",
                {},
                ...rows.map(([id, r]) => h("li", {}, h("code", { title: id }, shortId(id)), ` reputation ${r.score.toFixed(2)} (${r.successes} served, ${r.failures} failed)`)),
              )
            : h("p", { className: "muted" }, "No peer provides it right now."),
        );
      })
      .catch((err) => providers.append(h("p", { className: "error" }, err.message)));
  }
}

function fact(term, value) {
  return [h("dt", {}, term), h("dd", {}, value)];
}

function packLink(name) {
  return h("a", { href: `#/pack/${encodeURIComponent(name)}` }, name);
}

/** The resolved packages as a nested list from `name`, each package expanded once. */
function treeOf(name, lock, seen) {
  const entry = lock.find((p) => p.name === name);
  if (!entry) return h("li", {}, name);
  const label = [packLink(entry.name), ` ${entry.version}`];
  if (seen.has(name)) return h("li", {}, ...label, h("span", { className: "muted" }, " (above)"));
  seen.add(name);
  const children = entry.dependencies.map((d) => d.split(" ")[0]);
  return h("li", {}, ...label, children.length ? h("ul", {}, ...children.map((c) => treeOf(c, lock, seen))) : null);
}

/** Resolves, fetches with progress, keeps it, and offers the zip. */
async function installPack(app, pack, area) {
  try {
    const installed = await fetchPack(app, pack, area);
    const bytes = installed.packs.flatMap((p) => p.files).reduce((n, f) => n + f.contents.length, 0);
    area.replaceChildren(
      h("span", { className: "ok" }, `Installed ${pack.name} ${pack.version} with ${installed.packs.length - 1} dependencies (${formatBytes(bytes)}), every body checked. `),
      downloadLink(zipInstall(installed, await loadPacks()), `${pack.name}-${pack.version}.zip`, "Download zip"),
    );
  } catch (err) {
    area.replaceChildren(h("p", { className: "error" }, err.message));
  }
}

/** Installs the pack as Install does, then offers the form that makes a project of it. */
async function useAsTemplate(app, pack, area) {
  try {
    await renderGenerate(area, pack, await fetchPack(app, pack, area));
  } catch (err) {
    area.replaceChildren(h("p", { className: "error" }, err.message));
  }
}

/** Resolves and fetches `pack` with what it depends on, showing progress in `area`. */
async function fetchPack(app, pack, area) {
  const progress = h("progress", { max: 1, value: 0 });
  const label = h("span", {}, "Resolving…");
  area.replaceChildren(label, " ", progress);
  const listener = (event) => {
    if (event.type !== "progress" || event.name !== pack.name) return;
    progress.max = event.total;
    progress.value = event.done;
    label.textContent =
      event.done < event.total ? `Fetching ${event.done + 1} of ${event.total} (${formatBytes(event.bytes)} so far)…` : "Verified; unpacking…";
  };
  app.activity.listeners.add(listener);
  try {
    return await app.peer.install(pack.name, `=${pack.version}`);
  } finally {
    app.activity.listeners.delete(listener);
  }
}
