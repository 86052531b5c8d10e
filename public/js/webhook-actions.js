// The buttons of one webhook card: edit (in the request form), enable/disable, read and
// rotate the signing secret, send a test event, delete (after a confirmation step). Every
// request goes through the `call` the console hands in, like the rest of the Webhooks view.
import { errorMessage } from "./api.js";
import { element } from "./dom.js";

const succeeded = (result) => "status" in result && result.status >= 200 && result.status < 300;

function formatTime(iso) {
  const date = new Date(iso);
  return typeof iso === "string" && !Number.isNaN(date.getTime()) ? date.toLocaleString() : "—";
}

/**
 * @param {object} webhook as listed by GET /api/v1/links/webhooks
 * @param {{call: (operationId: string, values: object) => Promise<any>, onEdit: (webhook: object) => void,
 *   onListChanged: (message: string) => void, onDeliveriesChanged: () => void}} hooks
 * @returns {HTMLElement[]} the action bar, the secret box and the card's status line
 */
export function webhookActions(webhook, hooks) {
  const name = webhook.url;
  const status = element("p", { class: "card-status", "aria-live": "polite" });
  const secretBox = element("div", { class: "secret-box", hidden: true });
  const button = (text, label, onClick, extra = "") => {
    const b = element("button", { type: "button", class: `secondary small ${extra}`.trim(), text, "aria-label": `${label} ${name}` });
    b.addEventListener("click", () => onClick(b));
    return b;
  };
  const say = (text, isError = false) => {
    status.textContent = text;
    status.classList.toggle("error-text", isError);
  };

  async function run(b, operationId, values) {
    b.disabled = true;
    const result = await hooks.call(operationId, { id: webhook.id, ...values });
    b.disabled = false;
    return result;
  }

  async function showSecret(prefix = "") {
    const result = await hooks.call("webhook-secret", { id: webhook.id });
    if (!succeeded(result)) return say(`Could not read the secret: ${errorMessage(result)}`, true);
    const { secret, previous_secret_expires_at: previousUntil, public_key: publicKey } = result.json.data;
    const hide = element("button", { type: "button", class: "secondary small", text: "Hide secret" });
    hide.addEventListener("click", () => {
      secretBox.hidden = true;
      secretBox.replaceChildren();
      showButton.focus();
    });
    secretBox.replaceChildren(
      element("p", { class: "secret-line" }, [
        element("span", { class: "secret-label", text: "Signing secret" }),
        element("code", { class: "secret", text: secret }),
      ]),
      // ed25519: what receivers verify with; it cannot sign, so it may be shared.
      ...(publicKey
        ? [element("p", { class: "secret-line" }, [element("span", { class: "secret-label", text: "Public key (ed25519)" }), element("code", { class: "public-key", text: publicKey })])]
        : []),
      ...(previousUntil ? [element("p", { class: "hint", text: `The previous secret also signs until ${formatTime(previousUntil)}.` })] : []),
      hide,
    );
    secretBox.hidden = false;
    say(prefix || "Secret shown below; keep it private.");
  }

  const showButton = button("Show secret", "Show the signing secret of", async (b) => {
    b.disabled = true;
    await showSecret();
    b.disabled = false;
  });

  const rotate = button("Rotate secret", "Rotate the signing secret of", async (b) => {
    const result = await run(b, "rotate-secret", {});
    if (!succeeded(result)) return say(`Rotation failed: ${errorMessage(result)}`, true);
    await showSecret(`Secret rotated; the old one keeps signing until ${formatTime(result.json.data.previous_secret_expires_at)}.`);
  });

  const test = button("Send test event", "Send a test event to", async (b) => {
    const result = await run(b, "test-webhook", {});
    if (!succeeded(result)) return say(`Test event not sent: ${errorMessage(result)}`, true);
    say(`Test event sent: delivery ${result.json.data.delivery_id}.`);
    hooks.onDeliveriesChanged();
  });

  const toggle = button(webhook.active ? "Disable" : "Enable", webhook.active ? "Disable" : "Enable", async (b) => {
    const result = await run(b, "update-webhook", { active: String(!webhook.active) });
    if (!succeeded(result)) return say(`Could not ${webhook.active ? "disable" : "enable"} it: ${errorMessage(result)}`, true);
    hooks.onListChanged(`${webhook.active ? "Disabled" : "Enabled"} ${webhook.id}.`);
  });

  const edit = button("Edit", "Edit", () => hooks.onEdit(webhook));

  const bar = element("div", { class: "webhook-actions", role: "group", "aria-label": `Actions for ${name}` });
  const normal = [edit, toggle, showButton, rotate, test];
  const remove = button("Delete", "Delete", () => {
    const confirm = element("button", { type: "button", class: "danger small", text: "Delete webhook", "aria-label": `Confirm: delete ${name}` });
    const cancel = element("button", { type: "button", class: "secondary small", text: "Cancel" });
    const question = element("span", { class: "confirm-text", text: "Delete this webhook and its delivery log?" });
    cancel.addEventListener("click", () => {
      bar.replaceChildren(...normal, remove);
      remove.focus();
    });
    confirm.addEventListener("click", async () => {
      const result = await run(confirm, "delete-webhook", {});
      if (!succeeded(result)) return say(`Could not delete it: ${errorMessage(result)}`, true);
      hooks.onListChanged(`Deleted ${webhook.id}.`);
    });
    bar.replaceChildren(question, confirm, cancel);
    confirm.focus();
  }, "danger-outline");
  bar.append(...normal, remove);
  return [bar, status, secretBox];
}
