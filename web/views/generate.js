// "Use this template": a pack and its dependencies, installed as the Install button does
// (every body verified), rendered into a new project by the pack module, which the install
// loaded: a form built from the packs' variables (checked as the user types), the files it
// makes with their contents, its digest (what `souk new --json` prints for the same
// answers), and the project as a zip.
import { downloadLink, h } from "../dom.js";
import { loadPacks } from "../packs.js";
import { zipSync } from "../node_modules/fflate/esm/browser.js";


/** Shows the form for `installed` (what `peer.install` returned for `pack`) in `area`. */
export async function renderGenerate(area, pack, installed) {
  area.replaceChildren(h("p", { className: "muted" }, "Loading the generator…"));
  const gen = await loadPacks();
  const builtins = [
    { name: "name", help: "The project's name", value: `my-${pack.name}` },
    { name: "author", help: "Who the project is by", value: "The authors" },
    { name: "year", help: "The copyright year", value: String(new Date().getFullYear()) },
  ];
  const questions = gen.variables(installed);
  const fields = new Map();
  const form = h("form", { id: "generate-form", className: "generate", onsubmit: (e) => e.preventDefault() });
  for (const b of builtins) {
    const input = h("input", { id: `var-${b.name}`, name: b.name, value: b.value, type: b.name === "year" ? "number" : "text" });
    fields.set(b.name, { input, check: () => (input.value.trim() ? null : `${b.name}: must not be empty`) });
    form.append(field(b.name, b.help, input));
  }
  for (const q of questions) {
    const input = control(q);
    const check = () => {
      // Left blank, a question with a default takes it (shown as the placeholder).
      if (blank(input) && q.default !== null) return null;
      try {
        gen.readAnswer(q, value(input));
        return null;
      } catch (err) {
        return err.message;
      }
    };
    fields.set(q.name, { input, check, question: true });
    form.append(field(q.name, q.help, input));
  }
  const tree = h("div", { id: "project", "aria-live": "polite" });
  // Every control fires `input` as it changes (a checkbox and a list too); `change` would
  // fire again on leaving a field and replace the project under a click on its link.
  form.addEventListener("input", () => preview(gen, installed, fields, tree));
  area.replaceChildren(h("h2", {}, `A new project from ${pack.name} ${pack.version}`), form, tree);
  preview(gen, installed, fields, tree);
}

/** A form field: its label, help, input and the place its error shows. */
function field(name, help, input) {
  const error = h("span", { id: `var-${name}-error`, className: "error", role: "alert" });
  input.setAttribute("aria-describedby", `var-${name}-error`);
  return h("div", { className: "field" }, h("label", { for: input.id }, name), help ? h("span", { className: "muted" }, ` ${help}`) : "", input, error);
}

/** The input a question needs: a checkbox, a list of choices, a number or text. */
function control(q) {
  const id = `var-${q.name}`;
  const fallback = q.default ?? "";
  switch (q.type) {
    case "bool":
      return h("input", { id, name: q.name, type: "checkbox", checked: fallback === true });
    case "choice":
      return h("select", { id, name: q.name }, ...q.choices.map((c) => h("option", { value: c, selected: c === fallback }, c)));
    case "integer":
      return h("input", { id, name: q.name, type: "number", min: q.min ?? undefined, max: q.max ?? undefined });
    default:
      return h("input", { id, name: q.name, type: "text" });
  }
}

function value(input) {
  return input.type === "checkbox" ? String(input.checked) : input.value;
}

/** A text or number field left empty: its question takes its default. */
function blank(input) {
  return input.tagName === "INPUT" && input.type !== "checkbox" && input.value === "";
}

/** Checks every field (marking the bad ones), and when all hold, renders the project. */
function preview(gen, installed, fields, tree) {
  let valid = true;
  for (const [name, { input, check }] of fields) {
    const problem = check();
    input.setAttribute("aria-invalid", problem ? "true" : "false");
    document.getElementById(`var-${name}-error`).textContent = problem ?? "";
    valid &&= !problem;
  }
  if (!valid) {
    tree.replaceChildren(h("p", { className: "error" }, "Fix the marked answers to see the project."));
    return;
  }
  const given = {};
  for (const [name, { input, question }] of fields) if (question && !blank(input)) given[name] = value(input);
  const builtins = {
    name: fields.get("name").input.value.trim(),
    author: fields.get("author").input.value.trim(),
    year: Number(fields.get("year").input.value),
  };
  try {
    const project = gen.generate(installed, given, builtins);
    for (const [name, { input, question }] of fields) if (question && blank(input)) input.placeholder = String(project.answers[name]);
    const entries = Object.fromEntries(project.files.map((f) => [`${builtins.name}/${f.path}`, f.contents]));
    const zip = new Blob([zipSync(entries)], { type: "application/zip" });
    tree.replaceChildren(
      h("p", {}, `${project.files.length} files, digest `, h("code", { id: "project-digest" }, project.digest), " "),
      downloadLink(zip, `${builtins.name}.zip`, "Download project"),
      h(
        "ul",
        { className: "files" },
        ...project.files.map((f) => h("li", {}, h("details", {}, h("summary", {}, f.path), h("pre", {}, new TextDecoder().decode(f.contents))))),
      ),
    );
  } catch (err) {
    tree.replaceChildren(h("p", { className: "error", id: "project-error" }, err.message));
  }
}
