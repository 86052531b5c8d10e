// The console's request builder (public/js/operations.js): the request each operation sends
// for given form values, before any snippet is made of it.
import { describe, expect, test } from "bun:test";
import { DEFAULT_TENANT, EVENT_CATALOGUE, OPERATIONS, TOKEN_PLACEHOLDER, USER_TOKEN_PLACEHOLDER, buildRequest, findOperation, operationsFor, parseJsonField } from "../public/js/operations.js";
import { EVENT_TYPES } from "../src/events/catalogue";

const ORIGIN = "http://127.0.0.1:3000";
const op = (id: string) => findOperation(id)!;
const noAuth = { bearer: "", apiKey: "" };

describe("buildRequest", () => {
  test("the events multi-select offers exactly the server's catalogue", () => {
    expect(EVENT_CATALOGUE).toEqual([...EVENT_TYPES]);
  });

  test("every operation required by the console exists, with a unique id", () => {
    const ids = OPERATIONS.map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ["create-webhook", "list-webhooks", "get-webhook", "delete-webhook", "publish-event", "create-traffic-webhook", "login", "list-deliveries", "retry-delivery"]) {
      expect(ids).toContain(id);
    }
  });

  test("a fresh create form shows the required fields and the default metadata, with the placeholder token", () => {
    const req = buildRequest(op("create-webhook"), {}, noAuth, ORIGIN);
    expect(req).toEqual({
      method: "POST",
      url: `${ORIGIN}/api/v1/links/webhooks`,
      headers: [["Content-Type", "application/json"], ["Authorization", `Bearer ${TOKEN_PLACEHOLDER}`]],
      body: { url: "", events: [], metadata: {} },
      errors: {},
      missing: [],
    });
  });

  test("x-api-key alone replaces the Authorization header; both are sent when both are given", () => {
    expect(buildRequest(op("list-webhooks"), {}, { bearer: "", apiKey: "k1" }, ORIGIN).headers).toEqual([["x-api-key", "k1"]]);
    expect(buildRequest(op("list-webhooks"), {}, { bearer: " b1 ", apiKey: "k1" }, ORIGIN).headers).toEqual([
      ["Authorization", "Bearer b1"],
      ["x-api-key", "k1"],
    ]);
  });

  test("user routes take only the Bearer session token; login takes none", () => {
    const req = buildRequest(op("list-traffic-sources"), {}, { bearer: "", apiKey: "k1" }, ORIGIN);
    expect(req.headers).toEqual([["Authorization", `Bearer ${USER_TOKEN_PLACEHOLDER}`]]);
    // The session token has its own slot: the API key in the Bearer slot is never sent there,
    // and the session token never goes to an API-key route.
    const both = { bearer: "hr_api_key", apiKey: "", userToken: "session-1" };
    expect(buildRequest(op("list-traffic-sources"), {}, both, ORIGIN).headers).toEqual([["Authorization", "Bearer session-1"]]);
    expect(buildRequest(op("list-webhooks"), {}, both, ORIGIN).headers).toEqual([["Authorization", "Bearer hr_api_key"]]);
    const login = buildRequest(op("login"), { email: "a@example.com", password: "pw" }, { bearer: "b", apiKey: "k" }, ORIGIN);
    expect(login.headers).toEqual([["Content-Type", "application/json"]]);
    expect(login.body).toEqual({ email: "a@example.com", password: "pw" });
  });

  test("list filters become the query string; empty ones are left out", () => {
    const req = buildRequest(op("list-webhooks"), { limit: "5", cursor: "", event: "uptime.up", active: "false" }, { bearer: "b", apiKey: "" }, ORIGIN);
    expect(req.url).toBe(`${ORIGIN}/api/v1/links/webhooks?limit=5&event=uptime.up&active=false`);
    expect(req.body).toBeUndefined();
    expect(buildRequest(op("list-webhooks"), { limit: "five" }, noAuth, ORIGIN).errors).toEqual({ limit: "Must be a whole number" });
  });

  test("path parameters are encoded, and an empty one is reported missing and shown as a placeholder", () => {
    expect(buildRequest(op("get-webhook"), { id: "whk_a/b" }, noAuth, ORIGIN).url).toBe(`${ORIGIN}/api/v1/links/webhooks/whk_a%2Fb`);
    const empty = buildRequest(op("delete-webhook"), { id: "  " }, noAuth, ORIGIN);
    expect(empty.url).toBe(`${ORIGIN}/api/v1/links/webhooks/{id}`);
    expect(empty.missing).toEqual(["id"]);
  });

  test("update sends only the fields that were filled, in body order", () => {
    const req = buildRequest(op("update-webhook"), { id: "whk_1", url: "", events: ["uptime.up", "link.created"], secret: "", metadata: "", active: "true" }, noAuth, ORIGIN);
    expect(req.method).toBe("PATCH");
    expect(req.body).toEqual({ events: ["link.created", "uptime.up"], active: true });
    expect(Object.keys(req.body as object)).toEqual(["events", "active"]);
  });

  test("a webhook's filter: an object, or null on update to remove it; left out when empty", () => {
    const set = buildRequest(op("update-webhook"), { id: "whk_1", filter: '{"amount": {"$gte": 100}}' }, noAuth, ORIGIN);
    expect(set.body).toEqual({ filter: { amount: { $gte: 100 } } });
    expect(buildRequest(op("update-webhook"), { id: "whk_1", filter: "null", active: "true" }, noAuth, ORIGIN).body).toEqual({ active: true, filter: null });
    expect(buildRequest(op("update-webhook"), { id: "whk_1", filter: "", active: "true" }, noAuth, ORIGIN).body).toEqual({ active: true });
    expect(buildRequest(op("create-webhook"), { filter: "[1]" }, noAuth, ORIGIN).errors.filter).toBe('Must be a JSON object, like {"amount": {"$gte": 100}}, or null');
  });

  test("the delivery controls: set, cleared with null, or left out when empty", () => {
    const set = buildRequest(op("create-webhook"), { url: "https://x.example/h", events: ["link.clicked"], ordering: "fifo", rate_limit: "20" }, noAuth, ORIGIN);
    expect(set.body).toMatchObject({ ordering: "fifo", rate_limit: 20 });
    const cleared = buildRequest(op("update-webhook"), { id: "whk_1", ordering: "null", rate_limit: " null " }, noAuth, ORIGIN);
    expect(cleared.body).toEqual({ ordering: null, rate_limit: null });
    expect(buildRequest(op("update-webhook"), { id: "whk_1", ordering: "", rate_limit: "", active: "true" }, noAuth, ORIGIN).body).toEqual({ active: true });
    expect(buildRequest(op("update-webhook"), { id: "whk_1", rate_limit: "fast" }, noAuth, ORIGIN).errors).toEqual({ rate_limit: "Must be a whole number" });
  });

  test("invalid JSON in an editor is an error for that field and is left out of the body", () => {
    const req = buildRequest(op("create-webhook"), { url: "https://x.example/h", events: ["link.clicked"], metadata: '{"a":' }, noAuth, ORIGIN);
    expect(req.errors.metadata).toStartWith("Invalid JSON");
    expect(req.body).toEqual({ url: "https://x.example/h", events: ["link.clicked"] });
    expect(buildRequest(op("create-webhook"), { metadata: "[1]" }, noAuth, ORIGIN).errors.metadata).toBe('Must be a JSON object, like {"team": "growth"}');
    expect(parseJsonField("{}", "array").error).toStartWith("Must be a JSON array");
    expect(parseJsonField("  ", "object")).toEqual({ value: undefined });
  });

  test("publish event: Idempotency-Key goes in a header after the auth header", () => {
    const req = buildRequest(op("publish-event"), { type: "link.clicked", data: '{"link": "lnk_1"}', id: "", "Idempotency-Key": "k-1" }, { bearer: "b", apiKey: "" }, ORIGIN);
    expect(req.headers).toEqual([["Content-Type", "application/json"], ["Authorization", "Bearer b"], ["Idempotency-Key", "k-1"]]);
    expect(req.body).toEqual({ type: "link.clicked", data: { link: "lnk_1" } });
  });

  test("traffic-source webhook: the document's example body", () => {
    const req = buildRequest(op("create-traffic-webhook"), { trafficSourceId: "c1d2", value: "123456789" }, { bearer: "tok", apiKey: "" }, ORIGIN);
    expect(req.url).toBe(`${ORIGIN}/webhooks/c1d2`);
    expect(req.body).toEqual({ type: "discord", level: "fatal", value: "123456789" });
  });

  test("bodiless actions send no body and no Content-Type", () => {
    const req = buildRequest(op("retry-delivery"), { id: "dlv_1" }, { bearer: "b", apiKey: "" }, ORIGIN);
    expect(req).toMatchObject({ method: "POST", url: `${ORIGIN}/api/v1/deliveries/dlv_1/retry`, headers: [["Authorization", "Bearer b"]] });
    expect(req.body).toBeUndefined();
  });
});

describe("tenants: the picked tenant of a platform key", () => {
  const auth = { bearer: "platform", apiKey: "" };
  const acme = { tenantId: "acme-retail" };
  const createValues = { url: "https://x.example/h", events: ["link.clicked"], metadata: '{"team": "growth"}' };

  test("create puts tenant_id last in the body", () => {
    const req = buildRequest(op("create-webhook"), createValues, auth, ORIGIN, acme);
    expect(req.body).toEqual({ url: "https://x.example/h", events: ["link.clicked"], metadata: { team: "growth" }, tenant_id: "acme-retail" });
    expect(Object.keys(req.body as object)).toEqual(["url", "events", "metadata", "tenant_id"]);
  });

  test("publish puts tenant_id in the body, beside the Idempotency-Key header", () => {
    const req = buildRequest(op("publish-event"), { type: "uptime.up", data: "{}", "Idempotency-Key": "k-1" }, auth, ORIGIN, acme);
    expect(req.body).toEqual({ type: "uptime.up", data: {}, tenant_id: "acme-retail" });
    expect(req.headers).toContainEqual(["Idempotency-Key", "k-1"]);
  });

  test("the webhook list asks for the tenant in the query, after the filters", () => {
    const req = buildRequest(op("list-webhooks"), { limit: "20", event: "uptime.up" }, auth, ORIGIN, { tenantId: "a b&c" });
    expect(req.url).toBe(`${ORIGIN}/api/v1/links/webhooks?limit=20&event=uptime.up&tenant_id=a+b%26c`);
  });

  test("the default tenant, an empty one, or none at all add nothing anywhere", () => {
    for (const id of ["create-webhook", "publish-event", "list-webhooks"]) {
      const plain = buildRequest(op(id), createValues, auth, ORIGIN);
      for (const context of [{ tenantId: DEFAULT_TENANT }, { tenantId: "" }, { tenantId: "  " }, {}]) {
        expect(buildRequest(op(id), createValues, auth, ORIGIN, context)).toEqual(plain);
      }
      expect(JSON.stringify(plain)).not.toContain("tenant_id");
    }
  });

  test("operations on an object by id never carry the tenant (a platform key reaches any tenant's)", () => {
    for (const o of OPERATIONS.filter((o) => o.tenant === undefined)) {
      const values = { id: "x_1", trafficSourceId: "t1", name: "n" };
      expect(buildRequest(o, values, auth, ORIGIN, acme)).toEqual(buildRequest(o, values, auth, ORIGIN));
    }
    // Event ids are unique per tenant only, so reading one event names the tenant too.
    expect(OPERATIONS.filter((o) => o.tenant !== undefined).map((o) => o.id)).toEqual([
      "create-webhook", "list-webhooks", "search-deliveries", "retry-deliveries", "publish-event", "list-events", "get-event",
    ]);
  });
});

describe("tenants, API keys and portal links", () => {
  const auth = { bearer: "platform", apiKey: "" };

  test("create or update a tenant: PUT with the id in the path, only filled fields in the body", () => {
    const req = buildRequest(op("put-tenant"), { id: "acme-retail", name: "Acme Retail", metadata: "" }, auth, ORIGIN);
    expect(req).toMatchObject({ method: "PUT", url: `${ORIGIN}/api/v1/tenants/acme-retail`, body: { name: "Acme Retail" } });
    expect(buildRequest(op("put-tenant"), { id: "acme", metadata: '{"plan": "pro"}' }, auth, ORIGIN).body).toEqual({ metadata: { plan: "pro" } });
  });

  test("list, get and delete tenants", () => {
    expect(buildRequest(op("list-tenants"), { limit: "100", cursor: "c1" }, auth, ORIGIN).url).toBe(`${ORIGIN}/api/v1/tenants?limit=100&cursor=c1`);
    expect(buildRequest(op("get-tenant"), { id: "acme" }, auth, ORIGIN)).toMatchObject({ method: "GET", url: `${ORIGIN}/api/v1/tenants/acme` });
    const del = buildRequest(op("delete-tenant"), { id: "acme" }, auth, ORIGIN);
    expect(del).toMatchObject({ method: "DELETE", url: `${ORIGIN}/api/v1/tenants/acme`, headers: [["Authorization", "Bearer platform"]] });
    expect(del.body).toBeUndefined();
  });

  test("a portal link: expires_in is a number, and the body is {} without it", () => {
    expect(buildRequest(op("create-portal-link"), { id: "acme", expires_in: "600" }, auth, ORIGIN)).toMatchObject({
      method: "POST", url: `${ORIGIN}/api/v1/tenants/acme/portal`, body: { expires_in: 600 },
    });
    expect(buildRequest(op("create-portal-link"), { id: "acme" }, auth, ORIGIN).body).toEqual({});
    expect(buildRequest(op("create-portal-link"), { id: "acme", expires_in: "1h" }, auth, ORIGIN).errors).toEqual({ expires_in: "Must be a whole number" });
  });

  test("API keys: create a tenant key, list by tenant and kind, who am I, revoke", () => {
    const create = buildRequest(op("create-api-key"), { name: "acme backend", tenant_id: "acme", can_publish: "true", expires_at: "" }, auth, ORIGIN);
    expect(create).toMatchObject({ method: "POST", url: `${ORIGIN}/api/v1/api-keys`, body: { name: "acme backend", tenant_id: "acme", can_publish: true } });
    // Without tenant_id it is a platform key: the picked tenant never fills it in.
    expect(buildRequest(op("create-api-key"), { name: "ops" }, auth, ORIGIN, { tenantId: "acme" }).body).toEqual({ name: "ops" });
    expect(buildRequest(op("list-api-keys"), { tenant_id: "acme", kind: "portal" }, auth, ORIGIN).url).toBe(`${ORIGIN}/api/v1/api-keys?tenant_id=acme&kind=portal`);
    expect(buildRequest(op("current-api-key"), {}, auth, ORIGIN)).toMatchObject({ method: "GET", url: `${ORIGIN}/api/v1/api-keys/current` });
    expect(buildRequest(op("revoke-api-key"), { id: "key_1" }, auth, ORIGIN)).toMatchObject({ method: "DELETE", url: `${ORIGIN}/api/v1/api-keys/key_1` });
  });
});

describe("operationsFor: what the key may do", () => {
  const ids = (caller: unknown) => operationsFor(caller).map((o: { id: string }) => o.id);
  const tenantOnly = [
    "create-webhook", "list-webhooks", "get-webhook", "update-webhook", "delete-webhook", "webhook-secret", "rotate-secret", "test-webhook",
    "list-deliveries", "get-delivery", "retry-delivery", "recover-deliveries", "search-deliveries", "retry-deliveries",
    "list-events", "get-event", "event-types", "current-api-key",
  ];

  test("an unknown key and a platform key are offered everything", () => {
    expect(operationsFor(undefined)).toBe(OPERATIONS);
    expect(operationsFor({ tenant_id: null, can_publish: true })).toBe(OPERATIONS);
  });

  test("a portal or tenant key: its webhooks and deliveries, no publish, tenants, keys, users or traffic sources", () => {
    expect(ids({ kind: "portal", tenant_id: "acme", can_publish: false })).toEqual(tenantOnly);
  });

  test("a tenant key made with can_publish may publish too", () => {
    const offered = ids({ kind: "api_key", tenant_id: "acme", can_publish: true });
    expect(offered.filter((id: string) => id !== "publish-event")).toEqual(tenantOnly);
    expect(offered).toContain("publish-event");
  });

  test("every API-key operation declares its scope; session and login operations have none", () => {
    for (const o of OPERATIONS) {
      if (o.auth === "apiKey") expect(["tenant", "publish", "platform"]).toContain(String(o.scope));
      else expect(o.scope).toBeUndefined();
    }
  });
});
