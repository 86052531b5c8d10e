// The JSON body reader has two paths: a declared Content-Length is read natively, a chunked
// body (no Content-Length) is read as a stream and cut off at 1 MiB. Both over real sockets.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ADMIN_KEY, createTestApp, type TestApp } from "./helpers/app";

let app: TestApp;
let base: string;
let server: { stop(closeActiveConnections?: boolean): void };
const headers = { "content-type": "application/json", authorization: `Bearer ${ADMIN_KEY}` };
const webhook = JSON.stringify({ url: "https://hooks.example.com/in", events: ["link.clicked"] });

function chunked(parts: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    pull(controller) {
      const next = parts.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(encoder.encode(next));
    },
  });
}

beforeAll(() => {
  app = createTestApp();
  const listening = app.app.listen({ port: 0, hostname: "127.0.0.1" });
  server = listening.server!;
  base = `http://127.0.0.1:${listening.server!.port}`;
});
afterAll(() => {
  server.stop(true);
  app.close();
});

test("a body with Content-Length is read whole", async () => {
  const res = await fetch(`${base}/api/v1/links/webhooks`, { method: "POST", headers, body: webhook });
  expect(res.status).toBe(201);
});

test("a chunked body without Content-Length is read too", async () => {
  const body = chunked([webhook.slice(0, 10), webhook.slice(10)]);
  const res = await fetch(`${base}/api/v1/links/webhooks`, { method: "POST", headers, body, duplex: "half" } as RequestInit);
  expect(res.status).toBe(201);
});

test("a chunked body over 1 MiB is cut off with a 413 in the envelope", async () => {
  const chunk = "x".repeat(64 * 1024);
  const body = chunked(['{"url":"https://hooks.example.com/in","events":["link.clicked"],"metadata":{"a":"', ...Array(20).fill(chunk), '"}}']);
  const res = await fetch(`${base}/api/v1/links/webhooks`, { method: "POST", headers, body, duplex: "half" } as RequestInit);
  expect(res.status).toBe(413);
  expect(await res.json()).toMatchObject({ error: "Payload Too Large", code: 413 });
});
