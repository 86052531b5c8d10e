// The console page: pick an operation, fill authentication and fields, watch the Request
// Preview follow every keystroke, send, and read the answer. State is one object; every
// change re-renders the preview from it.
//
// Two ways in. The console: any key typed under Authentication; a platform key gets a tenant
// picker. The customer portal: a portal link (`/#portal=<token>`) signs the page in as one
// tenant, with only what a tenant key may do and no Authentication fields at all.
import { errorMessage, send } from "./api.js";
import { forgetAuth, loadRememberedAuth, rememberAuth } from "./auth-store.js";
import { focusField, readField, renderFields, showFieldErrors } from "./form-fields.js";
import { followUpActions, offerCreatedId } from "./follow-ups.js";
import { EVENT_CATALOGUE, OPERATIONS, PUBLISHABLE_CATALOGUE, buildRequest, findOperation, operationsFor, setEventCatalogue } from "./operations.js";
import { forgetPortalToken, takePortalToken } from "./portal-session.js";
import { showEnding, showPortalHeader } from "./portal-view.js";
import { renderResponse } from "./response-view.js";
import { createPreviewPanel } from "./preview-panel.js";
import { createTenantPicker } from "./tenant-picker.js";
import { createWebhooksView } from "./webhooks-view.js";
import { createDrawer } from "./drawer.js";
import { createDeliveryDetails } from "./delivery-details.js";
import { createDeliveriesView } from "./deliveries-view.js";
import { createEventsView } from "./events-view.js";
import { fieldErrorsFromAnswer } from "./watch-requests.js";

// First of all, before anything can copy the URL: the portal token leaves the address bar.
const portalToken = takePortalToken();
// Nothing of the console shows until the server has confirmed the token (portal-view.js).
if (portalToken !== undefined) document.body.dataset.portal = "checking";

const $ = (id) => document.getElementById(id);
const form = $("request-form");
const operationSelect = $("operation");
const bearerInput = $("auth-bearer");
const apiKeyInput = $("auth-api-key");
const userTokenInput = $("auth-user-token");
const rememberBox = $("auth-remember");

const state = {
  /** "console", or "portal" while signed in by a portal link. */
  mode: portalToken === undefined ? "console" : "portal",
  /** The key's own description (GET /api/v1/api-keys/current); undefined while unknown. */
  caller: undefined,
  operations: OPERATIONS,
  operation: OPERATIONS[0],
  /** Raw field values per operation id, so switching back and forth keeps what was typed. */
  values: {},
  attemptedSend: false,
  sending: false,
  request: undefined,
  /** The last 400 answer's field errors per operation id, shown beside their fields until edited. */
  serverErrors: {},
};

const inPortal = () => state.mode === "portal";
// Two slots: the API key (Bearer or x-api-key) for surface A, the session token from Log in for
// surface B's traffic sources; neither overwrites the other.
const auth = () => (inPortal() ? { bearer: portalToken, apiKey: "", userToken: "" } : { bearer: bearerInput.value, apiKey: apiKeyInput.value, userToken: userTokenInput.value });
// The portal's token is short-lived and not the customer's to paste into code: snippets show
// the placeholder there, and the token is only sent.
const previewAuth = () => (inPortal() ? { bearer: "", apiKey: "", userToken: "" } : auth());
const hasKey = () => auth().bearer.trim() !== "" || auth().apiKey.trim() !== "";
const isPlatformCaller = () => !inPortal() && state.caller?.tenant_id === null;
const requestContext = () => (isPlatformCaller() ? { tenantId: tenants.value() } : {});
const valuesOf = (op) => (state.values[op.id] ??= {});
const preview = createPreviewPanel();

/** Sends a built request; in the portal, a refused token ends the session with a clear page. */
async function sendChecked(request) {
  const result = await send(request);
  if (inPortal() && "status" in result && result.status === 401) showEnding("expired");
  return result;
}

/** Sends one operation with the page's key and tenant (the Webhooks view, the tenant picker). */
const call = (operationId, values) => sendChecked(buildRequest(findOperation(operationId), values, auth(), location.origin, requestContext()));

function fillOperationPicker() {
  const groups = new Map();
  for (const op of state.operations) {
    if (!groups.has(op.group)) groups.set(op.group, Object.assign(document.createElement("optgroup"), { label: op.group }));
    groups.get(op.group).append(new Option(op.label, op.id));
  }
  operationSelect.replaceChildren(...groups.values());
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
  if (isPlatformCaller()) {
    for (const field of op.fields) if (field.pickedTenant && !values[field.name]) values[field.name] = tenants.value();
  }
  const params = op.fields.filter((f) => f.in !== "body");
  const body = op.fields.filter((f) => f.in === "body");
  renderFields($("params-fields"), params, values);
  renderFields($("body-fields"), body, values);
  $("params-group").hidden = params.length === 0;
  $("body-group").hidden = body.length === 0;
  showKeyGroups(op);
  update();
}

/** Authentication and the tenant picker, where the operation and the key use them. */
function showKeyGroups(op) {
  // x-api-key is only accepted by API-key routes; say so instead of silently ignoring it.
  apiKeyInput.disabled = op.auth !== "apiKey";
  $("auth-group").hidden = op.auth === "none" || inPortal();
  // Each operation shows the slot it sends: the API key, or the session token.
  for (const id of ["auth-bearer", "auth-api-key"]) $(id).closest(".field").hidden = op.auth === "user";
  $("auth-user-field").hidden = op.auth !== "user";
  $("tenant-group").hidden = !isPlatformCaller() || op.auth !== "apiKey";
}

function readValues() {
  const values = valuesOf(state.operation);
  const serverErrors = (state.serverErrors[state.operation.id] ??= {});
  for (const field of state.operation.fields) {
    const value = readField(form, field);
    // The server's word on a field stands until the field is changed.
    if (JSON.stringify(value) !== JSON.stringify(values[field.name] ?? value)) delete serverErrors[field.name];
    values[field.name] = value;
  }
  return values;
}

function update() {
  const values = readValues();
  state.request = buildRequest(state.operation, values, auth(), location.origin, requestContext());
  state.preview = inPortal() ? buildRequest(state.operation, values, previewAuth(), location.origin, requestContext()) : state.request;
  const shownErrors = { ...state.serverErrors[state.operation.id], ...state.request.errors };
  showFieldErrors(form, state.operation.fields, shownErrors, state.request.missing, state.attemptedSend);
  const problems = [
    ...Object.entries(state.request.errors).map(([name, message]) => `${name}: ${message}`),
    ...state.request.missing.map((name) => `${name} is required`),
  ];
  const line = $("send-problems");
  line.hidden = problems.length === 0 || !state.attemptedSend;
  line.textContent = problems.length ? `Cannot send yet — ${problems.join("; ")}.` : "";
  preview.show(state.preview);
}

function persistAuth() {
  if (rememberBox.checked) rememberAuth(auth());
  else forgetAuth();
}

/** After a login: its token goes into the session-token slot (the API key stays). */
function useToken(token) {
  userTokenInput.value = token;
  persistAuth();
  update();
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
  const result = await sendChecked(request);
  state.sending = false;
  button.disabled = false;
  section.setAttribute("aria-busy", "false");
  renderResponse($("response-body"), result, followUpActions(operation, result, useToken));
  state.serverErrors[operation.id] = fieldErrorsFromAnswer(operation, result);
  update();
  // A counter that only grows: lets tests (and scripts) tell a new answer from the last one.
  section.dataset.responses = String(Number(section.dataset.responses ?? "0") + 1);
  // A short line for screen readers; the body itself is not read out.
  $("response-announce").textContent = "status" in result ? `Response ${result.status} ${result.statusText} in ${result.ms} ms` : "The request failed";
  afterSuccess(operation, result);
}

function afterSuccess(operation, result) {
  if (!("status" in result) || result.status < 200 || result.status >= 300) return;
  offerCreatedId(operation, result, (operationId) => valuesOf(findOperation(operationId)));
  const changesWebhooks = operation.path.startsWith("/api/v1/links/webhooks") || operation.path.startsWith("/api/v1/deliveries") || operation.id === "publish-event";
  if (operation.method !== "GET" && changesWebhooks) refreshViews();
  if (operation.id === "put-event-type") loadChoices();
  if (operation.id === "logout") useToken("");
  if (operation.id === "put-tenant" || operation.id === "delete-tenant") tenants.load().then(() => webhooks.refresh());
}

/** Edit from a webhook card: the update form, filled with what the webhook holds now. */
function editWebhook(webhook) {
  const op = findOperation("update-webhook");
  state.values[op.id] = {
    id: webhook.id, url: webhook.url, events: [...(webhook.events ?? [])], secret: "",
    metadata: JSON.stringify(webhook.metadata ?? {}, null, 2), active: "",
    // Left empty when there is none: an update that does not name it keeps it.
    filter: webhook.filter ? JSON.stringify(webhook.filter, null, 2) : "",
    // Controls the webhook has are shown to be changed; empty ones are not sent.
    retry_schedule: webhook.retry_schedule == null ? "" : JSON.stringify(webhook.retry_schedule),
    timeout_ms: webhook.timeout_ms == null ? "" : String(webhook.timeout_ms),
    headers: webhook.headers == null ? "" : JSON.stringify(webhook.headers, null, 2),
    ordering: webhook.ordering ?? "", rate_limit: typeof webhook.rate_limit === "number" ? String(webhook.rate_limit) : "",
  };
  showOperation(op);
  form.scrollIntoView({ block: "start" });
  focusField(form, op.fields.find((f) => f.name === "url"));
}

const webhooks = createWebhooksView(
  { list: $("webhooks-list"), status: $("webhooks-status"), more: $("webhooks-more"), refresh: $("webhooks-refresh") },
  { call, hasKey, onEdit: editWebhook },
);
const tenants = createTenantPicker({ select: $("tenant"), status: $("tenant-status") }, call);
const drawer = createDrawer($("drawer"));
// After a retry from the drawer, the lists behind it (the cards' recent deliveries too) follow.
const deliveryDetails = createDeliveryDetails({ call, drawer, onChanged: () => { deliveries.refresh(); webhooks.refresh(); } });
const deliveries = createDeliveriesView({ section: $("deliveries"), details: deliveryDetails, drawerOpen: drawer.isOpen }, { call, hasKey });
const events = createEventsView({ section: $("events"), drawer, details: deliveryDetails }, { call, hasKey });

/** The filters' choices: the acting tenant's webhooks (first pages) and the event types. */
async function loadChoices() {
  if (!hasKey()) return;
  const [hooks, types] = await Promise.all([call("list-webhooks", { limit: "100" }), call("event-types", {})]);
  const webhookList = "status" in hooks && hooks.status === 200 && Array.isArray(hooks.json?.data) ? hooks.json.data : undefined;
  const typeInfo = "status" in types && types.status === 200 && Array.isArray(types.json?.data) ? types.json.data : undefined;
  const typeList = typeInfo?.map((t) => t.name);
  deliveries.setChoices({ webhooks: webhookList, eventTypes: typeList });
  if (typeList) events.setEventTypes(typeList);
  // Own event types join the subscribe and publish fields; the form is redrawn with its values.
  if (typeInfo && setEventCatalogue(typeInfo) && state.operation.fields.some((f) => f.kind === "events" || f.options === EVENT_CATALOGUE || f.options === PUBLISHABLE_CATALOGUE)) {
    readValues();
    showOperation(state.operation);
  }
}

/** Every view that lists the acting tenant's objects, after a change of key, tenant or data. */
function refreshViews() {
  webhooks.refresh();
  deliveries.refresh();
  events.refresh();
  loadChoices();
}

/** Offers the operations this caller may use, keeping the current one when it still is. */
function offerOperations(operations) {
  const same = operations.length === state.operations.length && operations.every((op, i) => op === state.operations[i]);
  state.operations = operations;
  if (!same) fillOperationPicker();
  if (!operations.includes(state.operation)) return showOperation(operations[0]);
  // The form stays as typed (the key is often entered between two fields).
  operationSelect.value = state.operation.id;
  showKeyGroups(state.operation);
  update();
}

/** What the Authentication fieldset says about the key once the server has described it. */
function describeCaller(caller) {
  if (!caller) return "";
  if (caller.tenant_id === null) return "Platform key: acts on every tenant (pick one below).";
  const tenant = caller.tenant_name ? `${caller.tenant_name} (${caller.tenant_id})` : caller.tenant_id;
  return `Tenant key of ${tenant}: its own webhooks and deliveries only${caller.can_publish ? ", and it may publish" : ""}.`;
}

let identifyGeneration = 0;
/** Asks the server who the typed key is, then offers what it may do and lists its webhooks. */
async function identifyConsoleKey() {
  const mine = ++identifyGeneration;
  let caller;
  let refused = false;
  if (hasKey()) {
    const result = await send(buildRequest(findOperation("current-api-key"), {}, auth(), location.origin));
    if (mine !== identifyGeneration) return;
    caller = "status" in result && result.status === 200 ? result.json?.data : undefined;
    refused = "status" in result && result.status === 401;
  }
  state.caller = caller;
  $("auth-scope").textContent = refused ? "The server refused this key (unknown, expired or revoked)." : describeCaller(caller);
  if (isPlatformCaller()) await tenants.load();
  if (mine !== identifyGeneration) return;
  offerOperations(operationsFor(caller));
  describeWebhooksScope();
  refreshViews();
}

/** Whose webhooks the list shows, once a platform key has picked a tenant. */
function describeWebhooksScope() {
  const picked = $("tenant").selectedOptions[0];
  $("webhooks-hint").textContent = isPlatformCaller() && picked
    ? `Webhooks of the tenant ${picked.textContent}, with their recent deliveries.`
    : "Link webhooks with their recent deliveries, using the key above.";
}

/** The portal link's token: confirmed by the server, or a full page saying why not. */
async function enterPortal() {
  const result = await send(buildRequest(findOperation("current-api-key"), {}, auth(), location.origin));
  if (!("status" in result)) return showEnding("unreachable", result.error);
  if (result.status === 401) return showEnding("expired");
  if (result.status !== 200) return showEnding("unreachable", errorMessage(result));
  const caller = result.json?.data;
  // A portal link always holds a tenant's token; anything else is not one.
  if (typeof caller?.tenant_id !== "string") return showEnding("expired");
  state.caller = caller;
  showPortalHeader(caller);
  offerOperations(operationsFor(caller));
  document.body.dataset.portal = "signed-in";
  refreshViews();
}

fillOperationPicker();
if (!inPortal()) {
  const remembered = loadRememberedAuth();
  if (remembered) {
    bearerInput.value = remembered.bearer;
    apiKeyInput.value = remembered.apiKey;
    userTokenInput.value = remembered.userToken;
    rememberBox.checked = true;
  }
}
showOperation(findOperation(new URLSearchParams(location.hash.slice(1)).get("op") ?? "") ?? OPERATIONS[0]);

operationSelect.addEventListener("change", () => showOperation(findOperation(operationSelect.value)));
form.addEventListener("input", (event) => {
  if (event.target === operationSelect) return;
  if (event.target === bearerInput || event.target === apiKeyInput || event.target === userTokenInput) persistAuth();
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
  userTokenInput.type = type;
});
$("tenant").addEventListener("change", () => {
  describeWebhooksScope();
  refreshViews();
});
$("portal-sign-out").addEventListener("click", () => {
  forgetPortalToken();
  showEnding("signed-out");
});
$("ended-retry").addEventListener("click", () => location.reload());

// A portal link pasted into a tab already showing the console changes only the fragment.
addEventListener("hashchange", () => {
  if (!new URLSearchParams(location.hash.slice(1)).has("portal")) return;
  takePortalToken();
  location.reload();
});

if (inPortal()) enterPortal();
else {
  // Lists webhooks (or explains that a key is needed) now, and again once a key is entered.
  identifyConsoleKey();
  for (const input of [bearerInput, apiKeyInput]) input.addEventListener("change", identifyConsoleKey);
}
