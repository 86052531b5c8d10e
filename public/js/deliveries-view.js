// The Deliveries section: a search across the acting tenant's webhooks (status, webhook, event
// type, since/until), a list that follows next_cursor ("Load more"), auto-refresh every few
// seconds that can be paused (and waits while the drawer is open or the tab is hidden), a
// drawer per delivery (delivery-details.js), and "Retry all failed matching these filters".
import { errorMessage } from "./api.js";
import { element } from "./dom.js";
import { formatTime, lastResult, relativeTime } from "./format.js";
import { bulkRetryValues, deliverySearchValues, PAGE_SIZE } from "./watch-requests.js";

export const REFRESH_MS = 3000;
/** Requests one refresh or "Load more" may make: a page can be empty while has_more is true. */
const MAX_REQUESTS = 10;
/** Batches a bulk retry may send before it stops and says so (each batch is bounded by the server). */
const MAX_RETRY_BATCHES = 2000;

const ok = (result) => "status" in result && result.status >= 200 && result.status < 300;

/**
 * @param {{section: HTMLElement, details: ReturnType<import("./delivery-details.js").createDeliveryDetails>,
 *   drawerOpen: () => boolean}} dom section: the #deliveries element of index.html
 * @param {{call: (operationId: string, values: object) => Promise<any>, hasKey: () => boolean}} hooks
 */
export function createDeliveriesView({ section, details, drawerOpen }, { call, hasKey }) {
  const $ = (id) => section.querySelector(`#${id}`);
  const form = $("deliveries-filters");
  const list = $("deliveries-list");
  const status = $("deliveries-status");
  const more = $("deliveries-more");
  const pause = $("deliveries-pause");
  const refreshState = $("deliveries-refresh-state");
  const bulk = $("deliveries-retry-all");
  const bulkStatus = $("deliveries-bulk-status");
  let nextCursor = null;
  let generation = 0;
  let paused = false;
  let loading = false;

  const filters = () => ({
    status: form.elements.status.value,
    webhookId: form.elements.webhook.value,
    eventType: form.elements.eventType.value,
    since: form.elements.since.value,
    until: form.elements.until.value,
  });

  /** Pages from `cursor` on until `wanted` deliveries or the end, within MAX_REQUESTS. */
  async function fetchFrom(cursor, wanted) {
    const found = [];
    for (let i = 0; i < MAX_REQUESTS; i++) {
      const result = await call("search-deliveries", deliverySearchValues(filters(), cursor ?? "", PAGE_SIZE));
      if (!ok(result) || !Array.isArray(result.json?.data)) return { error: errorMessage(result) };
      found.push(...result.json.data);
      const { has_more: hasMore, next_cursor: next } = result.json.pagination ?? {};
      cursor = hasMore ? next : null;
      if (!cursor || found.length >= wanted) break;
    }
    return { deliveries: found, cursor };
  }

  function row(delivery) {
    const open = element("button", { type: "button", class: "secondary small", text: "Details", "aria-label": `Details of delivery ${delivery.id}` });
    open.addEventListener("click", () => details.open(delivery.id, open));
    const next = delivery.next_attempt_at ? relativeTime(delivery.next_attempt_at) : "—";
    return element("tr", { "data-delivery-id": delivery.id, "data-status": delivery.status }, [
      element("td", { "data-label": "Created", text: formatTime(delivery.created_at) }),
      element("td", { "data-label": "Event" }, [element("code", { text: delivery.event_type })]),
      element("td", { "data-label": "Webhook" }, [element("code", { text: delivery.webhook_id ?? "—" })]),
      element("td", { "data-label": "Status" }, [element("span", { class: `badge badge-${String(delivery.status).replace(/[^a-z]/g, "")}`, text: delivery.status })]),
      element("td", { "data-label": "Attempts", text: String(delivery.attempts) }),
      element("td", { "data-label": "Last result", class: "last-result", text: lastResult(delivery), title: delivery.last_error ?? "" }),
      element("td", { "data-label": "Next attempt", text: next }),
      element("td", { class: "retry-cell" }, [open]),
    ]);
  }

  function table(rows) {
    return element("div", { class: "table-scroll" }, [element("table", { class: "deliveries" }, [
      element("caption", { class: "visually-hidden", text: "Deliveries matching the filters, newest first" }),
      element("thead", {}, [element("tr", {}, ["Created", "Event", "Webhook", "Status", "Attempts", "Last result", "Next attempt", ""].map((h) => element("th", { scope: "col", text: h })))]),
      element("tbody", {}, rows),
    ])]);
  }

  const shownCount = () => list.querySelectorAll("tbody tr").length;

  /** What the rows show now: a refresh that finds the same deliveries leaves them alone. */
  let shown = "";

  function show(deliveries, append) {
    const seen = JSON.stringify([deliveries, nextCursor]);
    if (!append && seen === shown && list.querySelector("tbody")) return;
    shown = append ? "" : seen;
    // A refresh redraws the rows: keyboard focus on a row's button moves to its new copy.
    const focused = list.contains(document.activeElement) ? document.activeElement?.getAttribute("aria-label") : null;
    const rows = deliveries.map(row);
    const body = list.querySelector("tbody");
    if (append && body) body.append(...rows);
    else list.replaceChildren(...(rows.length ? [table(rows)] : []));
    if (focused) [...list.querySelectorAll("button[aria-label]")].find((b) => b.getAttribute("aria-label") === focused)?.focus();
    more.hidden = nextCursor === null;
    const count = shownCount();
    status.textContent = count === 0
      ? nextCursor ? "No matches in the newest deliveries; Load more looks further back." : "No deliveries match these filters."
      : `${count} deliver${count === 1 ? "y" : "ies"}${nextCursor ? " shown; more match" : ""}.`;
  }

  /** From the newest on; a refresh keeps as many rows as were shown (Load more included). */
  async function load({ append = false, quiet = false } = {}) {
    if (!hasKey()) {
      generation++;
      list.replaceChildren();
      more.hidden = true;
      status.textContent = "Enter an API key under Authentication to watch deliveries.";
      return;
    }
    const mine = ++generation;
    loading = true;
    if (!quiet) status.textContent = "Loading deliveries…";
    const wanted = append ? 1 : Math.max(PAGE_SIZE, shownCount());
    const result = await fetchFrom(append ? nextCursor : null, wanted);
    if (mine !== generation) return;
    loading = false;
    if (result.error) {
      status.textContent = `Could not search deliveries: ${result.error}`;
      return;
    }
    nextCursor = result.cursor;
    show(result.deliveries, append);
    refreshState.textContent = paused ? "Auto-refresh paused." : `Updated ${new Date().toLocaleTimeString()}; refreshes every ${REFRESH_MS / 1000} s.`;
  }

  async function retryAll() {
    bulk.disabled = true;
    let retried = 0;
    let skipped = 0;
    let cursor = "";
    let batches = 0;
    // The filters as they were when the button was pressed: a cursor belongs to its search.
    const pressedWith = filters();
    bulkStatus.textContent = "Retrying…";
    for (;;) {
      const result = await call("retry-deliveries", bulkRetryValues(pressedWith, cursor));
      if (!ok(result)) {
        bulkStatus.textContent = `Stopped after ${retried} retried: ${errorMessage(result)}`;
        break;
      }
      retried += result.json.data.retried;
      skipped += result.json.data.skipped;
      batches++;
      const { has_more: hasMore, next_cursor: next } = result.json.data;
      if (!hasMore || !next) {
        bulkStatus.textContent = `Retried ${retried} failed deliver${retried === 1 ? "y" : "ies"}${skipped ? `; ${skipped} skipped (being attempted, or their webhook is disabled)` : ""}.`;
        break;
      }
      if (batches >= MAX_RETRY_BATCHES) {
        bulkStatus.textContent = `Retried ${retried} so far and stopped after ${batches} batches; press again to go on.`;
        break;
      }
      cursor = next;
      bulkStatus.textContent = `Retrying… ${retried} so far.`;
    }
    bulk.disabled = false;
    load({ quiet: true });
  }

  function setPaused(value) {
    paused = value;
    pause.setAttribute("aria-pressed", String(paused));
    pause.textContent = paused ? "Resume auto-refresh" : "Pause auto-refresh";
    refreshState.textContent = paused ? "Auto-refresh paused." : `Refreshes every ${REFRESH_MS / 1000} s.`;
    section.dataset.autoRefresh = paused ? "paused" : "on";
  }

  /** One tick: the open drawer's delivery, else the list; nothing while paused or hidden. */
  function tick() {
    if (paused || document.hidden || !hasKey()) return;
    if (drawerOpen()) details.refresh();
    else if (!loading) load({ quiet: true });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  form.addEventListener("change", () => load());
  more.addEventListener("click", () => load({ append: true }));
  pause.addEventListener("click", () => setPaused(!paused));
  bulk.addEventListener("click", retryAll);
  setPaused(false);
  setInterval(tick, REFRESH_MS);
  // Back on the tab: up to date at once rather than at the next tick.
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) tick();
  });

  return {
    refresh: () => load(),
    /** The webhooks and event types the filters offer. */
    setChoices({ webhooks, eventTypes }) {
      const fill = (select, values, anyText) => {
        const keep = select.value;
        select.replaceChildren(new Option(anyText, ""), ...values.map(([value, text]) => new Option(text, value)));
        select.value = values.some(([value]) => value === keep) ? keep : "";
      };
      if (webhooks) fill(form.elements.webhook, webhooks.map((w) => [w.id, `${w.url} (${w.id})`]), "Any webhook");
      if (eventTypes) fill(form.elements.eventType, eventTypes.map((t) => [t, t]), "Any type");
    },
  };
}
