// One delivery in the drawer: its facts, every attempt (time, duration, status, response body,
// error), the next attempt time, the payload the receiver got (from its event), and Retry,
// which asks first when the delivery was already delivered.
import { errorMessage } from "./api.js";
import { element } from "./dom.js";
import { formatTime, prettyJson, relativeTime } from "./format.js";
import { needsRetryConfirmation } from "./watch-requests.js";

const succeeded = (result) => "status" in result && result.status >= 200 && result.status < 300;

function badge(status) {
  const text = String(status ?? "—");
  return element("span", { class: `badge badge-${text.replace(/[^a-z]/g, "")}`, text });
}

function facts(delivery) {
  const next = delivery.next_attempt_at ? `${formatTime(delivery.next_attempt_at)} (${relativeTime(delivery.next_attempt_at)})` : "—";
  const rows = [
    ["Status", [badge(delivery.status)]],
    ["Event", [element("code", { text: `${delivery.event_type} · ${delivery.event_id}` })]],
    ["Webhook", [element("code", { text: delivery.webhook_id ?? "—" })]],
    ["Attempts", delivery.attempts],
    ["Next attempt", next],
    ["Created", formatTime(delivery.created_at)],
    ["Delivered", formatTime(delivery.delivered_at)],
    ["Last error", delivery.last_error ?? "—"],
  ];
  return element("dl", { class: "facts", "data-testid": "delivery-facts" }, rows.flatMap(([name, value]) => [
    element("dt", { text: name }),
    element("dd", { "data-fact": name.toLowerCase().replace(" ", "-") }, Array.isArray(value) ? value : [String(value)]),
  ]));
}

function attemptsTable(attempts) {
  if (attempts.length === 0) return element("p", { class: "hint", text: "No attempt yet." });
  const rows = attempts.map((attempt, i) => element("tr", {}, [
    element("td", { "data-label": "#", text: String(i + 1) }),
    element("td", { "data-label": "Time", text: formatTime(attempt.attempted_at) }),
    element("td", { "data-label": "Duration", text: `${attempt.duration_ms} ms` }),
    element("td", { "data-label": "Status", text: attempt.status_code === null ? "no response" : `HTTP ${attempt.status_code}` }),
    element("td", { "data-label": "Response body", class: "wrap" }, [
      attempt.response_body ? element("pre", { class: "snippet", text: attempt.response_body }) : element("span", { class: "hint", text: "—" }),
    ]),
    element("td", { "data-label": "Error", class: "wrap", text: attempt.error ?? "—" }),
  ]));
  return element("div", { class: "table-scroll" }, [
    element("table", { class: "deliveries attempts" }, [
      element("caption", { class: "visually-hidden", text: "Attempts, oldest first" }),
      element("thead", {}, [element("tr", {}, ["#", "Time", "Duration", "Status", "Response body", "Error"].map((h) => element("th", { scope: "col", text: h })))]),
      element("tbody", {}, rows),
    ]),
  ]);
}

/**
 * @param {{call: (operationId: string, values: object) => Promise<any>, drawer: ReturnType<import("./drawer.js").createDrawer>,
 *   onChanged: () => void}} hooks onChanged: the list behind should refresh (after a retry)
 */
export function createDeliveryDetails({ call, drawer, onChanged }) {
  /** The delivery the drawer shows, while it shows one. */
  let shown;

  function retryArea(delivery, say) {
    const area = element("div", { class: "drawer-actions" });
    const retry = element("button", { type: "button", class: "primary", text: "Retry now" });
    const send = async (button) => {
      button.disabled = true;
      const result = await call("retry-delivery", { id: delivery.id });
      button.disabled = false;
      if (!succeeded(result)) return say(`Retry refused: ${errorMessage(result)}`, true);
      say(`Retry queued: ${delivery.id} is due now.`);
      normal();
      // The confirmation's buttons are gone: focus stays in the drawer, on Retry now.
      if (button !== retry) retry.focus();
      onChanged();
      await refresh();
    };
    const normal = () => {
      area.replaceChildren(retry);
    };
    retry.addEventListener("click", () => {
      if (!needsRetryConfirmation(shown?.delivery ?? delivery)) return send(retry);
      const yes = element("button", { type: "button", class: "danger", text: "Send it again" });
      const no = element("button", { type: "button", class: "secondary", text: "Cancel" });
      yes.addEventListener("click", () => send(yes));
      no.addEventListener("click", () => {
        normal();
        retry.focus();
      });
      area.replaceChildren(element("p", { class: "confirm-text", role: "alert", text: "This delivery was already delivered. The receiver gets it again, with the same webhook-id. Send it again?" }), yes, no);
      no.focus();
    });
    normal();
    return area;
  }

  function render(delivery) {
    shown.delivery = delivery;
    shown.facts.replaceChildren(facts(delivery));
    shown.attempts.replaceChildren(attemptsTable(delivery.attempt_log ?? []));
    shown.attemptsHeading.textContent = `Attempts (${(delivery.attempt_log ?? []).length})`;
  }

  async function loadPayload(delivery, target) {
    const result = await call("get-event", { id: delivery.event_id });
    if (!succeeded(result)) return target.replaceChildren(element("p", { class: "error-text", text: `Could not load the event: ${errorMessage(result)}` }));
    target.replaceChildren(element("pre", { class: "code payload", tabindex: "0", "aria-label": "Payload" }, [element("code", { text: prettyJson(result.json.data.payload) })]));
  }

  /** Opens the drawer on one delivery. */
  async function open(deliveryId, opener) {
    const result = await call("get-delivery", { id: deliveryId });
    if (!succeeded(result)) {
      drawer.open(`Delivery ${deliveryId}`, [element("p", { class: "error-text", text: `Could not load it: ${errorMessage(result)}` })], opener);
      return;
    }
    const delivery = result.json.data;
    const status = element("p", { class: "card-status", "aria-live": "polite", id: "drawer-status" });
    const say = (text, isError = false) => {
      status.textContent = text;
      status.classList.toggle("error-text", isError);
    };
    const payload = element("div", {}, [element("p", { class: "hint", text: "Loading the payload…" })]);
    shown = { id: deliveryId, facts: element("div"), attempts: element("div", { "aria-live": "polite" }), attemptsHeading: element("h3"), delivery };
    render(delivery);
    drawer.open(`Delivery ${deliveryId}`, [
      shown.facts,
      retryArea(delivery, say),
      status,
      shown.attemptsHeading,
      shown.attempts,
      element("h3", { text: "Payload" }),
      element("p", { class: "hint", text: "The body every attempt sent, as the event stored it." }),
      payload,
    ], opener);
    loadPayload(delivery, payload);
  }

  /** Reads the shown delivery again (auto-refresh, after a retry). */
  async function refresh() {
    // The drawer may show something else now (an event): then nothing is refreshed.
    if (!shown || !drawer.isOpen() || !shown.facts.isConnected) return;
    const mine = shown;
    const result = await call("get-delivery", { id: mine.id });
    if (mine !== shown || !succeeded(result)) return;
    render(result.json.data);
  }

  drawer.onClose(() => {
    shown = undefined;
  });
  return { open, refresh, isShowing: () => shown !== undefined && shown.facts.isConnected };
}
