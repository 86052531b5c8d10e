// Logs as an operator and a developer read them: JSON by default, LOG_FORMAT=pretty one line per
// entry (colour only when asked for a terminal), scrapes and probes at debug, and the ids that
// let one event be followed from its publish line to its attempt lines.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { buildApp } from "../src/app";
import { ConfigError, loadConfig } from "../src/config";
import { createLogger } from "../src/log";
import { ADMIN_KEY } from "./helpers/app";
import { createDeliveryTestApp, startReceiver, waitFor } from "./helpers/delivery";
import { DEV_ENTRY, runCommand, startServerProcess } from "./helpers/process";
import { tempDir } from "./helpers/app";

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

describe("LOG_FORMAT", () => {
  test("json is the default: one object per line", () => {
    const lines: string[] = [];
    createLogger("info", (l) => lines.push(l)).info("request", { status: 202, path: "/a b" });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith("\n")).toBe(true);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "info", msg: "request", status: 202, path: "/a b" });
    expect(loadConfig({}).logFormat).toBe("json");
  });

  test("pretty: time, level, message and key=value fields on one line; no colour unless asked", () => {
    const lines: string[] = [];
    const logger = createLogger("debug", (l) => lines.push(l), "pretty");
    logger.warn("delivery attempt", { delivery_id: "dlv_1", error: 'timed out "later"', nested: { a: 1 }, skipped: undefined, stack: "Error: x\n    at y" });
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  delivery attempt delivery_id=dlv_1 error="timed out \\"later\\"" nested=\{"a":1\} stack="Error: x\\n    at y"\n$/);
    expect(lines[0]!.split("\n")).toHaveLength(2); // exactly one line, even with a stack
    expect(lines[0]).not.toContain("\x1b[");
    const coloured: string[] = [];
    createLogger("info", (l) => coloured.push(l), "pretty", true).error("boom", { code: 1 });
    expect(coloured[0]).toContain("\x1b[31mERROR");
  });

  test("a bad LOG_FORMAT (or OTEL variable) stops start-up with one line naming it", async () => {
    expect(() => loadConfig({ LOG_FORMAT: "xml" })).toThrow(new ConfigError('LOG_FORMAT must be one of json, pretty, got "xml"'));
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" })).toThrow(/^OTEL_EXPORTER_OTLP_ENDPOINT must be an absolute http\(s\) URL/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).toThrow(/^OTEL_EXPORTER_OTLP_PROTOCOL must be http\/protobuf or http\/json/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_TRACES_SAMPLER: "sometimes" })).toThrow(/^OTEL_TRACES_SAMPLER must be one of/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "2" })).toThrow(/^OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_BSP_SCHEDULE_DELAY: "soon" })).toThrow(/^OTEL_BSP_SCHEDULE_DELAY must be an integer/);
    expect(loadConfig({}).tracing).toBeNull();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" }).tracing).toBeNull();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/" }).tracing).toMatchObject({ url: "http://c:4318/v1/traces", protocol: "http/protobuf", serviceName: "hookrelay" });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://t.example/traces" }).tracing?.url).toBe("https://t.example/traces");

    const { code, stderr } = await runCommand([...DEV_ENTRY, "serve"], { env: { LOG_FORMAT: "xml", DATABASE_PATH: ":memory:", PORT: "0" }, timeoutMs: 15_000 });
    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toContain("LOG_FORMAT");
  });

  test("serve with LOG_FORMAT=pretty writes readable lines, without colour into a pipe", async () => {
    const dir = tempDir("hookrelay-pretty-");
    const server = await startServerProcess({ LOG_FORMAT: "pretty", DATABASE_PATH: join(dir, "p.db"), ADMIN_API_KEY: ADMIN_KEY });
    cleanup.push(() => server.kill());
    expect((await fetch(server.url + "/api/v1/event-types", { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).status).toBe(200);
    const [, line] = await server.waitForOutput(/^(.* request .*)\n/m, 5000);
    expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  request request_id=\S+ method=GET path=\/api\/v1\/event-types route=\/api\/v1\/event-types status=200 duration_ms=[\d.]+$/);
    expect(server.output()).not.toContain("\x1b[");
    expect(await server.stop()).toBe(0);
  }, 30_000);
});

describe("request and attempt lines", () => {
  test("health, readiness and metrics are logged at debug; publish lines carry event_id, attempt lines the same event_id", async () => {
    const rx = startReceiver();
    const lines: string[] = [];
    const logger = createLogger("info", (l) => lines.push(l));
    const app = createDeliveryTestApp({}, logger);
    cleanup.push(() => rx.stop(), () => app.shutdown(), () => app.close());
    const handle = buildApp({ ...app.deps, logger }).handle;
    const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      handle(new Request(`http://localhost${path}`, { method, headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) }));
    for (const path of ["/health", "/ready", "/metrics"]) expect((await call("GET", path)).status).toBeLessThan(600);
    await app.createWebhook(rx.url);
    const published = await call("POST", "/api/v1/events", { type: "link.clicked", data: {} }, { "x-request-id": "req-publish-1" });
    expect(published.status).toBe(202);
    const eventId = ((await published.json()) as any).data.id;
    await waitFor(() => rx.received.length === 1, 5000, "the delivery");
    await waitFor(() => lines.some((l) => l.includes('"msg":"delivery attempt"')), 5000, "the attempt line");
    await Bun.sleep(20); // the request lines are written after the response

    const entries = lines.map((l) => JSON.parse(l));
    const requests = entries.filter((e) => e.msg === "request");
    expect(requests.map((e) => e.path)).not.toContain("/health");
    expect(requests.map((e) => e.path)).not.toContain("/ready");
    expect(requests.map((e) => e.path)).not.toContain("/metrics");
    const publishLine = requests.find((e) => e.path === "/api/v1/events");
    expect(publishLine).toMatchObject({ level: "info", request_id: "req-publish-1", event_id: eventId, route: "/api/v1/events", status: 202 });
    const attempt = entries.find((e) => e.msg === "delivery attempt");
    expect(attempt).toMatchObject({ level: "info", event_id: eventId, outcome: "delivered", status_code: 204 });
    expect(attempt.delivery_id).toMatch(/^dlv_/);

    // The retry route names its delivery.
    const retried = await call("POST", `/api/v1/deliveries/${attempt.delivery_id}/retry`);
    expect(retried.status).toBe(202);
    await waitFor(() => lines.map((l) => JSON.parse(l)).find((e) => e.msg === "request" && e.route === "/api/v1/deliveries/:id/retry"), 2000, "the retry line");
    expect(lines.map((l) => JSON.parse(l)).find((e) => e.route === "/api/v1/deliveries/:id/retry")).toMatchObject({ delivery_id: attempt.delivery_id });

    // At debug the probes are written, at level debug.
    const debugLines: string[] = [];
    const debugApp = buildApp({ ...app.deps, logger: createLogger("debug", (l) => debugLines.push(l)) });
    await debugApp.handle(new Request("http://localhost/health"));
    await waitFor(() => debugLines.length > 0, 2000, "the health line");
    expect(JSON.parse(debugLines[0]!)).toMatchObject({ level: "debug", msg: "request", path: "/health", status: 200 });
  });
});
