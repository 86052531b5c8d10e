// The console page: pick an operation, fill authentication and fields, watch the Request
// Preview follow every keystroke, send, and read the answer. State is one object; every
// change re-renders the preview from it.
import { send } from "./api.js";
import { forgetAuth, loadRememberedAuth, rememberAuth } from "./auth-store.js";
import { focusField, readField, renderFields, showFieldErrors } from "./form-fields.js";
import { OPERATIONS, buildRequest, findOperation } from "./operations.js";
import { renderResponse } from "./response-view.js";
import { LANGUAGES, snippet } from "./snippets.js";
import { createWebhooksView } from "./webhooks-view.js";

const $ = (id) => document.getElementById(id);
const form = $("request-form");
const operationSelect = $("operation");
const bearerInput = $("auth-bearer");
const apiKeyInput = $("auth-api-key");
const rememberBox = $("auth-remember");

const state = {
  operation: OPERATIONS[0],
  /** Raw field values per operation id, so switching back and forth keeps what was typed. */
  values: {},
  language: "curl",
  attemptedSend: false,
  sending: false,
  request: undefined,
};

const auth = () => ({ bearer: bearerInput.value, apiKey: apiKeyInput.value });
const valuesOf = (op) => (state.values[op.id] ??= {});

function fillOperationPicker() {
  const groups = new Map();
  for (const op of OPERATIONS) {
    if (!groups.has(op.group)) groups.set(op.group, Object.assign(document.createElement("optgroup"), { label: op.group }));
    groups.get(op.group).append(new Option(op.label, op.id));
  }
  operationSelect.append(...groups.values());
}

function fillTabs() {
  const tablist = $("snippet-tabs");
  for (const { id, label } of LANGUAGES) {
    const tab = document.createElement("button");
    Object.assign(tab, { type: "button", id: `tab-${id}`, textContent: label });
    tab.setAttribute("role", "tab");
    tab.setAttribute("aria-controls", "snippet-panel");
    tab.dataset.language = id;
    tab.addEventListener("click", () => selectLanguage(id));
    tablist.append(tab);
  }
  // Arrow keys move between tabs (WAI-ARIA tabs pattern, automatic activation).
  tablist.addEventListener("keydown", (event) => {
    const index = LANGUAGES.findIndex((l) => l.id === state.language);
    const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: LANGUAGES.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = LANGUAGES[(moves[event.key] + LANGUAGES.length) % LANGUAGES.length].id;
    selectLanguage(next);
    $(`tab-${next}`).focus();
  });
}

function selectLanguage(language) {
  state.language = language;
  for (const tab of $("snippet-tabs").children) {
    const selected = tab.dataset.language === language;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
  $("snippet-panel").setAttribute("aria-labelledby", `tab-${language}`);
  renderPreview();
}

function showOperation(op) {
  state.operation = op;
  state.attemptedSend = false;
  operationSelect.value = op.id;
  $("op-method").textContent = op.method;
  $("op-method").className = `method method-${op.method.toLowerCase()}`;
  $("op-path").textContent = op.path;
  $("op-description").textContent = op.description;
  const values = valuesOf(op);
  const params = op.fields.filter((f) => f.in !== "body");
  const body = op.fields.filter((f) => f.in === "body");
  renderFields($("params-fields"), params, values);
  renderFields($("body-fields"), body, values);
  $("params-group").hidden = params.length === 0;
  $("body-group").hidden = body.length === 0;
  // x-api-key is only accepted by API-key routes; say so instead of silently ignoring it.
  apiKeyInput.disabled = op.auth !== "apiKey";
  $("auth-group").hidden = op.auth === "none";
  update();
}

function readValues() {
  const values = valuesOf(state.operation);
  for (const field of state.operation.fields) values[field.name] = readField(form, field);
  return values;
}

function update() {
  state.request = buildRequest(state.operation, readValues(), auth(), location.origin);
  showFieldErrors(form, state.operation.fields, state.request.errors, state.request.missing, state.attemptedSend);
  const problems = [
    ...Object.entries(state.request.errors).map(([name, message]) => `${name}: ${message}`),
    ...state.request.missing.map((name) => `${name} is required`),
  ];
  const line = $("send-problems");
  line.hidden = problems.length === 0 || !state.attemptedSend;
  line.textContent = problems.length ? `Cannot send yet — ${problems.join("; ")}.` : "";
  renderPreview();
}

function renderPreview() {
  if (!state.request) return;
  $("snippet-code").textContent = snippet(state.language, state.request);
}

function persistAuth() {
  if (rememberBox.checked) rememberAuth(auth());
  else forgetAuth();
}

async function sendRequest() {
  if (state.sending) return; // Enter pressed again while waiting
  update();
  state.attemptedSend = true;
  const { request, operation } = state;
  const blocking = [...Object.keys(request.errors), ...request.missing];
  if (blocking.length) {
    update();
    focusField(form, operation.fields.find((f) => f.name === blocking[0]));
    return;
  }
  const button = $("send");
  const section = $("response-section");
  state.sending = true;
  button.disabled = true;
  section.setAttribute("aria-busy", "true");
  const result = await send(request);
  state.sending = false;
  button.disabled = false;
  section.setAttribute("aria-busy", "false");
  renderResponse($("response-body"), result, followUpActions(operation, result));
  // A counter that only grows: lets tests (and scripts) tell a new answer from the last one.
  section.dataset.responses = String(Number(section.dataset.responses ?? "0") + 1);
  // A short line for screen readers; the body itself is not read out.
  $("response-announce").textContent = "status" in result ? `Response ${result.status} ${result.statusText} in ${result.ms} ms` : "The request failed";
  afterSuccess(operation, result);
}

/** Buttons offered with an answer, e.g. using the token a login returned. */
function followUpActions(operation, result) {
  const token = result.json?.token ?? result.json?.data?.token;
  if (operation.id !== "login" || typeof token !== "string") return [];
  const use = Object.assign(document.createElement("button"), { type: "button", className: "secondary", textContent: "Use this token as the Bearer token" });
  use.addEventListener("click", () => {
    bearerInput.value = token;
    persistAuth();
    update();
    use.textContent = "Bearer token set";
  });
  return [use];
}

// Where a created object's id is needed next: operation → [operation, field] pairs.
const webhookIdUsers = ["get-webhook", "update-webhook", "delete-webhook", "webhook-secret", "rotate-secret", "test-webhook", "list-deliveries", "recover-deliveries"];
const ID_FOLLOW_UPS = {
  "create-webhook": webhookIdUsers.map((id) => [id, "id"]),
  "create-traffic-source": [["create-traffic-webhook", "trafficSourceId"], ["list-traffic-webhooks", "trafficSourceId"], ["raise-alert", "id"]],
};

function afterSuccess(operation, result) {
  if (!("status" in result) || result.status < 200 || result.status >= 300) return;
  const created = result.json?.data?.id ?? result.json?.id;
  // Offer the new id where the next operations' field is still empty.
  if (typeof created === "string") {
    for (const [operationId, fieldName] of ID_FOLLOW_UPS[operation.id] ?? []) {
      const values = valuesOf(findOperation(operationId));
      if (!values[fieldName]) values[fieldName] = created;
    }
  }
  const changesWebhooks = operation.path.startsWith("/api/v1/links/webhooks") || operation.path.startsWith("/api/v1/deliveries") || operation.id === "publish-event";
  if (operation.method !== "GET" && changesWebhooks) webhooks.refresh();
}

async function copySnippet() {
  const text = $("snippet-code").textContent;
  const status = $("copy-status");
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = "Copied to the clipboard.";
  } catch {
    // No clipboard permission (e.g. plain http on another host): select it for Ctrl+C.
    const range = document.createRange();
    range.selectNodeContents($("snippet-code"));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    status.textContent = "Selected; press Ctrl+C to copy.";
  }
  $("copy-snippet").textContent = "Copied";
  setTimeout(() => ($("copy-snippet").textContent = "Copy"), 1500);
}

const webhooks = createWebhooksView(
  { list: $("webhooks-list"), status: $("webhooks-status"), more: $("webhooks-more"), refresh: $("webhooks-refresh") },
  auth,
);

fillOperationPicker();
fillTabs();
const remembered = loadRememberedAuth();
if (remembered) {
  bearerInput.value = remembered.bearer;
  apiKeyInput.value = remembered.apiKey;
  rememberBox.checked = true;
}
selectLanguage(state.language);
showOperation(findOperation(new URLSearchParams(location.hash.slice(1)).get("op") ?? "") ?? OPERATIONS[0]);

operationSelect.addEventListener("change", () => showOperation(findOperation(operationSelect.value)));
form.addEventListener("input", (event) => {
  if (event.target === operationSelect) return;
  if (event.target === bearerInput || event.target === apiKeyInput) persistAuth();
  update();
});
form.addEventListener("change", (event) => {
  if (event.target === rememberBox) persistAuth();
  else if (event.target !== operationSelect) update();
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  sendRequest();
});
// Enter in a textarea adds a line, so Ctrl/Cmd+Enter sends from anywhere.
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    sendRequest();
  }
});
$("auth-show").addEventListener("change", (event) => {
  const type = event.target.checked ? "text" : "password";
  bearerInput.type = type;
  apiKeyInput.type = type;
});
$("copy-snippet").addEventListener("click", copySnippet);
// Lists webhooks (or explains that a key is needed) now, and again once a key is entered.
webhooks.refresh();
for (const input of [bearerInput, apiKeyInput]) input.addEventListener("change", () => webhooks.refresh());
