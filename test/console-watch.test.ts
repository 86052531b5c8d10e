// What the console's Deliveries and Events views send (public/js/watch-requests.js through
// operations.js), how a 400 answer's field errors find their fields, and that the operation
// picker covers every operation of the served OpenAPI document.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { OPERATIONS, buildRequest, findOperation } from "../public/js/operations.js";
import {
  PAGE_SIZE, bulkRetryValues, deliverySearchValues, eventSearchValues, fieldErrorsFromAnswer, localTimeToIso, needsRetryConfirmation,
} from "../public/js/watch-requests.js";
import { relativeTime } from "../public/js/format.js";
import { createTestApp, type TestApp } from "./helpers/app";

const ORIGIN = "http://127.0.0.1:3000";
const op = (id: string) => findOperation(id)!;
const auth = { bearer: "hr_key", apiKey: "" };
const build = (id: string, values: Record<string, string>, tenantId?: string) => buildRequest(op(id), values, auth, ORIGIN, tenantId ? { tenantId } : {});

describe("the Deliveries view's requests", () => {
  test("no filter: the first page, newest first, with only the page size", () => {
    expect(build("search-deliveries", deliverySearchValues({})).url).toBe(`${ORIGIN}/api/v1/deliveries?limit=${PAGE_SIZE}`);
  });

  test("every filter and the cursor go into the query; the picked tenant after them", () => {
    const since = "2026-03-01T10:00:00";
    const values = deliverySearchValues({ status: "failed", webhookId: "whk_1", eventType: "link.clicked", since, until: "" }, "cur_2", 10);
    const url = new URL(build("search-deliveries", values, "acme").url);
    expect([...url.searchParams]).toEqual([
      ["status", "failed"], ["webhook_id", "whk_1"], ["event_type", "link.clicked"], ["since", new Date(since).toISOString()],
      ["limit", "10"], ["cursor", "cur_2"], ["tenant_id", "acme"],
    ]);
    expect(build("search-deliveries", values).method).toBe("GET");
  });

  test("a datetime-local value becomes the instant it names in the browser's zone; empty stays empty", () => {
    expect(localTimeToIso("2026-03-01T10:00")).toBe(new Date(2026, 2, 1, 10, 0).toISOString());
    expect(localTimeToIso("2026-03-01T10:00:30")).toBe(new Date(2026, 2, 1, 10, 0, 30).toISOString());
    expect(localTimeToIso("")).toBe("");
    expect(localTimeToIso("not a time")).toBe("");
  });

  test("bulk retry: the filters in the body, always the failed ones, the cursor of the last batch, no limit", () => {
    const filters = { status: "delivered", webhookId: "whk_1", eventType: "", since: "", until: "" };
    const first = build("retry-deliveries", bulkRetryValues(filters));
    expect(first).toMatchObject({ method: "POST", url: `${ORIGIN}/api/v1/deliveries/retry`, body: { status: "failed", webhook_id: "whk_1" } });
    expect(first.headers).toEqual([["Content-Type", "application/json"], ["Authorization", "Bearer hr_key"]]);
    expect(build("retry-deliveries", bulkRetryValues(filters, "cur_9"), "acme").body).toEqual({ status: "failed", webhook_id: "whk_1", cursor: "cur_9", tenant_id: "acme" });
  });

  test("one delivery: read and retry by id, without a tenant (delivery ids are global)", () => {
    expect(build("get-delivery", { id: "dlv_1" }, "acme")).toMatchObject({ method: "GET", url: `${ORIGIN}/api/v1/deliveries/dlv_1`, body: undefined });
    expect(build("retry-delivery", { id: "dlv_1" }, "acme")).toMatchObject({ method: "POST", url: `${ORIGIN}/api/v1/deliveries/dlv_1/retry`, body: undefined });
  });

  test("Retry asks first only for a delivered delivery", () => {
    expect(needsRetryConfirmation({ status: "delivered" })).toBe(true);
    for (const status of ["failed", "pending", "leased"]) expect(needsRetryConfirmation({ status })).toBe(false);
  });

  test("the next attempt is written relative to now", () => {
    const now = Date.parse("2026-03-01T10:00:00Z");
    expect(relativeTime("2026-03-01T10:00:04Z", now)).toBe("in 4 s");
    expect(relativeTime("2026-03-01T09:57:00Z", now)).toBe("3 min ago");
    expect(relativeTime("2026-03-01T13:00:00Z", now)).toBe("in 3 h");
    expect(relativeTime(null as unknown as string, now)).toBe("");
  });
});

describe("the Events view's requests", () => {
  test("type, since and until filter the list; the picked tenant is named", () => {
    const url = new URL(build("list-events", eventSearchValues({ type: "link.clicked", since: "", until: "2026-03-02T00:00" }, "c1"), "acme").url);
    expect([...url.searchParams]).toEqual([
      ["type", "link.clicked"], ["until", new Date(2026, 2, 2).toISOString()], ["limit", String(PAGE_SIZE)], ["cursor", "c1"], ["tenant_id", "acme"],
    ]);
  });

  test("one event names the tenant it belongs to (event ids are unique per tenant), none for the default", () => {
    expect(build("get-event", { id: "evt_1" }, "acme").url).toBe(`${ORIGIN}/api/v1/events/evt_1?tenant_id=acme`);
    expect(build("get-event", { id: "evt_1" }, "default").url).toBe(`${ORIGIN}/api/v1/events/evt_1`);
  });

  test("own event types: PUT with the name in the path, only what was filled in the body", () => {
    const req = build("put-event-type", { name: "order.created", description: "An order was placed.", schema: '{"type": "object"}', archived: "" });
    expect(req).toMatchObject({ method: "PUT", url: `${ORIGIN}/api/v1/event-types/order.created`, body: { description: "An order was placed.", schema: { type: "object" } } });
    expect(build("put-event-type", { name: "order.created", archived: "true" }).body).toEqual({ archived: true });
  });
});

describe("field errors of a 400 answer", () => {
  const answer = (details: unknown, status = 400) => ({ status, statusText: "", ms: 1, headers: [], text: "", isJson: true, json: { error: "Bad Request", message: "m", code: status, details } });

  test("each detail goes beside the field it names; deeper paths keep their place; several join", () => {
    const found = fieldErrorsFromAnswer(op("create-webhook"), answer([
      { field: "url", message: "Must be an absolute http(s) URL" },
      { field: "events[1]", message: "Unknown event" },
      { field: "events", message: "Must not be empty" },
      { field: "nonsense", message: "not a field of the form" },
    ]));
    expect(found).toEqual({ url: "Must be an absolute http(s) URL", events: "events[1]: Unknown event; Must not be empty" });
    expect(fieldErrorsFromAnswer(op("publish-event"), answer([{ field: "data.amount", message: "Must be a number" }]))).toEqual({ data: "data.amount: Must be a number" });
  });

  test("nothing for other statuses, answers without details, or a failed request", () => {
    expect(fieldErrorsFromAnswer(op("create-webhook"), answer([{ field: "url", message: "x" }], 409))).toEqual({});
    expect(fieldErrorsFromAnswer(op("create-webhook"), answer(undefined))).toEqual({});
    expect(fieldErrorsFromAnswer(op("create-webhook"), { error: "offline", ms: 1 })).toEqual({});
  });
});

describe("the operation picker covers the served OpenAPI document", () => {
  // Operational routes for probes and scrapers, not for people at a console.
  const OPERATIONAL = ["getHealth", "getReadiness", "getMetrics"];
  // Console operations whose route is being added on another branch; each name leaves this
  // list when its route is served.
  const AWAITING_ROUTE: string[] = [];
  let t: TestApp;
  let served: { operationId: string; method: string; path: string }[];

  beforeAll(async () => {
    t = createTestApp();
    const doc = (await t.request("GET", "/swagger/json", undefined, { auth: "none" })).body as any;
    served = Object.entries<any>(doc.paths).flatMap(([path, item]) =>
      Object.entries<any>(item)
        .filter(([method]) => ["get", "put", "post", "patch", "delete"].includes(method))
        .map(([method, operation]) => ({ operationId: operation.operationId, method: method.toUpperCase(), path })),
    );
  });
  afterAll(() => t.close());

  test("every served operation but the operational ones has a console operation", () => {
    const inConsole = new Set(OPERATIONS.map((o: { operationId: string }) => o.operationId));
    expect(served.length).toBeGreaterThan(30);
    expect(served.filter((s) => !OPERATIONAL.includes(s.operationId) && !inConsole.has(s.operationId)).map((s) => s.operationId)).toEqual([]);
  });

  test("every console operation is served, at its method and path", () => {
    const byId = new Map(served.map((s) => [s.operationId, s]));
    for (const o of OPERATIONS as { operationId: string; method: string; path: string }[]) {
      const route = byId.get(o.operationId);
      if (AWAITING_ROUTE.includes(o.operationId) && route === undefined) continue;
      expect(route, o.operationId).toBeDefined();
      expect({ method: o.method, path: o.path.replace(/:([A-Za-z]+)/g, "{$1}") }).toEqual({ method: route!.method, path: route!.path });
    }
  });

  test("the list of routes still awaited names only routes not yet served", () => {
    const ids = new Set(served.map((s) => s.operationId));
    // Once the route is served, its name must leave AWAITING_ROUTE (the test above then checks it).
    expect(AWAITING_ROUTE.filter((id) => ids.has(id))).toEqual([]);
  });
});

describe("the event catalogue follows the server", () => {
  test("own, non-archived types join the subscribe and publish fields, in the server's order", async () => {
    const { EVENT_CATALOGUE, PUBLISHABLE_CATALOGUE, setEventCatalogue } = await import("../public/js/operations.js");
    const before = [...EVENT_CATALOGUE];
    try {
      const types = [...before.map((name) => ({ name, built_in: true })), { name: "order.created", built_in: false }, { name: "order.old", archived: true }];
      expect(setEventCatalogue(types)).toBe(true);
      expect(EVENT_CATALOGUE).toEqual([...before, "order.created"]);
      // The publish type select holds the publishable part (not the operational events, which
      // only hookrelay publishes), kept in step with the catalogue.
      expect(PUBLISHABLE_CATALOGUE).toEqual([...before, "order.created"].filter((name) => name !== "webhook.disabled" && name !== "delivery.exhausted"));
      expect((op("publish-event").fields as any[]).find((f) => f.name === "type").options).toBe(PUBLISHABLE_CATALOGUE);
      const body = buildRequest(op("create-webhook"), { url: "https://x.example", events: ["order.created", "link.clicked"] }, auth, ORIGIN).body as { events: string[] };
      expect(body.events).toEqual(["link.clicked", "order.created"]);
      expect(setEventCatalogue(types)).toBe(false);
      expect(setEventCatalogue([])).toBe(false);
    } finally {
      setEventCatalogue(before.map((name) => ({ name })));
    }
    expect(EVENT_CATALOGUE).toEqual(before);
  });
});
