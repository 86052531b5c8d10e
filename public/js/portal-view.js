// What the page shows around a portal link: the "customer portal" header naming the tenant,
// and the full page that replaces the console when the link has expired, was revoked, the
// customer signed out, or the server could not be reached.
const $ = (id) => document.getElementById(id);

function formatTime(iso) {
  const date = new Date(iso);
  return typeof iso === "string" && !Number.isNaN(date.getTime()) ? date.toLocaleString() : undefined;
}

/** Turns the header into the customer portal's, for the tenant `caller` belongs to. */
export function showPortalHeader(caller) {
  const name = caller.tenant_name || caller.tenant_id;
  document.title = `${name} · customer portal · hookrelay`;
  document.body.classList.add("portal");
  $("subtitle").textContent = "customer portal";
  $("portal-tenant-name").textContent = name;
  $("portal-tenant-id").textContent = caller.tenant_id;
  // The id is shown beside the name; when there is no name, once is enough.
  $("portal-tenant-id").hidden = !caller.tenant_name;
  const until = formatTime(caller.expires_at);
  $("portal-expiry").textContent = until ? `This link works until ${until}.` : "";
  $("portal-banner").hidden = false;
  $("webhooks-hint").textContent = `${name}'s webhooks with their recent deliveries.`;
  $("preview-note").hidden = false;
}

const ENDINGS = {
  expired: {
    title: "This link has expired or was revoked — ask for a new one",
    text: "Portal links work for a limited time. Ask whoever sent you this link for a new one.",
  },
  "signed-out": {
    title: "You have signed out of the customer portal",
    text: "Open your portal link again to sign back in.",
  },
  unreachable: {
    title: "The customer portal could not load",
    text: "The server could not be reached or did not answer as expected. Try again in a moment.",
  },
};

/** Replaces the whole page with one message; `detail` adds the failure's own words. */
export function showEnding(kind, detail = "") {
  const ending = ENDINGS[kind];
  document.title = `${ending.title} · hookrelay`;
  for (const el of document.querySelectorAll("body > :not(#ended)")) el.hidden = true;
  $("ended-heading").textContent = ending.title;
  $("ended-text").textContent = detail ? `${ending.text} (${detail})` : ending.text;
  $("ended-retry").hidden = kind !== "unreachable";
  $("ended").hidden = false;
  document.body.dataset.portal = kind;
  $("ended-heading").focus();
}
