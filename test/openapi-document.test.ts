// The OpenAPI document at /swagger/json as a contract: valid under `redocly lint` (the
// recommended ruleset, redocly.yaml), and complete where generated clients depend on it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTestApp, type TestApp } from "./helpers/app";
import { signIn } from "./helpers/sessions";

const ROOT = join(import.meta.dir, "..");
const METHODS = ["get", "put", "post", "delete", "patch"];

let t: TestApp;
let doc: any;

beforeAll(async () => {
  t = createTestApp();
  doc = (await t.request("GET", "/swagger/json", undefined, { auth: "none" })).body;
});
afterAll(() => t.close());

function operations(): [string, string, any][] {
  return Object.entries(doc.paths).flatMap(([path, item]: [string, any]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => [path, method, op] as [string, string, any]),
  );
}

/** Every JSON Schema object in the document, with where it is. */
function schemas(): [string, any][] {
  const found: [string, any][] = [];
  const visit = (node: unknown, at: string, isSchema: boolean) => {
    if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${at}/${i}`, isSchema));
    if (typeof node !== "object" || node === null) return;
    if (isSchema) found.push([at, node]);
    for (const [key, value] of Object.entries(node)) {
      if (key === "example" || key === "examples") continue;
      const childIsSchema = key === "schema" || (isSchema && ["items", "anyOf", "oneOf", "allOf", "additionalProperties", "not"].includes(key));
      if (isSchema && key === "properties") {
        for (const [name, child] of Object.entries(value as object)) visit(child, `${at}/properties/${name}`, true);
      } else visit(value, `${at}/${key}`, childIsSchema);
    }
  };
  visit(doc, "#", false);
  for (const [name, schema] of Object.entries(doc.components.schemas)) visit(schema, `#/components/schemas/${name}`, true);
  return found;
}

describe("redocly lint", () => {
  test("the served document has no errors and no warnings under the recommended ruleset", async () => {
    const file = join(t.dir, "openapi.json");
    writeFileSync(file, JSON.stringify(doc, null, 2));
    // Offline: telemetry off (also in redocly.yaml), no update check.
    const lint = Bun.spawn(
      [process.execPath, join(ROOT, "node_modules/@redocly/cli/lib/index.js"), "lint", file, "--config", join(ROOT, "redocly.yaml"), "--format", "json"],
      { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", CI: "true" } },
    );
    const timer = setTimeout(() => lint.kill(), 60_000);
    const [out, err] = await Promise.all([new Response(lint.stdout).text(), new Response(lint.stderr).text()]);
    await lint.exited;
    clearTimeout(timer);
    const report = JSON.parse(out);
    const problems = report.problems.map((p: any) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer}`);
    expect(problems).toEqual([]);
    expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
    expect(lint.exitCode, err).toBe(0);
  }, 70_000);

  test("redocly.yaml names a reason for every rule it turns off", async () => {
    const config = await Bun.file(join(ROOT, "redocly.yaml")).text();
    const lines = config.split("\n");
    lines.forEach((line, i) => {
      if (/:\s*off\s*$/.test(line) && !line.startsWith("telemetry")) expect(lines[i - 1]).toMatch(/^\s*#/);
    });
  });
});

describe("the document", () => {
  test("is OpenAPI 3.1 with servers, tags and the three security schemes", () => {
    expect(doc.openapi).toStartWith("3.1.");
    expect(doc.servers.length).toBeGreaterThan(0);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(["apiKeyHeader", "bearerAuth", "sessionToken"]);
    const tags = new Set(doc.tags.map((tag: any) => tag.name));
    for (const [, , op] of operations()) for (const tag of op.tags) expect(tags.has(tag)).toBe(true);
  });

  test("operation ids are readable names, not paths", () => {
    const ids = operations().map(([, , op]) => op.operationId);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z]+$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(
      expect.arrayContaining([
        "createWebhook", "listWebhooks", "getWebhook", "updateWebhook", "deleteWebhook", "getWebhookSecret", "rotateWebhookSecret",
        "testWebhook", "recoverWebhookDeliveries", "listWebhookDeliveries", "getDelivery", "retryDelivery", "publishEvent",
        "listEventTypes", "createUser", "login", "createTrafficSource", "createTrafficSourceWebhook", "raiseAlert",
      ]),
    );
  });

  test("named schemas are declared once and referred to", () => {
    const names = Object.keys(doc.components.schemas);
    expect(names).toEqual(expect.arrayContaining(["Webhook", "CreatedWebhook", "Delivery", "Attempt", "Event", "Error", "User", "TrafficSource", "TrafficSourceWebhook", "WebhookPayload"]));
    const text = JSON.stringify(doc);
    for (const name of names) expect(text).toContain(`"#/components/schemas/${name}"`);
    const get = doc.paths["/api/v1/links/webhooks/{id}"].get.responses["200"].content["application/json"].schema;
    expect(get.properties.data).toEqual({ $ref: "#/components/schemas/Webhook" });
    expect(doc.paths["/webhooks/{trafficSourceId}"].post.requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/CreateTrafficSourceWebhookRequest",
    });
  });

  test("integers are integers: no string-or-number coercion, `limit` is an integer query parameter", () => {
    for (const [at, schema] of schemas()) {
      if (schema.format === "integer" || schema.format === "numeric") throw new Error(`coercion schema at ${at}`);
    }
    const delivery = doc.components.schemas.Delivery.properties;
    expect(delivery.attempts.type).toBe("integer");
    expect(doc.components.schemas.Attempt.properties.duration_ms.type).toBe("integer");
    expect(doc.components.schemas.Event.properties.deliveries.type).toBe("integer");
    for (const path of ["/api/v1/links/webhooks", "/api/v1/links/webhooks/{id}/deliveries"]) {
      const limit = doc.paths[path].get.parameters.find((p: any) => p.name === "limit");
      expect(limit.schema).toMatchObject({ type: "integer", minimum: 1, maximum: 100, default: 20 });
    }
  });

  test("validation-only keywords stay out of it", () => {
    for (const [at, schema] of schemas()) {
      for (const key of Object.keys(schema)) {
        if (key === "error" || key.startsWith("x-")) throw new Error(`${key} in the schema at ${at}`);
      }
      if (schema.additionalProperties === false) throw new Error(`additionalProperties: false at ${at} (unknown fields are ignored)`);
    }
  });

  test("request bodies are JSON only, as the server accepts", () => {
    for (const [path, method, op] of operations()) {
      if (op.requestBody) expect([path, method, Object.keys(op.requestBody.content)]).toEqual([path, method, ["application/json"]]);
    }
    expect(doc.paths["/api/v1/links/webhooks"].post.requestBody.required).toBe(true);
  });

  test("every response has a description, an example and x-request-id; 429 and 503 document Retry-After", () => {
    for (const [path, method, op] of operations()) {
      expect([method, path, op.responses["500"]?.content["application/json"].schema]).toEqual([method, path, { $ref: "#/components/schemas/Error" }]);
      for (const [status, response] of Object.entries(op.responses) as [string, any][]) {
        const where = `${method} ${path} ${status}`;
        expect([where, typeof response.description]).toEqual([where, "string"]);
        expect(response.description).not.toStartWith("Response for status");
        expect([where, response.headers["x-request-id"]]).toEqual([where, { $ref: "#/components/headers/RequestId" }]);
        if (status === "429" || status === "503") expect([where, response.headers["Retry-After"]]).toEqual([where, { $ref: "#/components/headers/RetryAfter" }]);
        if (status === "204") {
          expect(response.content).toBeUndefined();
          continue;
        }
        const media = Object.values(response.content) as any[];
        expect([where, media.length]).toEqual([where, 1]);
        expect([where, media[0].example === undefined]).toEqual([where, false]);
      }
    }
    const publish = doc.paths["/api/v1/events"].post.responses["202"];
    expect(publish.headers["Idempotent-Replayed"]).toMatchObject({ schema: { const: "true" } });
    expect(doc.paths["/auth/login"].post.responses["429"]).toBeDefined();
  });

  test("error examples are the envelope with the route's own message", () => {
    const get = doc.paths["/api/v1/deliveries/{id}"].get.responses;
    expect(get["404"].content["application/json"].example).toEqual({ error: "Not Found", message: "No delivery with id dlv_9Xc2LmQ4rT7vB1nK8pZ3aW", code: 404 });
    const create = doc.paths["/webhooks/{trafficSourceId}"].post.responses;
    expect(create["401"].content["application/json"].example.message).toBe("The authentication token is invalid or has expired. Sign in again with POST /auth/login");
    const list = doc.paths["/traffic-sources"].get.responses["400"].content["application/json"].example;
    expect(list.details).toEqual([{ field: "authorization", message: "Is required" }]);
    expect(create["409"].content["application/json"].example.message).toBe("A webhook for this severity level already exists on this traffic source");
    const bad = doc.paths["/api/v1/links/webhooks"].post.responses["400"].content["application/json"].example;
    expect(bad).toEqual({
      error: "Bad Request",
      message: "The request contains invalid parameters or malformed data",
      code: 400,
      details: [{ field: "url", message: "Must be an absolute http(s) URL of at most 2048 characters" }],
    });
  });

  test("every operation that takes input documents its 4xx answers", () => {
    for (const [path, method, op] of operations()) {
      if (op.tags.includes("Operations")) continue;
      expect([method, path, Object.keys(op.responses).some((s) => s.startsWith("4"))]).toEqual([method, path, true]);
    }
  });

  test("the webhooks section documents what hookrelay sends: the envelope and the webhook-* headers", () => {
    const receive = doc.webhooks.event.post;
    const headers = receive.parameters.filter((p: any) => p.in === "header").map((p: any) => p.name);
    expect(headers).toEqual(expect.arrayContaining(["webhook-id", "webhook-timestamp", "webhook-signature"]));
    expect(receive.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/WebhookPayload" });
    const payload = doc.components.schemas.WebhookPayload;
    expect(Object.keys(payload.properties)).toEqual(["id", "type", "created_at", "data"]);
    expect(payload.required).toEqual(["id", "type", "created_at", "data"]);
    expect(receive.parameters.find((p: any) => p.name === "webhook-signature").description).toContain("`v1a,`");
  });

  test("the operational events are documented with their data, each its own named schema", () => {
    for (const [type, name, fields] of [
      ["webhook.disabled", "WebhookDisabledEvent", ["webhook_id", "url", "reason", "disabled_reason", "delivery_id", "last_status_code", "last_error", "disabled_at", "tenant_id"]],
      ["delivery.exhausted", "DeliveryExhaustedEvent", ["delivery_id", "event_id", "event_type", "webhook_id", "url", "reason", "attempts", "last_status_code", "last_error", "failed_at", "tenant_id"]],
    ] as const) {
      expect(doc.webhooks[type].post.requestBody.content["application/json"].schema).toEqual({ $ref: `#/components/schemas/${name}` });
      const schema = doc.components.schemas[name];
      expect(Object.keys(schema.properties)).toEqual(["id", "type", "created_at", "data"]);
      expect(Object.keys(schema.properties.data.properties)).toEqual([...fields]);
    }
  });

  test("is the same after every kind of route has run (Elysia changes schemas when a route first runs)", async () => {
    const used = createTestApp();
    try {
      const user = await signIn(used, "ops@example.com");
      const hook = await used.request("POST", "/api/v1/links/webhooks", { url: "https://example.com/hook", events: ["link.clicked"] });
      await used.request("GET", "/api/v1/links/webhooks?limit=5");
      await used.request("GET", `/api/v1/links/webhooks/${hook.body.data.id}`);
      await used.request("PATCH", `/api/v1/links/webhooks/${hook.body.data.id}`, { active: true });
      await used.request("POST", "/api/v1/events", { type: "link.clicked", data: {} });
      await used.request("GET", `/api/v1/links/webhooks/${hook.body.data.id}/deliveries`);
      await used.request("GET", "/api/v1/deliveries/dlv_unknown");
      await used.request("POST", "/api/v1/users", { email: "x" });
      await used.request("POST", "/auth/login", { email: "ops@example.com", password: "wrong password" }, { auth: "none" });
      const source = await used.request("POST", "/traffic-sources", { name: "Checkout" }, { auth: user.auth });
      await used.request("POST", `/webhooks/${source.body.id}`, { type: "discord", level: "fatal", value: "123456789" }, { auth: user.auth });
      await used.request("POST", `/traffic-sources/${source.body.id}/events`, { level: "info", title: "t", message: "m" }, { auth: user.auth });
      await used.request("GET", "/ready", undefined, { auth: "none" });
      const after = (await used.request("GET", "/swagger/json", undefined, { auth: "none" })).body;
      expect(after).toEqual(doc);
    } finally {
      used.close();
    }
  });
});
