// The delivery engine's HTTP/1.1 client against real sockets: keep-alive reuse, the retry of a
// request that met a connection the server had just closed, timeouts, large bodies written
// under backpressure, and TLS with certificate and host name checks.
import { afterEach, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { join } from "node:path";
import { closeIdleConnections, post } from "../src/delivery/http1/client";

type Behaviour = (conn: { requests: number }, request: string, socket: Socket<ConnState>) => void;
interface ConnState {
  buffered: Buffer;
  requests: number;
}

/**
 * A TCP server that frames every request (head + Content-Length body) and lets `behaviour`
 * answer it, so reuse of one connection for several requests can be seen. helpers/faults.ts's
 * rawServer acts once per connection, on its first bytes, which cannot show that.
 */
function requestServer(behaviour: Behaviour) {
  const received: string[] = [];
  let connections = 0;
  const server: TCPSocketListener<ConnState> = Bun.listen<ConnState>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        connections++;
        socket.data = { buffered: Buffer.alloc(0), requests: 0 };
      },
      data(socket, bytes) {
        const state = socket.data;
        state.buffered = Buffer.concat([state.buffered, bytes]);
        for (;;) {
          const headEnd = state.buffered.indexOf("\r\n\r\n");
          if (headEnd < 0) return;
          const head = state.buffered.toString("latin1", 0, headEnd);
          const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
          if (state.buffered.length < headEnd + 4 + length) return;
          const request = state.buffered.toString("utf8", 0, headEnd + 4 + length);
          state.buffered = state.buffered.subarray(headEnd + 4 + length);
          received.push(request);
          state.requests++;
          behaviour(state, request, socket);
        }
      },
    },
  });
  return {
    endpoint: { hostname: "127.0.0.1", port: server.port },
    received,
    connections: () => connections,
    stop: () => server.stop(true),
  };
}

const ok = (socket: Socket<ConnState>) => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
const request = (body = "{}") => ({ head: "POST /hook?x=1 HTTP/1.1\r\nhost: example.test\r\n", body });

const cleanups: (() => void)[] = [];
afterEach(() => {
  closeIdleConnections();
  for (const c of cleanups.splice(0)) c();
});

describe("keep-alive", () => {
  test("sequential requests share one connection; the request goes out exactly as built", async () => {
    const server = requestServer((_c, _r, socket) => ok(socket));
    cleanups.push(server.stop);
    for (let i = 0; i < 20; i++) {
      const res = await post({ endpoint: server.endpoint, ...request(`{"n":${i}}`) }, 2000);
      expect(res).toMatchObject({ status: 200, keepAlive: true });
      expect(res.body.toString()).toBe("ok");
    }
    expect(server.connections()).toBe(1);
    expect(server.received[3]).toBe('POST /hook?x=1 HTTP/1.1\r\nhost: example.test\r\ncontent-length: 7\r\n\r\n{"n":3}');
  });

  test("concurrent requests open one connection each, then reuse them", async () => {
    const server = requestServer((_c, _r, socket) => setTimeout(() => ok(socket), 5));
    cleanups.push(server.stop);
    await Promise.all(Array.from({ length: 8 }, () => post({ endpoint: server.endpoint, ...request() }, 2000)));
    await Promise.all(Array.from({ length: 8 }, () => post({ endpoint: server.endpoint, ...request() }, 2000)));
    expect(server.connections()).toBe(8);
    expect(server.received).toHaveLength(16);
  });

  test("a response with Connection: close is not followed by another request on that connection", async () => {
    const server = requestServer((_c, _r, socket) => socket.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
    cleanups.push(server.stop);
    await post({ endpoint: server.endpoint, ...request() }, 2000);
    await post({ endpoint: server.endpoint, ...request() }, 2000);
    expect(server.connections()).toBe(2);
  });

  test("a kept-alive connection the server drops unanswered: the request is sent once more on a new one", async () => {
    // Answers the first request of each connection; a second one is dropped without a word,
    // as a server does when its idle timeout fires just as the request arrives.
    const server = requestServer((conn, _r, socket) => (conn.requests === 1 ? ok(socket) : socket.terminate()));
    cleanups.push(server.stop);
    await post({ endpoint: server.endpoint, ...request() }, 2000);
    const res = await post({ endpoint: server.endpoint, ...request('{"again":true}') }, 2000);
    expect(res.status).toBe(200);
    expect(server.connections()).toBe(2);
    expect(server.received).toHaveLength(3);
  });

  test("a new connection dropped unanswered fails the request, without a retry", async () => {
    const server = requestServer((_c, _r, socket) => socket.terminate());
    cleanups.push(server.stop);
    await expect(post({ endpoint: server.endpoint, ...request() }, 2000)).rejects.toThrow(/closed|reset/i);
    expect(server.received).toHaveLength(1);
  });

  test("idle connections are closed on request (shutdown)", async () => {
    const server = requestServer((_c, _r, socket) => ok(socket));
    cleanups.push(server.stop);
    await post({ endpoint: server.endpoint, ...request() }, 2000);
    closeIdleConnections();
    await post({ endpoint: server.endpoint, ...request() }, 2000);
    expect(server.connections()).toBe(2);
  });
});

describe("answers that must not be trusted with another request", () => {
  test("a 204 that declares a body and sends it late: the next request goes on a new connection", async () => {
    const server = requestServer((conn, _r, socket) => {
      if (conn.requests > 1) return void ok(socket);
      socket.write("HTTP/1.1 204 No Content\r\nContent-Length: 2\r\n\r\n");
      setTimeout(() => socket.write("ok"), 20); // would be read as the start of the next answer
    });
    cleanups.push(server.stop);
    expect((await post({ endpoint: server.endpoint, ...request() }, 2000)).status).toBe(204);
    expect((await post({ endpoint: server.endpoint, ...request() }, 2000)).status).toBe(204);
    expect(server.connections()).toBe(2);
  });

  test("a long body that stalls after the logged part still counts as answered", async () => {
    const server = requestServer((_c, _r, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 50000\r\n\r\n${"b".repeat(5000)}`); // and nothing more
    });
    cleanups.push(server.stop);
    const res = await post({ endpoint: server.endpoint, ...request() }, 500);
    expect(res).toMatchObject({ status: 200, keepAlive: false });
    expect(res.body.length).toBe(4096);
  });
});

describe("connects", () => {
  test("at most 16 connects to one endpoint are under way at once, however many requests wait", async () => {
    // A TLS endpoint that accepts and then never answers the handshake: every connect stalls.
    let accepted = 0;
    const stall = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: () => void accepted++, data() {} } });
    cleanups.push(() => stall.stop(true));
    const endpoint = { hostname: "127.0.0.1", port: stall.port, tls: { serverName: "stall.test" } };
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => post({ endpoint, ...request() }, 300)));
    expect(outcomes.every((o) => o.status === "rejected" && String(o.reason).includes("Timed out after 300 ms"))).toBe(true);
    await Bun.sleep(50);
    expect(accepted).toBe(16);
  });
});

describe("failures", () => {
  test("no answer: times out, and the connection is not used again", async () => {
    // The first request is never answered; later ones are.
    const server = requestServer((_c, _r, socket) => (server.received.length > 1 ? ok(socket) : undefined));
    cleanups.push(server.stop);
    await expect(post({ endpoint: server.endpoint, ...request() }, 150)).rejects.toThrow("Timed out after 150 ms");
    await post({ endpoint: server.endpoint, ...request() }, 2000);
    expect(server.connections()).toBe(2);
  });

  test("connection refused", async () => {
    const server = requestServer(() => {});
    const { endpoint } = server;
    server.stop();
    await expect(post({ endpoint, ...request() }, 2000)).rejects.toThrow(/refused|connect/i);
  });

  test("a malformed response fails the request with what was wrong", async () => {
    const server = requestServer((_c, _r, socket) => socket.write("HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n"));
    cleanups.push(server.stop);
    await expect(post({ endpoint: server.endpoint, ...request() }, 2000)).rejects.toThrow("Invalid HTTP response: Malformed Content-Length");
  });

  test("a 1 MiB body with multi-byte characters arrives whole, its length counted in bytes", async () => {
    const server = requestServer((_c, _r, socket) => ok(socket));
    cleanups.push(server.stop);
    const body = JSON.stringify({ text: "é✓".repeat(200_000) });
    const res = await post({ endpoint: server.endpoint, ...request(body) }, 5000);
    expect(res.status).toBe(200);
    const got = server.received[0]!;
    expect(got.slice(got.indexOf("\r\n\r\n") + 4)).toBe(body);
    expect(got).toContain(`content-length: ${Buffer.byteLength(body)}\r\n`);
  });
});

describe("TLS", () => {
  // Run in a child so NODE_EXTRA_CA_CERTS (read at start-up) can trust the test CA.
  const script = `
    import { post } from ${JSON.stringify(join(import.meta.dir, "../src/delivery/http1/client.ts"))};
    const dir = ${JSON.stringify(join(import.meta.dir, "fixtures"))};
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, tls: { cert: Bun.file(dir + "/hookrelay-test.crt"), key: Bun.file(dir + "/hookrelay-test.key") },
      fetch: async (req) => new Response("tls " + req.headers.get("host") + " " + (await req.text())) });
    const out = {};
    for (const name of ["hookrelay.test", "other.test"]) {
      try {
        const res = await post({ endpoint: { hostname: "127.0.0.1", port: server.port, tls: { serverName: name } },
          head: "POST /hook HTTP/1.1\\r\\nhost: hookrelay.test\\r\\n", body: "hello" }, 3000);
        out[name] = res.status + " " + res.body.toString();
      } catch (e) { out[name] = "error: " + e.message; }
    }
    server.stop(true);
    console.log(JSON.stringify(out));
  `;

  async function runWith(env: Record<string, string>) {
    const proc = Bun.spawn(["bun", "-e", script], { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
    const [out] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    return JSON.parse(out) as Record<string, string>;
  }

  test("a certificate from a trusted CA for the server name is accepted; the wrong name is refused", async () => {
    const out = await runWith({ NODE_EXTRA_CA_CERTS: join(import.meta.dir, "fixtures/test-ca.crt") });
    expect(out["hookrelay.test"]).toBe("200 tls hookrelay.test hello");
    expect(out["other.test"]).toMatch(/^error: TLS certificate not accepted: .*other\.test/);
  }, 20_000);

  test("a certificate from a CA nobody trusts is refused", async () => {
    const out = await runWith({});
    expect(out["hookrelay.test"]).toMatch(/^error: TLS certificate not accepted: unable to verify/);
  }, 20_000);
});
