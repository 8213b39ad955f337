// Publish a pack from a folder (or files) holding its souk.toml: signed with this tab's key.
import { h } from "../dom.js";

export function renderPublish(root, app) {
  const error = h("p", { id: "publish-error", className: "error", role: "alert" });
  const done = h("div", { id: "published", "aria-live": "polite" });
  const folder = h("input", { id: "folder", type: "file", webkitdirectory: true, multiple: true });
  const files = h("input", { id: "files", type: "file", multiple: true });
  const drop = h("div", { className: "drop", tabindex: "0" }, "…or drop the folder's files here");

  async function publish(list) {
    error.textContent = "";
    done.replaceChildren();
    const chosen = [...list];
    const manifest = chosen.find((f) => f.name === "souk.toml");
    if (!manifest) {
      error.textContent = "No souk.toml among the files: a pack needs its manifest.";
      return;
    }
    // Paths are relative to the folder holding souk.toml.
    const base = (manifest.webkitRelativePath || manifest.name).slice(0, -"souk.toml".length);
    const contents = {};
    for (const file of chosen) {
      const path = (file.webkitRelativePath || file.name).slice(base.length);
      if (file !== manifest && path) contents[path] = new Uint8Array(await file.arrayBuffer());
    }
    try {
      const published = await app.peer.publish(await manifest.text(), contents);
      done.replaceChildren(
        h("p", { className: "ok" }, `Published ${published.name} ${published.version}, announced to the network. `),
        h("a", { href: `#/pack/${encodeURIComponent(published.name)}` }, "Open its page"),
      );
    } catch (err) {
      error.textContent = err.message;
    }
  }

  folder.addEventListener("change", () => publish(folder.files));
  files.addEventListener("change", () => publish(files.files));
  drop.addEventListener("dragover", (e) => e.preventDefault());
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    publish(e.dataTransfer.files);
  });

  root.append(
    h("h1", {}, "Publish a pack"),
    h("p", {}, "A pack is a folder with a ", h("code", {}, "souk.toml"), " and its template files. It is signed with this tab's key, which then owns the name."),
    h("div", { className: "field" }, h("label", { for: "folder" }, "Pick the pack's folder"), folder),
    h("div", { className: "field" }, h("label", { for: "files" }, "…or its files"), files),
    drop,
    error,
    done,
  );
}
