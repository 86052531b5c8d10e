// Renders an operation's fields as labelled form controls and reads their raw values back.
// Every control has a visible label, a description tied with aria-describedby, and an error
// line that stays empty until the value cannot be sent.
import { EVENT_CATALOGUE, initialValue } from "./operations.js";
import { element } from "./dom.js";

const fieldKey = (field) => `${field.in}:${field.name}`;
const blockOf = (container, field) => container.querySelector(`[data-field="${CSS.escape(fieldKey(field))}"]`);
const controlId = (field) => `field-${field.in}-${field.name}`.replace(/[^A-Za-z0-9_-]/g, "-");


function labelText(field) {
  const parts = [field.in === "header" ? element("code", { text: field.label }) : document.createTextNode(field.label)];
  // Visual only: controls carry aria-required, so the accessible name stays the field's name.
  if (field.required) parts.push(element("span", { class: "required", text: "required", "aria-hidden": "true" }));
  else parts.push(element("span", { class: "optional", text: "optional", "aria-hidden": "true" }));
  return parts;
}

function selectControl(id, field, value, options) {
  const select = element("select", { id, name: field.name });
  for (const [optionValue, text] of options) {
    const option = element("option", { value: optionValue, text });
    if (optionValue === value) option.selected = true;
    select.append(option);
  }
  return select;
}

function eventsControl(id, field, selected, hintId, errorId) {
  const group = element("fieldset", { class: "events", id, "aria-describedby": `${hintId} ${errorId}` }, [
    element("legend", {}, labelText(field)),
  ]);
  const grid = element("div", { class: "events-grid" });
  for (const event of EVENT_CATALOGUE) {
    const box = element("input", { type: "checkbox", name: field.name, value: event, id: `${id}-${event.replace(".", "-")}` });
    box.checked = selected.includes(event);
    grid.append(element("label", { class: "event-option" }, [box, element("code", { text: event })]));
  }
  group.append(grid);
  return group;
}

/** One field: label, control, description and error line. */
function fieldBlock(field, value) {
  const id = controlId(field);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const block = element("div", { class: `field field-${field.kind}`, "data-field": fieldKey(field) });
  const describedBy = `${hintId} ${errorId}`;
  let control;
  switch (field.kind) {
    case "events":
      control = eventsControl(id, field, value, hintId, errorId);
      break;
    case "select":
      control = selectControl(id, field, value, [...(field.required ? [] : [["", "—"]]), ...field.options.map((o) => [o, o])]);
      break;
    case "boolean":
      control = selectControl(id, field, value, [["", "—"], ["true", "true"], ["false", "false"]]);
      break;
    case "json":
      control = element("textarea", { id, name: field.name, rows: "5", spellcheck: "false", autocomplete: "off", class: "json-editor", placeholder: field.placeholder });
      control.value = value;
      break;
    default: {
      const type = { url: "url", email: "email", password: "password", integer: "text" }[field.kind] ?? "text";
      control = element("input", {
        id, name: field.name, type, spellcheck: "false", autocomplete: field.kind === "password" ? "current-password" : "off",
        inputmode: field.kind === "integer" ? "numeric" : undefined, placeholder: field.placeholder,
      });
      control.value = value;
    }
  }
  if (field.kind !== "events") {
    control.setAttribute("aria-describedby", describedBy);
    if (field.required) control.setAttribute("aria-required", "true");
    block.append(element("label", { for: id }, labelText(field)));
  }
  block.append(control);
  block.append(element("p", { class: "hint", id: hintId, text: field.description }));
  block.append(element("p", { class: "error-text", id: errorId, hidden: true }));
  return block;
}

/** Replaces the container's content with the given fields, showing `values`. */
export function renderFields(container, fields, values) {
  container.replaceChildren(...fields.map((field) => fieldBlock(field, values[field.name] ?? initialValue(field))));
}

/** Reads the raw value of one field from the form: a string, or the ticked events. */
export function readField(container, field) {
  const block = blockOf(container, field);
  if (!block) return initialValue(field);
  if (field.kind === "events") return [...block.querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value);
  return block.querySelector("input, select, textarea").value;
}

/** Shows or clears each field's inline error; `errors` maps field name to message. */
export function showFieldErrors(container, fields, errors, missing, showMissing) {
  for (const field of fields) {
    const block = blockOf(container, field);
    if (!block) continue;
    const message = errors[field.name] ?? (showMissing && missing.includes(field.name) ? "Required to build the URL" : "");
    const line = block.querySelector(".error-text");
    line.textContent = message;
    line.hidden = message === "";
    const control = field.kind === "events" ? block.querySelector("fieldset") : block.querySelector("input, select, textarea");
    if (message) control.setAttribute("aria-invalid", "true");
    else control.removeAttribute("aria-invalid");
  }
}

/** The control to focus when a field needs attention. */
export function focusField(container, field) {
  blockOf(container, field)?.querySelector("input, select, textarea")?.focus();
}
