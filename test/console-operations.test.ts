// The console's request builder (public/js/operations.js): the request each operation sends
// for given form values, before any snippet is made of it.
import { describe, expect, test } from "bun:test";
import { EVENT_CATALOGUE, OPERATIONS, TOKEN_PLACEHOLDER, buildRequest, findOperation, parseJsonField } from "../public/js/operations.js";
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
    expect(req.headers).toEqual([["Authorization", `Bearer ${TOKEN_PLACEHOLDER}`]]);
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
