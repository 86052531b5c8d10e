// Surface A (docs/api-guide.md) as the fuzzer sees it: API-key auth, webhook write routes.
import { EVENT_TYPES } from "../../../src/events/catalogue";
import { ADMIN_KEY } from "../app";
import type { Random } from "./random";
import { existingOrGarbage, garbageQuery, type AuthScheme, type FuzzContext, type FuzzSurface } from "./surface";

const HOSTS = ["https://api.acme-retail.com/webhooks/links", "https://example.com/hook", "http://hooks.example.org:8080/a?b=c", "https://[2001:db8::1]/x"];

function events(r: Random): string[] {
  const pool = [...EVENT_TYPES];
  const out: string[] = [];
  for (let n = r.int(1, pool.length); n > 0; n--) out.push(pool.splice(r.int(0, pool.length - 1), 1)[0]!);
  return out;
}

function createBody({ r }: FuzzContext): Record<string, unknown> {
  const body: Record<string, unknown> = { url: r.pick(HOSTS), events: events(r) };
  if (r.chance(0.5)) body.secret = "whsec_" + "k".repeat(r.int(2, 100));
  if (r.chance(0.5)) body.metadata = { team: "growth", n: r.int(0, 9), tags: ["a", "b"] };
  return body;
}

function updateBody(ctx: FuzzContext): Record<string, unknown> {
  const full: Record<string, unknown> = { ...createBody(ctx), active: ctx.r.chance(0.5) };
  const keys = Object.keys(full).filter(() => ctx.r.chance(0.5));
  return Object.fromEntries((keys.length ? keys : ["active"]).map((k) => [k, full[k] ?? true]));
}

const webhookId = existingOrGarbage("webhooks");
const deliveryId = existingOrGarbage("deliveries");

function eventBody({ r }: FuzzContext): Record<string, unknown> {
  const body: Record<string, unknown> = { type: r.pick(EVENT_TYPES), data: { link_id: `lnk_${r.int(0, 99)}`, clicks: r.int(0, 9) } };
  if (r.chance(0.3)) body.id = `evt_fuzz_${r.int(0, 50)}`; // repeats: idempotent replays
  return body;
}

function idempotencyKey({ r }: FuzzContext): Record<string, string> {
  if (r.chance(0.6)) return {};
  return { "idempotency-key": r.pick(["", "k".repeat(256), `key-${r.int(0, 30)}`, "' OR 1=1 --", "é", " spaced key "]) };
}

/** The API-key scheme of every /api/v1 route: bad keys get exactly 401. */
export const apiKeyScheme: AuthScheme = {
  valid: ({ r }): Record<string, string> => (r.chance(0.5) ? { authorization: `Bearer ${ADMIN_KEY}` } : { "x-api-key": ADMIN_KEY }),
  bad: ({ r }) =>
    r.pick<Record<string, string>>([
      {},
      { authorization: "Bearer wrong-key-wrong-key" },
      { authorization: `Basic ${btoa("admin:" + ADMIN_KEY)}` },
      { authorization: `Bearer ${ADMIN_KEY}x` },
      { authorization: `Bearer ${ADMIN_KEY.slice(0, -1)}` },
      { authorization: `Bearer` },
      { authorization: `Bearer  ${ADMIN_KEY} extra` },
      { authorization: "Bearer " + "k".repeat(10_000) },
      { "x-api-key": "" },
      { "x-api-key": ADMIN_KEY.toUpperCase() },
      { authorization: "Bearer wrong-key-wrong-key", "x-api-key": ADMIN_KEY },
      { authorization: `Token ${ADMIN_KEY}` },
    ]),
  badStatuses: [401],
};

export const linksSurface: FuzzSurface = {
  name: "surface A (links)",
  routes: [
    { method: "POST", path: "/api/v1/links/webhooks", body: createBody, weight: 2 },
    { method: "PATCH", path: "/api/v1/links/webhooks/:id", params: { id: webhookId }, body: updateBody, weight: 2 },
    { method: "DELETE", path: "/api/v1/links/webhooks/:id", params: { id: webhookId } },
    // Delivery engine routes (docs/api-guide.md, surface A).
    { method: "POST", path: "/api/v1/events", body: eventBody, headers: idempotencyKey, weight: 2 },
    { method: "POST", path: "/api/v1/links/webhooks/:id/secret/rotate", params: { id: webhookId }, weight: 0.5 },
    { method: "POST", path: "/api/v1/links/webhooks/:id/test", params: { id: webhookId }, weight: 0.5 },
    {
      method: "POST",
      path: "/api/v1/links/webhooks/:id/recover",
      params: { id: webhookId },
      body: ({ r }) => ({ since: new Date(Date.now() - r.int(0, 86_400_000)).toISOString() }),
      weight: 0.5,
    },
    { method: "POST", path: "/api/v1/deliveries/:id/retry", params: { id: deliveryId }, weight: 0.5 },
    // Reads with hostile query strings (pagination cursors, filters): cheap, and a 500 hides there too.
    { method: "GET", path: "/api/v1/links/webhooks", query: garbageQuery(["limit", "cursor", "event", "active"]), weight: 0.5 },
    { method: "GET", path: "/api/v1/links/webhooks/:id/deliveries", params: { id: webhookId }, query: garbageQuery(["limit", "cursor", "status"]), weight: 0.5 },
  ],
  auth: apiKeyScheme,
};
