// The network panel: who this tab is, whom it reaches and how, and a live chart of what it
// does. `Activity` samples the peer every second from the start, so the chart has a past.
import { h, shortId } from "../dom.js";

const HISTORY = 60;

export class Activity {
  constructor() {
    /** One sample a second: { peers, operations, announcements }. */
    this.samples = [];
    this.announcements = 0;
    this.last = null;
    this.stats = null;
    this.listeners = new Set();
    this.onSample = null;
  }

  hear(event) {
    if (event.type === "announce") this.announcements += 1;
    for (const listener of this.listeners) listener(event);
  }

  sample(peer) {
    setInterval(async () => {
      const stats = await peer.stats();
      const total = stats.searches + stats.lookups + stats.installs;
      const operations = this.last === null ? 0 : total - this.last;
      this.last = total;
      this.stats = stats;
      this.samples.push({ peers: stats.peers, operations, announcements: this.announcements });
      this.announcements = 0;
      if (this.samples.length > HISTORY) this.samples.shift();
      this.onSample?.();
    }, 1000);
  }
}

export async function renderNetwork(root, app) {
  const connection = app.connection;
  const peers = h("tbody");
  const stats = h("dl", { className: "facts" });
  const chart = h("figure", { className: "chart" });
  const caught = h("ul", { id: "evidence" });

  async function refresh() {
    const list = await app.peer.peers();
    peers.replaceChildren(
      ...list.map((p) =>
        h(
          "tr",
          {},
          h("td", {}, h("code", { title: p.id }, shortId(p.id))),
          h("td", { title: p.address }, p.transport),
          h("td", {}, p.rttMs === null ? "…" : `${p.rttMs.toFixed(0)} ms`),
          h("td", {}, p.reputation.score.toFixed(2)),
        ),
      ),
    );
    const evidence = await app.peer.evidence();
    caught.replaceChildren(
      ...(evidence.length === 0
        ? [h("li", { className: "muted" }, "No peer has contradicted a head it signed.")]
        : evidence.map((e) => h("li", { className: "warning" }, h("code", { title: e.peer }, shortId(e.peer)), ` ${e.what}`))),
    );
    const s = app.activity.stats;
    if (s) {
      stats.replaceChildren(
        ...fact("Packs in the index", s.packs.toLocaleString()),
        ...fact("Searches", s.searches),
        ...fact("DHT lookups", s.lookups),
        ...fact("Installs", s.installs),
        ...fact("Lookup cache hit rate", `${(s.cacheHitRate * 100).toFixed(0)} %`),
        ...fact("Refused from peers", s.refused),
      );
    }
    chart.replaceChildren(drawChart(app.activity.samples), h("figcaption", {}, "Last minute: connected peers (line) and operations per second (bars)"));
  }

  root.append(
    h("h1", {}, "Network"),
    h(
      "dl",
      { className: "facts" },
      ...fact("This peer", h("code", { id: "peer-id" }, app.peer.id)),
      ...fact("Relay", connection ? h("code", {}, connection.relay) : app.joinError ?? "connecting…"),
      ...fact("Dialed over", connection?.transport ?? "…"),
      ...fact("Reservation", connection?.circuit ? "held: others reach this tab through the relay" : "none"),
      ...fact("Online", navigator.onLine ? "yes" : "no"),
    ),
    chart,
    h("h2", {}, "Connections"),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Peer"), h("th", {}, "Transport"), h("th", {}, "Ping"), h("th", {}, "Reputation"))), peers),
    h("h2", {}, "Activity"),
    stats,
    h("h2", {}, "Caught"),
    caught,
  );
  app.activity.onSample = () => {
    if (root.isConnected && location.hash.startsWith("#/network")) refresh();
  };
  await refresh();
}

function fact(term, value) {
  return [h("dt", {}, term), h("dd", {}, value)];
}

function drawChart(samples) {
  const width = 300;
  const height = 80;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Peers and operations over the last minute");
  const step = width / HISTORY;
  const top = Math.max(1, ...samples.map((s) => Math.max(s.peers, s.operations + s.announcements)));
  const y = (v) => height - 4 - (v / top) * (height - 8);
  samples.forEach((s, i) => {
    const bar = document.createElementNS(ns, "rect");
    const value = s.operations + s.announcements;
    bar.setAttribute("x", i * step);
    bar.setAttribute("y", y(value));
    bar.setAttribute("width", Math.max(1, step - 1));
    bar.setAttribute("height", height - 4 - y(value));
    bar.setAttribute("class", "bar");
    svg.append(bar);
  });
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", samples.map((s, i) => `${i * step + step / 2},${y(s.peers)}`).join(" "));
  line.setAttribute("class", "line");
  svg.append(line);
  return svg;
}
