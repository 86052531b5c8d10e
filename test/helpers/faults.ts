// A delivery-enabled test app whose log lines are captured, plus misbehaving receivers: raw
// TCP servers that cut connections, HTTP servers that hang, drip or shout.
import { createLogger } from "../../src/log";
import { createDeliveryTestApp, waitFor, type DeliveryTestApp } from "./delivery";

export interface FaultApp extends DeliveryTestApp {
  logs: string[];
  /** Creates a webhook on `url`, publishes one event to it and returns the delivery id. */
  deliverTo(url: string): Promise<{ deliveryId: string; webhookId: string; eventId: string }>;
  /** Polls GET /api/v1/deliveries/:id until `done` accepts it. */
  waitDelivery(id: string, done: (d: any) => boolean, timeoutMs?: number): Promise<any>;
  /** The loop's "delivery attempt" log lines for one delivery. */
  attemptLogs(deliveryId: string): Record<string, unknown>[];
}

export function createFaultApp(env: Record<string, string> = {}): FaultApp {
  const logs: string[] = [];
  const t = createDeliveryTestApp(
    { DELIVERY_TIMEOUT_MS: "500", ...env },
    createLogger("debug", (line) => logs.push(line)),
  );
  return {
    ...t,
    logs,
    async deliverTo(url) {
      const hook = await t.request("POST", "/api/v1/links/webhooks", { url, events: ["link.clicked"] });
      if (hook.status !== 201) throw new Error(`create webhook: ${hook.status} ${hook.text}`);
      const published = await t.request("POST", "/api/v1/events", { type: "link.clicked", data: { n: 1 } });
      if (published.status !== 202) throw new Error(`publish: ${published.status} ${published.text}`);
      const eventId = published.body.data.id as string;
      const deliveryId = t.deps.db.$client
        .prepare("select id from deliveries where event_id = ? and webhook_id = ?")
        .pluck()
        .get(eventId, hook.body.data.id) as string;
      return { deliveryId, webhookId: hook.body.data.id, eventId };
    },
    async waitDelivery(id, done, timeoutMs = 10_000) {
      return waitFor(async () => {
        const res = await t.request("GET", `/api/v1/deliveries/${id}`);
        return res.status === 200 && done(res.body.data) ? res.body.data : undefined;
      }, timeoutMs, `delivery ${id}`);
    },
    attemptLogs(deliveryId) {
      return logs
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.msg === "delivery attempt" && entry.delivery_id === deliveryId);
    },
  };
}

export interface RawServer {
  port: number;
  connections: number;
  stop(): void;
}

/** A TCP server that runs `onRequest` with each connection's first bytes: it may write and cut. */
export function rawServer(onRequest: (socket: import("bun").Socket<unknown>, count: number, firstBytes: Buffer) => void): RawServer {
  const state = { connections: 0 };
  const answered = new WeakSet<object>();
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open() {
        state.connections++;
      },
      data(socket, bytes) {
        // Called per chunk; act once per connection, on its first bytes.
        if (answered.has(socket)) return;
        answered.add(socket);
        onRequest(socket, state.connections, bytes);
      },
    },
  });
  return {
    port: server.port,
    get connections() {
      return state.connections;
    },
    stop: () => server.stop(true),
  };
}
