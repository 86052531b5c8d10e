// The one DOM builder every view uses: element("p", { class: "x", text: "…" }, [children]).
// `undefined` / `false` attributes are left out, `true` sets a bare boolean attribute.
export function element(tag, attributes = {}, children = []) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (name === "text") el.textContent = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) el.append(child);
  return el;
}
