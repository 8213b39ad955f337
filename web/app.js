// The page is a Souk peer: the wasm module runs a libp2p node in this tab, keeps the index
// and installed packs in IndexedDB, and joins the network through the relay that served
// the page. Views render into <main> by the URL's hash.
import init, { SoukPeer } from "./pkg/souk_web.js";
import { loadPacks } from "./packs.js";
import { renderSearch } from "./views/search.js";
import { renderPack } from "./views/pack.js";
import { renderInstalled } from "./views/installed.js";
import { renderPublish } from "./views/publish.js";
import { renderNetwork, Activity } from "./views/network.js";

const view = document.getElementById("view");
const badge = document.getElementById("badge");

/** What every view may use: the peer, its join state, and a way to hear announcements. */
const app = {
  peer: null,
  connection: null,
  joinError: null,
  activity: new Activity(),
  onAnnounce: null,
};

function setBadge() {
  const online = app.connection && navigator.onLine;
  badge.textContent = online ? "online" : app.joinError ? "offline" : "connecting…";
  badge.className = `badge ${online ? "online" : app.joinError ? "offline" : ""}`;
  badge.title = app.joinError ?? app.connection?.relay ?? "";
}

async function route() {
  const [, section, ...rest] = location.hash.replace(/^#/, "").split("/");
  const params = rest.map(decodeURIComponent);
  view.replaceChildren();
  app.onAnnounce = null;
  try {
    switch (section) {
      case "pack":
        await renderPack(view, app, params[0], params[1]);
        break;
      case "installed":
        await renderInstalled(view, app);
        break;
      case "publish":
        renderPublish(view, app);
        break;
      case "network":
        await renderNetwork(view, app);
        break;
      default:
        await renderSearch(view, app);
    }
  } catch (err) {
    const p = document.createElement("p");
    p.className = "error";
    p.textContent = err.message ?? String(err);
    view.append(p);
  }
  for (const link of document.querySelectorAll("nav a")) {
    const current = link.getAttribute("href") === `#/${section ?? ""}`;
    link.toggleAttribute("aria-current", current);
  }
}

try {
  await init();
  app.peer = await SoukPeer.start({ bootstrap: new URL("bootstrap", location.href).href, packs: loadPacks });
  window.souk = app.peer;
  app.peer.on((event) => {
    app.activity.hear(event);
    if (event.type === "announce") app.onAnnounce?.(event);
    if (event.type === "connected" || event.type === "disconnected") setBadge();
  });
  app.peer
    .connected()
    .then((connection) => (app.connection = connection))
    .catch((err) => (app.joinError = err.message))
    .finally(setBadge);
  addEventListener("online", setBadge);
  addEventListener("offline", setBadge);
  addEventListener("hashchange", route);
  app.activity.sample(app.peer);
  await route();
} catch (err) {
  view.replaceChildren(Object.assign(document.createElement("p"), {
    className: "error",
    textContent: `Souk could not start: ${err.message ?? err}`,
  }));
}
