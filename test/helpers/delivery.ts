// A test app with a running delivery loop, and loopback receivers that record what arrives.
import { createDeliveryLoop, type DeliveryLoop } from "../../src/delivery/loop";
import type { Logger } from "../../src/log";
import { createTestApp, type TestApp } from "./app";

export interface DeliveryTestApp extends TestApp {
  loop: DeliveryLoop;
  /** Creates a webhook and returns its id and secret. */
  createWebhook(url: string, events?: string[], extra?: Record<string, unknown>): Promise<{ id: string; secret: string }>;
  publish(type: string, data: Record<string, unknown>, headers?: Record<string, string>): Promise<any>;
  shutdown(): Promise<void>;
}

/** Fast schedules by default; override with env. `logger` receives the loop's log lines. */
export function createDeliveryTestApp(env: Record<string, string> = {}, logger?: Logger): DeliveryTestApp {
  const base = createTestApp({
    DELIVERY_ALLOW_PRIVATE: "1",
    DELIVERY_RETRY_SCHEDULE: "0.05,0.05",
    DELIVERY_POLL_MS: "20",
    DELIVERY_TIMEOUT_MS: "2000",
    ...env,
  });
  const loop = createDeliveryLoop({ config: base.deps.config, store: base.deps.store, logger: logger ?? base.deps.logger });
  base.deps.wakeDelivery = loop.wake;
  base.deps.delivery = loop;
  loop.start();
  return {
    ...base,
    loop,
    async createWebhook(url, events = ["link.clicked"], extra = {}) {
      const res = await base.request("POST", "/api/v1/links/webhooks", { url, events, ...extra });
      if (res.status !== 201) throw new Error(`create webhook: ${res.status} ${res.text}`);
      const secret = await base.request("GET", `/api/v1/links/webhooks/${res.body.data.id}/secret`);
      return { id: res.body.data.id, secret: secret.body.data.secret };
    },
    async publish(type, data, headers) {
      return base.request("POST", "/api/v1/events", { type, data }, { headers });
    },
    async shutdown() {
      await loop.stop(200);
      base.close();
    },
  };
}

export interface ReceivedRequest {
  headers: Record<string, string>;
  body: string;
  at: number;
}

export interface Receiver {
  url: string;
  received: ReceivedRequest[];
  stop(): void;
}

/** A real HTTP server on 127.0.0.1; `respond` decides each answer (default 204). */
export function startReceiver(respond: (req: ReceivedRequest, index: number) => Response | Promise<Response> = () => new Response(null, { status: 204 })): Receiver {
  const received: ReceivedRequest[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const req = { headers: Object.fromEntries(request.headers), body: await request.text(), at: Date.now() };
      received.push(req);
      return respond(req, received.length - 1);
    },
  });
  return { url: `http://127.0.0.1:${server.port}/hook`, received, stop: () => server.stop(true) };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws). */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5000, what = "condition"): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(10);
  }
}
