// OpenTelemetry traces on real processes: the server exports to a local OTLP/HTTP endpoint;
// a publish carrying a W3C traceparent gets a server span that is its child, and every delivery
// attempt of that event (also one made after a restart, by another process) is a child of that
// publish span. Without the OTEL variables, no OpenTelemetry module is loaded at all.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { ADMIN_KEY, tempDir } from "./helpers/app";
import { startReceiver, waitFor } from "./helpers/delivery";
import { startServerProcess, type ServerProcess } from "./helpers/process";

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number>;
  service: string;
}

/** An OTLP/HTTP traces endpoint on 127.0.0.1 that keeps what it is sent. */
function startCollector() {
  const spans: ExportedSpan[] = [];
  const raw: { contentType: string; body: Uint8Array }[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      if (request.method !== "POST" || new URL(request.url).pathname !== "/v1/traces") return new Response(null, { status: 404 });
      const contentType = request.headers.get("content-type") ?? "";
      const body = new Uint8Array(await request.arrayBuffer());
      raw.push({ contentType, body });
      if (contentType.startsWith("application/json")) {
        const payload = JSON.parse(new TextDecoder().decode(body));
        for (const rs of payload.resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a: { key: string }) => a.key === "service.name")?.value?.stringValue;
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              const attributes: Record<string, string | number> = {};
              for (const a of s.attributes ?? []) attributes[a.key] = a.value.stringValue ?? Number(a.value.intValue);
              spans.push({ traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, name: s.name, kind: s.kind, attributes, service });
            }
          }
        }
      }
      return Response.json({});
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, spans, raw, stop: () => server.stop(true) };
}

const dir = tempDir("hookrelay-tracing-");
const servers: ServerProcess[] = [];
const collector = startCollector();
afterAll(async () => {
  for (const s of servers) await s.kill();
  collector.stop();
  rmSync(dir, { recursive: true, force: true });
});

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN_ID = "00f067aa0ba902b7";

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServerProcess({
    ADMIN_API_KEY: ADMIN_KEY,
    DELIVERY_ALLOW_PRIVATE: "1",
    DELIVERY_POLL_MS: "50",
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_BSP_SCHEDULE_DELAY: "50",
    OTEL_SERVICE_NAME: "hookrelay-under-test",
    ...env,
  });
  servers.push(server);
  return server;
}

async function api(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe("traces over OTLP/HTTP", () => {
  test("publish span is the caller's child; attempt spans are its children, also after a restart", async () => {
    // The first attempt fails, the retry (1 s later) is made by the next process.
    const receiver = startReceiver((_, i) => new Response(i === 0 ? "not yet" : null, { status: i === 0 ? 500 : 204 }));
    const env = { DATABASE_PATH: join(dir, "restart.db"), OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", DELIVERY_RETRY_SCHEDULE: "1" };
    try {
      const first = await start(env);
      const created = await api(first.url, "POST", "/api/v1/links/webhooks", { url: receiver.url, events: ["link.clicked"] });
      expect(created.status).toBe(201);
      const webhookId = created.body.data.id;
      const published = await api(first.url, "POST", "/api/v1/events", { type: "link.clicked", data: { n: 1 } }, {
        traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01`,
      });
      expect(published.status).toBe(202);
      const eventId = published.body.data.id;
      await waitFor(() => receiver.received.length >= 1, 10_000, "the first attempt");
      expect(await first.stop()).toBe(0); // SIGTERM: buffered spans are exported before the exit

      const publish = collector.spans.find((s) => s.name === "POST /api/v1/events");
      expect(publish).toMatchObject({
        traceId: TRACE_ID,
        parentSpanId: CALLER_SPAN_ID,
        kind: 2, // SERVER
        service: "hookrelay-under-test",
        attributes: { "http.route": "/api/v1/events", "http.request.method": "POST", "http.response.status_code": 202, "hookrelay.event_id": eventId },
      });
      const create = collector.spans.find((s) => s.name === "POST /api/v1/links/webhooks");
      expect(create?.attributes["http.response.status_code"]).toBe(201);
      expect(create?.traceId).not.toBe(TRACE_ID); // no traceparent: a trace of its own

      const attempts = () => collector.spans.filter((s) => s.name === "delivery attempt");
      const failed = await waitFor(() => attempts()[0], 5000, "the first attempt's span");
      expect(failed).toMatchObject({
        traceId: TRACE_ID,
        parentSpanId: publish!.spanId,
        kind: 3, // CLIENT
        attributes: {
          "hookrelay.webhook_id": webhookId,
          "hookrelay.event_id": eventId,
          "hookrelay.delivery.attempt": 1,
          "hookrelay.delivery.outcome": "retry",
          "http.response.status_code": 500,
        },
      });
      const deliveryId = failed.attributes["hookrelay.delivery_id"];
      expect(deliveryId).toMatch(/^dlv_/);

      // Another process delivers the retry: its span still hangs under the publish span.
      const second = await start(env);
      await waitFor(() => receiver.received.length >= 2, 10_000, "the retry");
      const retried = await waitFor(() => attempts()[1], 5000, "the retry's span");
      expect(retried).toMatchObject({
        traceId: TRACE_ID,
        parentSpanId: publish!.spanId,
        attributes: { "hookrelay.delivery_id": deliveryId, "hookrelay.delivery.attempt": 2, "hookrelay.delivery.outcome": "delivered", "http.response.status_code": 204 },
      });
      expect(await second.stop()).toBe(0);
    } finally {
      receiver.stop();
    }
  }, 60_000);

  test("a test event's attempt is a child of the request that sent it", async () => {
    const receiver = startReceiver();
    try {
      const server = await start({ DATABASE_PATH: join(dir, "test-event.db"), OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" });
      const created = await api(server.url, "POST", "/api/v1/links/webhooks", { url: receiver.url, events: ["link.clicked"] });
      const traceId = "5bf92f3577b34da6a3ce929d0e0e4737";
      const sent = await api(server.url, "POST", `/api/v1/links/webhooks/${created.body.data.id}/test`, undefined, { traceparent: `00-${traceId}-${CALLER_SPAN_ID}-01` });
      expect(sent.status).toBe(202);
      await waitFor(() => receiver.received.length >= 1, 10_000, "the test delivery");
      expect(await server.stop()).toBe(0);
      const request = collector.spans.find((s) => s.traceId === traceId && s.name === "POST /api/v1/links/webhooks/:id/test");
      expect(request).toMatchObject({ parentSpanId: CALLER_SPAN_ID, attributes: { "hookrelay.event_id": sent.body.data.id, "hookrelay.delivery_id": sent.body.data.delivery_id } });
      const attempt = collector.spans.find((s) => s.traceId === traceId && s.name === "delivery attempt");
      expect(attempt).toMatchObject({ parentSpanId: request!.spanId, attributes: { "hookrelay.delivery_id": sent.body.data.delivery_id, "hookrelay.delivery.outcome": "delivered" } });
    } finally {
      receiver.stop();
    }
  }, 30_000);

  test("the default protocol is OTLP protobuf", async () => {
    const receiver = startReceiver();
    try {
      const server = await start({ DATABASE_PATH: join(dir, "proto.db") });
      const created = await api(server.url, "POST", "/api/v1/links/webhooks", { url: receiver.url, events: ["link.clicked"] });
      const traceId = "0af7651916cd43dd8448eb211c80319c";
      await api(server.url, "POST", "/api/v1/events", { type: "link.clicked", data: {} }, { traceparent: `00-${traceId}-b7ad6b7169203331-01` });
      await waitFor(() => receiver.received.length >= 1, 10_000, "the delivery");
      expect(await server.stop()).toBe(0);
      const proto = collector.raw.filter((r) => r.contentType === "application/x-protobuf");
      expect(proto.length).toBeGreaterThan(0);
      const bytes = Buffer.concat(proto.map((r) => r.body));
      // Protobuf carries ids as raw bytes and names as UTF-8: both spans of this trace are there.
      expect(bytes.includes(Buffer.from(traceId, "hex"))).toBe(true);
      expect(bytes.includes(Buffer.from("POST /api/v1/events"))).toBe(true);
      expect(bytes.includes(Buffer.from("delivery attempt"))).toBe(true);
      expect(bytes.includes(Buffer.from(created.body.data.id))).toBe(true);
    } finally {
      receiver.stop();
    }
  }, 30_000);
});

describe("a collector that is down", () => {
  test("requests are answered as usual and one warning says spans cannot be exported", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const deadPort = closed.port;
    closed.stop(true);
    const server = await startServerProcess({
      ADMIN_API_KEY: ADMIN_KEY, DATABASE_PATH: join(dir, "down.db"),
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://user:secret@127.0.0.1:${deadPort}`, OTEL_BSP_SCHEDULE_DELAY: "50", OTEL_EXPORTER_OTLP_TIMEOUT: "500",
    });
    servers.push(server);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(server.url + "/api/v1/event-types", { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      expect(res.status).toBe(200);
    }
    await server.waitForOutput(/tracing: exporting spans failed.*\n/, 30_000);
    const out = server.output();
    const warnings = out.split("\n").filter((l) => l.includes("tracing: exporting spans failed"));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: "warn", endpoint: `http://127.0.0.1:${deadPort}/v1/traces` });
    expect(out).not.toContain("secret");
    expect(await server.stop()).toBe(0);
  }, 45_000);
});

describe("without the OTEL variables", () => {
  test("no OpenTelemetry module is loaded, and a publish's traceparent is still stored", async () => {
    const script = `
      const { startServer } = await import(${JSON.stringify(join(import.meta.dir, "../src/server.ts"))});
      const { loadConfig } = await import(${JSON.stringify(join(import.meta.dir, "../src/config.ts"))});
      const env = { DATABASE_PATH: ${JSON.stringify(join(dir, "off.db"))}, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", ADMIN_API_KEY: ${JSON.stringify(ADMIN_KEY)} };
      const s = await startServer(loadConfig(env));
      const res = await fetch(s.url + "/api/v1/events", { method: "POST", headers: { authorization: "Bearer ${ADMIN_KEY}", "content-type": "application/json", traceparent: "00-${TRACE_ID}-${CALLER_SPAN_ID}-01" }, body: JSON.stringify({ type: "link.clicked", data: {} }) });
      const id = (await res.json()).data.id;
      const row = s.deps.db.$client.prepare("SELECT trace_parent FROM events WHERE id = ?").get(id);
      const loaded = Object.keys(require.cache).filter((k) => k.includes("@opentelemetry"));
      console.log(JSON.stringify({ status: res.status, stored: row.trace_parent, loaded: loaded.length, modules: Object.keys(require.cache).length }));
      await s.stop();`;
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OTEL_")));
    const proc = Bun.spawn([process.execPath, "-e", script], { env, stdout: "pipe", stderr: "pipe", cwd: dir });
    const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
    const [out, err] = [await new Response(proc.stdout).text(), await new Response(proc.stderr).text()];
    clearTimeout(timer);
    expect(await proc.exited).toBe(0);
    const result = JSON.parse(out.trim().split("\n").pop()!);
    expect(err).toBe("");
    expect(result).toMatchObject({ status: 202, stored: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01`, loaded: 0 });
    expect(result.modules).toBeGreaterThan(100); // the cache really lists what was loaded
  }, 30_000);
});
