// The Webhooks section: the acting tenant's link webhooks with their recent deliveries, a
// retry button per delivery and the actions of webhook-actions.js per webhook. Requests are
// built by operations.js like every other console request, through the console's `call`.
import { errorMessage } from "./api.js";
import { element } from "./dom.js";
import { webhookActions } from "./webhook-actions.js";

const RECENT_DELIVERIES = 5;


function formatTime(iso) {
  if (typeof iso !== "string") return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** The last attempt's HTTP status, else its error, shortened for the table. */
function lastResult(delivery) {
  if (typeof delivery.last_status_code === "number") return `HTTP ${delivery.last_status_code}`;
  if (typeof delivery.last_error === "string" && delivery.last_error !== "") {
    return delivery.last_error.length > 40 ? `${delivery.last_error.slice(0, 39)}…` : delivery.last_error;
  }
  return "—";
}

/**
 * The webhook's own delivery controls, those it has. Header values may be credentials: the card
 * names the headers only (Edit shows the values, as the API does).
 */
function controlFacts(webhook) {
  const facts = [];
  if (Array.isArray(webhook.retry_schedule)) {
    const text = webhook.retry_schedule.length === 0 ? "no retries" : webhook.retry_schedule.map((s) => `${s} s`).join(", ");
    facts.push(element("dt", { text: "retry schedule" }), element("dd", { text }));
  }
  if (typeof webhook.timeout_ms === "number") facts.push(element("dt", { text: "timeout" }), element("dd", { text: `${webhook.timeout_ms} ms` }));
  if (webhook.headers && typeof webhook.headers === "object") {
    facts.push(element("dt", { text: "headers" }), element("dd", {}, Object.keys(webhook.headers).map((name) => element("code", { class: "chip", text: name }))));
  }
  return facts;
}

/**
 * @param {{list: HTMLElement, status: HTMLElement, more: HTMLButtonElement, refresh: HTMLButtonElement}} dom
 * @param {{call: (operationId: string, values: object) => Promise<any>, hasKey: () => boolean,
 *   onEdit: (webhook: object) => void}} hooks call sends an operation with the console's key and tenant
 */
export function createWebhooksView(dom, { call, hasKey, onEdit }) {
  let nextCursor = null;
  // Loads started earlier (another key or tenant) must not overwrite a newer list.
  let generation = 0;

  async function loadDeliveries(webhookId, target) {
    target.replaceChildren(element("p", { class: "hint", text: "Loading deliveries…" }));
    const result = await call("list-deliveries", { id: webhookId, limit: String(RECENT_DELIVERIES) });
    if ("status" in result && result.status === 404) {
      target.replaceChildren(element("p", { class: "hint", text: "No delivery log is available for this webhook on this server." }));
      return;
    }
    if (!("status" in result) || result.status !== 200 || !Array.isArray(result.json?.data)) {
      target.replaceChildren(element("p", { class: "error-text", text: `Could not load deliveries: ${errorMessage(result)}` }));
      return;
    }
    const deliveries = result.json.data;
    if (deliveries.length === 0) {
      target.replaceChildren(element("p", { class: "hint", text: "No deliveries yet." }));
      return;
    }
    const rows = deliveries.map((d) => deliveryRow(d, webhookId, target));
    const table = element("table", { class: "deliveries" }, [
      element("caption", { class: "visually-hidden", text: `Recent deliveries of ${webhookId}` }),
      element("thead", {}, [element("tr", {}, ["Delivery", "Event", "Status", "Attempts", "Last result", "Created", ""].map((h) => element("th", { scope: "col", text: h })))]),
      element("tbody", {}, rows),
    ]);
    target.replaceChildren(element("div", { class: "table-scroll" }, [table]));
  }

  function deliveryRow(delivery, webhookId, target) {
    const retry = element("button", { type: "button", class: "secondary small", text: "Retry", "aria-label": `Retry delivery ${delivery.id}` });
    retry.addEventListener("click", async () => {
      retry.disabled = true;
      const result = await call("retry-delivery", { id: String(delivery.id) });
      const okay = "status" in result && result.status >= 200 && result.status < 300;
      dom.status.textContent = okay ? `Retry requested for ${delivery.id}.` : `Retry of ${delivery.id} failed: ${errorMessage(result)}`;
      await loadDeliveries(webhookId, target);
    });
    const status = String(delivery.status ?? "—");
    // data-label names each cell where a phone shows the rows as cards (console.css).
    return element("tr", {}, [
      element("td", { "data-label": "Delivery" }, [element("code", { text: String(delivery.id) })]),
      element("td", { "data-label": "Event", text: String(delivery.event_type ?? delivery.type ?? delivery.event?.type ?? "—") }),
      element("td", { "data-label": "Status" }, [element("span", { class: `badge badge-${status.replace(/[^a-z]/g, "")}`, text: status })]),
      element("td", { "data-label": "Attempts", text: String(delivery.attempts ?? "—") }),
      element("td", { "data-label": "Last result", class: "last-result", text: lastResult(delivery), title: delivery.last_error ?? "" }),
      element("td", { "data-label": "Created", text: formatTime(delivery.created_at) }),
      element("td", { class: "retry-cell" }, [retry]),
    ]);
  }

  function webhookItem(webhook) {
    const deliveries = element("div", { class: "delivery-log" });
    const actions = webhookActions(webhook, {
      call,
      onEdit,
      onListChanged: (message) => load(false).then(() => (dom.status.textContent = `${message} ${dom.status.textContent}`)),
      onDeliveriesChanged: () => loadDeliveries(webhook.id, deliveries),
    });
    const active = webhook.active
      ? element("span", { class: "badge badge-active", text: "active" })
      : element("span", { class: "badge badge-inactive", text: webhook.disabled_reason ? `disabled: ${webhook.disabled_reason}` : "inactive" });
    const item = element("li", { class: "webhook-card", "data-webhook-id": webhook.id }, [
      element("div", { class: "webhook-head" }, [element("h3", {}, [element("code", { class: "url", text: webhook.url })]), active]),
      element("dl", { class: "webhook-facts" }, [
        element("dt", { text: "id" }), element("dd", {}, [element("code", { text: webhook.id })]),
        element("dt", { text: "events" }), element("dd", {}, (webhook.events ?? []).map((e) => element("span", { class: "chip", text: e }))),
        ...(webhook.filter ? [element("dt", { text: "filter" }), element("dd", {}, [element("code", { class: "webhook-filter", text: JSON.stringify(webhook.filter) })])] : []),
        element("dt", { text: "created" }), element("dd", { text: formatTime(webhook.created_at) }),
        ...(webhook.signature === "ed25519" ? [element("dt", { text: "signature" }), element("dd", { text: "ed25519 (v1a)" })] : []),
        ...controlFacts(webhook),
        // The delivery controls, when set (README, "Per-webhook delivery controls").
        ...(webhook.ordering ? [element("dt", { text: "ordering" }), element("dd", { text: `${webhook.ordering}: one at a time, in publish order` })] : []),
        ...(typeof webhook.rate_limit === "number" ? [element("dt", { text: "rate limit" }), element("dd", { text: `${webhook.rate_limit} requests a second` })] : []),
      ]),
      ...actions,
      element("h4", { text: "Recent deliveries" }),
      deliveries,
    ]);
    loadDeliveries(webhook.id, deliveries);
    return item;
  }

  async function load(append) {
    if (!hasKey()) {
      generation++;
      dom.refresh.disabled = false;
      dom.status.textContent = "Enter an API key under Authentication to list webhooks.";
      dom.list.replaceChildren();
      dom.more.hidden = true;
      return;
    }
    const mine = ++generation;
    dom.refresh.disabled = true;
    dom.status.textContent = "Loading webhooks…";
    const result = await call("list-webhooks", { limit: "20", cursor: append ? nextCursor ?? "" : "" });
    if (mine !== generation) return;
    dom.refresh.disabled = false;
    if (!("status" in result) || result.status !== 200 || !Array.isArray(result.json?.data)) {
      dom.status.textContent = `Could not list webhooks: ${errorMessage(result)}`;
      return;
    }
    const items = result.json.data.map(webhookItem);
    if (append) dom.list.append(...items);
    else dom.list.replaceChildren(...items);
    nextCursor = result.json.pagination?.next_cursor ?? null;
    dom.more.hidden = !result.json.pagination?.has_more;
    const count = dom.list.children.length;
    dom.status.textContent = count === 0 ? "No webhooks yet. Create one with the form above." : `${count} webhook${count === 1 ? "" : "s"}.`;
  }

  dom.refresh.addEventListener("click", () => load(false));
  dom.more.addEventListener("click", () => load(true));
  return {
    refresh: () => load(false),
    clear: (message) => {
      dom.list.replaceChildren();
      dom.more.hidden = true;
      dom.status.textContent = message;
    },
  };
}
