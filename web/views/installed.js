// The packs installed in this tab (kept in IndexedDB), each downloadable again as a zip.
import { downloadLink, h, zipInstall } from "../dom.js";
import { loadPacks } from "../packs.js";

export async function renderInstalled(root, app) {
  const installed = await app.peer.installed();
  root.append(h("h1", {}, "Installed"));
  if (installed.length === 0) {
    root.append(h("p", { className: "muted" }, "Nothing yet: open a pack and press Install."));
    return;
  }
  const packs = await loadPacks();
  root.append(
    h(
      "ul",
      { id: "installed", className: "results" },
      ...installed.map((item) =>
        h(
          "li",
          {},
          h("div", { className: "title" }, h("a", { href: `#/pack/${encodeURIComponent(item.name)}` }, item.name), " ", h("span", { className: "version" }, item.version)),
          h("p", { className: "meta" }, `${item.packs.length} packs: ${item.lockfile.map((p) => `${p.name} ${p.version}`).join(", ")}`),
          downloadLink(zipInstall(item, packs), `${item.name}-${item.version}.zip`, "Download zip"),
        ),
      ),
    ),
  );
}
