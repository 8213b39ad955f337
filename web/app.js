// The page runs Souk's core in the tab: the wasm module holds the registry and searches it.
import init, { Registry } from "./pkg/souk_web.js";

const query = document.getElementById("query");
const status = document.getElementById("status");
const results = document.getElementById("results");

function render(registry) {
  const { total, hits } = registry.search(query.value, { limit: 50 });
  status.textContent = `${total} of ${registry.length} packs`;
  results.replaceChildren(
    ...hits.map((hit) => {
      const item = document.createElement("li");
      const name = document.createElement("strong");
      name.textContent = hit.name;
      const version = document.createElement("span");
      version.className = "version";
      version.textContent = hit.version;
      const description = document.createElement("p");
      description.textContent = hit.description;
      item.append(name, " ", version, description);
      return item;
    }),
  );
}

try {
  await init();
  const registry = Registry.demo();
  window.souk = { registry };
  query.addEventListener("input", () => render(registry));
  render(registry);
} catch (err) {
  status.textContent = `Souk could not start: ${err.message ?? err}`;
}
