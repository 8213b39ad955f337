// Search as you type: filters, sorting, paging, the total, and the matched words marked.
import { h, highlight, queryWords } from "../dom.js";

const PAGE = 20;
/** Kept across visits, so going back to search finds it as it was left. */
const state = { query: "", sort: "relevance", tag: "", category: "", license: "", offset: 0 };

export async function renderSearch(root, app) {
  const status = h("p", { id: "status", role: "status", "aria-live": "polite" });
  const results = h("ol", { id: "results", className: "results" });
  const pager = h("nav", { className: "pager", "aria-label": "Pages" });
  let asked = 0;

  async function run() {
    const mine = ++asked;
    const options = { limit: PAGE, offset: state.offset, sort: state.sort };
    for (const key of ["tag", "category", "license"]) if (state[key].trim()) options[key] = state[key].trim();
    const { total, hits, fromNetwork } = await app.peer.search(state.query, options);
    if (mine !== asked) return; // a newer keystroke's answer is on its way
    const words = queryWords(state.query);
    const shown = hits.length ? `${state.offset + 1}–${state.offset + hits.length} of ` : "";
    status.textContent = `${shown}${total} pack${total === 1 ? "" : "s"}${fromNetwork ? " (from the network)" : ""}`;
    results.replaceChildren(...hits.map((hit) => result(hit, words)));
    pager.replaceChildren(
      h("button", { type: "button", disabled: state.offset === 0, onclick: () => page(-PAGE) }, "Previous"),
      h("button", { type: "button", disabled: state.offset + PAGE >= total, onclick: () => page(PAGE) }, "Next"),
    );
  }

  function page(delta) {
    state.offset = Math.max(0, state.offset + delta);
    run();
  }

  function field(key, label, attrs = {}) {
    const input = h("input", { id: key, value: state[key], autocomplete: "off", ...attrs });
    input.addEventListener("input", () => {
      state[key] = input.value;
      state.offset = 0;
      run();
    });
    return h("div", { className: "field" }, h("label", { for: key }, label), input);
  }

  const sort = h(
    "select",
    { id: "sort" },
    ...["relevance", "downloads", "stars", "newest"].map((s) => h("option", { value: s, selected: s === state.sort }, s)),
  );
  sort.addEventListener("change", () => {
    state.sort = sort.value;
    state.offset = 0;
    run();
  });

  root.append(
    h("h1", { className: "visually-hidden" }, "Search packs"),
    h(
      "form",
      { className: "search", role: "search", onsubmit: (e) => e.preventDefault() },
      field("query", "Search packs", { type: "search", placeholder: "rust, docker, licnse…", autofocus: true }),
      h(
        "div",
        { className: "filters" },
        field("tag", "Tag"),
        field("category", "Category"),
        field("license", "License"),
        h("div", { className: "field" }, h("label", { for: "sort" }, "Sort by"), sort),
      ),
    ),
    status,
    results,
    pager,
  );
  // A pack announced while the list is open shows up in it.
  app.onAnnounce = () => run();
  root.querySelector("#query").focus();
  await run();
}

function result(hit, words) {
  const link = h("a", { href: `#/pack/${encodeURIComponent(hit.name)}` }, ...highlight(hit.name, words));
  return h(
    "li",
    {},
    h("div", { className: "title" }, link, " ", h("span", { className: "version" }, hit.version)),
    h("p", {}, ...highlight(hit.description, words)),
    h(
      "p",
      { className: "meta" },
      ...hit.tags.map((t) => h("span", { className: "tag" }, t)),
      h("span", {}, `⬇ ${hit.downloads.toLocaleString()}`),
      h("span", {}, `★ ${hit.stars.toLocaleString()}`),
    ),
  );
}
