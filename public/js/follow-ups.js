// What an answer leads to next: buttons offered beside it (use a login's token, open a portal
// link), and a created object's id filled in where the next operations need it.

const webhookIdUsers = ["get-webhook", "update-webhook", "delete-webhook", "webhook-secret", "rotate-secret", "test-webhook", "list-deliveries", "recover-deliveries"];
/** Where a created object's id is needed next: operation → [operation, field] pairs. */
const ID_FOLLOW_UPS = {
  "create-webhook": webhookIdUsers.map((id) => [id, "id"]),
  "create-traffic-source": [["create-traffic-webhook", "trafficSourceId"], ["list-traffic-webhooks", "trafficSourceId"], ["raise-alert", "id"]],
  "put-tenant": [["get-tenant", "id"], ["create-portal-link", "id"]],
  "create-api-key": [["revoke-api-key", "id"]],
};

/** Puts the new id into the next operations' field while it is still empty. */
export function offerCreatedId(operation, result, valuesOf) {
  const created = result.json?.data?.id ?? result.json?.id;
  if (typeof created !== "string") return;
  for (const [operationId, fieldName] of ID_FOLLOW_UPS[operation.id] ?? []) {
    const values = valuesOf(operationId);
    if (!values[fieldName]) values[fieldName] = created;
  }
}

/** What is offered with an answer; `useToken` puts a login's token into the session-token slot. */
export function followUpActions(operation, result, useToken) {
  const portalUrl = result.json?.data?.url;
  if (operation.id === "create-portal-link" && typeof portalUrl === "string" && /^https?:\/\//.test(portalUrl)) {
    // A new tab has its own session storage, so this tab stays signed in with the console key.
    const open = Object.assign(document.createElement("a"), { href: portalUrl, target: "_blank", rel: "noopener noreferrer", className: "button-link", textContent: "Open the portal link in a new tab" });
    return [open];
  }
  const token = result.json?.token ?? result.json?.data?.token;
  if (operation.id !== "login" || typeof token !== "string") return [];
  // Signed in: the token goes into its own slot at once; the API key is left as it was.
  useToken(token);
  return [Object.assign(document.createElement("p"), { className: "hint follow-up", textContent: "Session token set under Authentication for the traffic-source operations; the API key is unchanged." })];
}
