// Abuse below the app, on the wire: malformed HTTP sent over raw sockets to the real server
// (startServer, listening on loopback). Malformed messages are refused by the HTTP parser,
// smuggling attempts (CL+TE, duplicate Content-Length) never reach a route, oversize chunked
// bodies get our 413, and afterwards the server is healthy and the database untouched.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../src/config";
import { startServer, type RunningServer } from "../src/server";
import { ADMIN_KEY, tempDir } from "./helpers/app";

const dir = tempDir("hookrelay-wire-");
let server: RunningServer;
let port: number;
beforeAll(async () => {
  server = await startServer(
    loadConfig({ DATABASE_PATH: join(dir, "wire.db"), PORT: "0", HOST: "127.0.0.1", ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: "silent" }),
  );
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes raw bytes, returns everything the server sent until it closes (or 2 s pass). */
function exchange(payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    let socket: { end(): void } | undefined;
    const timer = setTimeout(() => (socket?.end(), resolve(out)), 2000);
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(s) {
          socket = s;
          s.write(payload);
        },
        data(_s, chunk) {
          out += Buffer.from(chunk).toString("latin1");
        },
        close() {
          clearTimeout(timer);
          resolve(out);
        },
        error(_s, e) {
          reject(e);
        },
      },
    }).catch(reject);
  });
}

const statusesOf = (raw: string) => [...raw.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
const auth = `Authorization: Bearer ${ADMIN_KEY}\r\n`;
const create = `POST /api/v1/links/webhooks HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\n`;
const body = JSON.stringify({ url: "https://example.com/smuggled", events: ["link.created"] });
const smuggled = `POST /api/v1/links/webhooks HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

// [name, bytes, the only statuses allowed in the answer]. Parser-level refusals are Bun's: no
// body, `Connection: close`; 505 is how it refuses a request line it cannot split.
const cases: [string, string, number[]][] = [
  ["binary garbage", "\x00\x01\x02 hello\r\n\r\n", [400]],
  ["no Host", "GET /health HTTP/1.1\r\n\r\n", [400]],
  ["HTTP/2 preface on HTTP/1", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", [400]],
  ["space in the path", "GET /hea lth HTTP/1.1\r\nHost: x\r\n\r\n", [400, 505]],
  ["bare LF line ends", "GET /health HTTP/1.1\nHost: x\n\n", [400, 505]],
  ["obsolete header folding", `GET /api/v1/links/webhooks HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer\r\n ${ADMIN_KEY}\r\n\r\n`, [400, 401]],
  ["CL + TE smuggling", `${create}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`, [400]],
  ["TE + CL smuggling", `${create}Transfer-Encoding: chunked\r\nContent-Length: 200\r\n\r\n0\r\n\r\n${smuggled}`, [400]],
  ["duplicate Content-Length", `${create}Content-Length: 2\r\nContent-Length: ${body.length + 2}\r\n\r\n{}${body}`, [400]],
  ["negative Content-Length", `${create}Content-Length: -1\r\n\r\n{}`, [400]],
  ["invalid chunk size", `${create}Transfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n`, [400]],
  ["200 KB header", `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(200_000)}\r\n\r\n`, [431]],
  ["500 headers", `GET /health HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 500 }, (_, i) => `X-${i}: v\r\n`).join("")}\r\n`, [431]],
  ["absolute-form target, no key", "GET http://evil.example/api/v1/links/webhooks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", [401]],
  ["chunked body over 1 MiB", `${create}Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n${"a".repeat(0x100000)}\r\n10\r\n${"a".repeat(16)}\r\n0\r\n\r\n`, [413]],
];

test.each(cases)("%s is refused and nothing behind it runs", async (_name, payload, allowed) => {
  const answer = await exchange(payload);
  const statuses = statusesOf(answer);
  expect(statuses.length).toBeGreaterThan(0);
  for (const status of statuses) expect(allowed).toContain(status);
});

test("after all of it: healthy, and no smuggled request created anything", async () => {
  expect((await fetch(`${server.url}/health`)).status).toBe(200);
  const list = await fetch(`${server.url}/api/v1/links/webhooks`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  expect(((await list.json()) as { data: unknown[] }).data).toEqual([]);
  // A well-formed request on the same server still works, so the refusals above were about the bytes.
  const ok = await exchange(smuggled.replace("HTTP/1.1\r\n", "HTTP/1.1\r\nConnection: close\r\n"));
  expect(statusesOf(ok)).toEqual([201]);
});
