// The Events section: the acting tenant's published events (type, since, until), newest first,
// with "Load more"; Details opens the drawer on the event's exact payload and its deliveries,
// each of which opens in the drawer in turn.
import { errorMessage } from "./api.js";
import { element } from "./dom.js";
import { formatTime, lastResult, prettyJson } from "./format.js";
import { eventSearchValues } from "./watch-requests.js";

const ok = (result) => "status" in result && result.status >= 200 && result.status < 300;

/**
 * @param {{section: HTMLElement, drawer: ReturnType<import("./drawer.js").createDrawer>,
 *   details: ReturnType<import("./delivery-details.js").createDeliveryDetails>}} dom
 * @param {{call: (operationId: string, values: object) => Promise<any>, hasKey: () => boolean}} hooks
 */
export function createEventsView({ section, drawer, details }, { call, hasKey }) {
  const $ = (id) => section.querySelector(`#${id}`);
  const form = $("events-filters");
  const list = $("events-list");
  const status = $("events-status");
  const more = $("events-more");
  let nextCursor = null;
  let generation = 0;

  const filters = () => ({ type: form.elements.type.value, since: form.elements.since.value, until: form.elements.until.value });

  function deliveriesTable(deliveries, opener) {
    if (deliveries.length === 0) return element("p", { class: "hint", text: "No webhook was subscribed to this event's type when it was published." });
    const rows = deliveries.map((d) => {
      const open = element("button", { type: "button", class: "secondary small", text: "Details", "aria-label": `Details of delivery ${d.id}` });
      open.addEventListener("click", () => details.open(d.id, opener));
      return element("tr", {}, [
        element("td", { "data-label": "Delivery" }, [element("code", { text: d.id })]),
        element("td", { "data-label": "Webhook" }, [element("code", { text: d.webhook_id ?? "—" })]),
        element("td", { "data-label": "Status" }, [element("span", { class: `badge badge-${String(d.status).replace(/[^a-z]/g, "")}`, text: d.status })]),
        element("td", { "data-label": "Attempts", text: String(d.attempts) }),
        element("td", { "data-label": "Last result", class: "last-result", text: lastResult(d) }),
        element("td", { class: "retry-cell" }, [open]),
      ]);
    });
    return element("div", { class: "table-scroll" }, [element("table", { class: "deliveries" }, [
      element("caption", { class: "visually-hidden", text: "The event's deliveries" }),
      element("thead", {}, [element("tr", {}, ["Delivery", "Webhook", "Status", "Attempts", "Last result", ""].map((h) => element("th", { scope: "col", text: h })))]),
      element("tbody", {}, rows),
    ])]);
  }

  async function openEvent(eventId, opener) {
    const result = await call("get-event", { id: eventId });
    if (!ok(result)) {
      drawer.open(`Event ${eventId}`, [element("p", { class: "error-text", text: `Could not load it: ${errorMessage(result)}` })], opener);
      return;
    }
    const event = result.json.data;
    const extra = event.deliveries_total > event.deliveries.length ? [element("p", { class: "hint", text: `The first ${event.deliveries.length} of ${event.deliveries_total} deliveries; the Deliveries view finds the rest by event.` })] : [];
    drawer.open(`Event ${event.id}`, [
      element("dl", { class: "facts" }, [
        element("dt", { text: "Type" }), element("dd", {}, [element("code", { text: event.type })]),
        element("dt", { text: "Published" }), element("dd", { text: formatTime(event.created_at) }),
        element("dt", { text: "Tenant" }), element("dd", {}, [element("code", { text: event.tenant_id })]),
      ]),
      element("h3", { text: "Payload" }),
      element("p", { class: "hint", text: "Exactly what every receiver got." }),
      element("pre", { class: "code payload", tabindex: "0", "aria-label": "Payload" }, [element("code", { text: prettyJson(event.payload) })]),
      element("h3", { text: `Deliveries (${event.deliveries_total})` }),
      deliveriesTable(event.deliveries, opener),
      ...extra,
    ], opener);
  }

  function row(event) {
    const open = element("button", { type: "button", class: "secondary small", text: "Details", "aria-label": `Details of event ${event.id}` });
    open.addEventListener("click", () => openEvent(event.id, open));
    return element("tr", { "data-event-id": event.id }, [
      element("td", { "data-label": "Published", text: formatTime(event.created_at) }),
      element("td", { "data-label": "Type" }, [element("code", { text: event.type })]),
      element("td", { "data-label": "Event" }, [element("code", { text: event.id })]),
      element("td", { class: "retry-cell" }, [open]),
    ]);
  }

  async function load(append = false) {
    if (!hasKey()) {
      generation++;
      list.replaceChildren();
      more.hidden = true;
      status.textContent = "Enter an API key under Authentication to list events.";
      return;
    }
    const mine = ++generation;
    status.textContent = "Loading events…";
    const result = await call("list-events", eventSearchValues(filters(), append ? nextCursor ?? "" : ""));
    if (mine !== generation) return;
    if (!ok(result) || !Array.isArray(result.json?.data)) {
      status.textContent = `Could not list events: ${errorMessage(result)}`;
      return;
    }
    nextCursor = result.json.pagination?.has_more ? result.json.pagination.next_cursor : null;
    const rows = result.json.data.map(row);
    const body = list.querySelector("tbody");
    if (append && body) body.append(...rows);
    else list.replaceChildren(...(rows.length ? [element("div", { class: "table-scroll" }, [element("table", { class: "deliveries" }, [
      element("caption", { class: "visually-hidden", text: "Events, newest first" }),
      element("thead", {}, [element("tr", {}, ["Published", "Type", "Event", ""].map((h) => element("th", { scope: "col", text: h })))]),
      element("tbody", {}, rows),
    ])])] : []));
    more.hidden = nextCursor === null;
    const count = list.querySelectorAll("tbody tr").length;
    status.textContent = count === 0 ? "No events match these filters." : `${count} event${count === 1 ? "" : "s"}${nextCursor ? " shown; more match" : ""}.`;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  form.addEventListener("change", () => load());
  more.addEventListener("click", () => load(true));

  return {
    refresh: () => load(),
    setEventTypes(types) {
      const select = form.elements.type;
      const keep = select.value;
      select.replaceChildren(new Option("Any type", ""), ...types.map((t) => new Option(t, t)));
      select.value = types.includes(keep) ? keep : "";
    },
  };
}
