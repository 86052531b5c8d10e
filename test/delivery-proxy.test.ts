// DELIVERY_PROXY_URL: every outgoing request leaves through an HTTP CONNECT proxy. A local proxy
// records each tunnel it is asked for and joins it to a local receiver, so nothing leaves the
// machine. The SSRF check still applies to the target (and the CONNECT names the address that
// was checked); the proxy's own address, on loopback here, is exempt.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../src/config";
import { parseProxyUrl } from "../src/delivery/http1/proxy";
import { createWebhook } from "../src/links/service";
import { createDeliveryTestApp, startReceiver, waitFor, type Receiver } from "./helpers/delivery";

interface Tunnel {
  /** The request line and headers the proxy received. */
  head: string;
}

interface TestProxy {
  url: string;
  port: number;
  tunnels: Tunnel[];
  stop(): void;
}

/**
 * A CONNECT proxy that answers `status` to every tunnel, and for 200 joins the tunnel to
 * `route(authority)` — always a local server. Absolute-form requests (fetch to an http:// URL
 * through a proxy) are forwarded the same way, by the authority of their URL.
 */
function startProxy(route: (authority: string) => { hostname: string; port: number }, status = 200): TestProxy {
  const tunnels: Tunnel[] = [];
  type State = { head: string; upstream?: Awaited<ReturnType<typeof Bun.connect>>; pending: Buffer[] };
  const listener = Bun.listen<State>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = { head: "", pending: [] };
      },
      async data(socket, bytes) {
        const state = socket.data;
        if (state.upstream) return void state.upstream.write(bytes);
        if (state.head.includes("\r\n\r\n")) return void state.pending.push(Buffer.from(bytes));
        state.head += bytes.toString("latin1");
        const end = state.head.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = state.head.slice(0, end);
        tunnels.push({ head });
        const [method, target] = head.split("\r\n")[0]!.split(" ");
        const connect = method === "CONNECT";
        if (connect && status !== 200) return void socket.end(`HTTP/1.1 ${status} Refused\r\ncontent-length: 0\r\n\r\n`);
        const to = route(connect ? target! : new URL(target!).host);
        state.upstream = await Bun.connect({
          hostname: to.hostname,
          port: to.port,
          socket: { data: (_u, b) => void socket.write(b), close: () => void socket.end(), error: () => void socket.end() },
        });
        if (connect) socket.write("HTTP/1.1 200 Connection established\r\n\r\n");
        else state.upstream.write(state.head); // the absolute-form request as it came
        for (const chunk of state.pending.splice(0)) state.upstream.write(chunk);
      },
      close(socket) {
        socket.data.upstream?.end();
      },
    },
  });
  return { url: `http://127.0.0.1:${listener.port}`, port: listener.port, tunnels, stop: () => listener.stop(true) };
}

describe("DELIVERY_PROXY_URL", () => {
  test("is an http:// URL, optionally with credentials; anything else stops start-up naming it", () => {
    const route = parseProxyUrl("http://egress:s3cr%40t@proxy.internal:3128");
    expect(route).toMatchObject({ hostname: "proxy.internal", port: 3128, label: "proxy.internal:3128", authorization: `Basic ${btoa("egress:s3cr@t")}` });
    for (const bad of ["https://proxy:443", "socks5://proxy:1080", "http://proxy:3128/path", "not a url"]) {
      expect(() => loadConfig({ DELIVERY_PROXY_URL: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ DELIVERY_PROXY_URL: bad })).toThrow(/^DELIVERY_PROXY_URL must/);
    }
    expect(loadConfig({}).deliveryProxy).toBeUndefined();
  });
});

describe("deliveries through a CONNECT proxy", () => {
  let receiver: Receiver;
  let proxy: TestProxy;
  let app: ReturnType<typeof createDeliveryTestApp>;

  beforeAll(() => {
    receiver = startReceiver();
    const local = { hostname: "127.0.0.1", port: Number(new URL(receiver.url).port) };
    proxy = startProxy(() => local);
    // Private targets are refused, as in production: only the proxy is on loopback.
    const url = new URL(proxy.url);
    app = createDeliveryTestApp({ DELIVERY_ALLOW_PRIVATE: "0", DELIVERY_PROXY_URL: `http://egress:pw@${url.host}` });
  });
  afterAll(async () => {
    await app.shutdown();
    proxy.stop();
    receiver.stop();
  });

  test("every delivery passes through the proxy, authenticated, tunnelled to the checked address", async () => {
    // A public address (documentation range would be refused): the proxy joins it to the local
    // receiver, so no packet goes to it.
    const hook = await app.request("POST", "/api/v1/links/webhooks", { url: "http://93.184.216.34/hook", events: ["link.clicked"] });
    expect(hook.status).toBe(201);
    for (let i = 0; i < 5; i++) expect((await app.publish("link.clicked", { i })).status).toBe(202);
    await waitFor(() => receiver.received.length >= 5, 5000, "five deliveries through the proxy");
    expect(proxy.tunnels.length).toBeGreaterThanOrEqual(1);
    for (const tunnel of proxy.tunnels) {
      expect(tunnel.head).toStartWith("CONNECT 93.184.216.34:80 HTTP/1.1\r\n");
      expect(tunnel.head).toContain(`proxy-authorization: Basic ${btoa("egress:pw")}`);
    }
    // Inside the tunnel: the request as always, Host the webhook's own.
    expect(receiver.received[0]!.headers.host).toBe("93.184.216.34");
    expect(receiver.received[0]!.headers["webhook-signature"]).toStartWith("v1,");
  });

  test("the SSRF check still applies to the target: a private one is refused before any tunnel is asked for", async () => {
    const before = proxy.tunnels.length;
    // Written past the API's literal check, as an address that resolves privately would be.
    const hook = await createWebhook(app.deps.store, "default", { url: `http://127.0.0.1:${new URL(receiver.url).port}/private`, events: ["uptime.down"] }, { allowPrivate: true });
    await app.publish("uptime.down", {});
    const delivery = await waitFor(async () => {
      const res = await app.request("GET", `/api/v1/links/webhooks/${hook.id}/deliveries`);
      return res.body.data[0]?.last_error ? res.body.data[0] : undefined;
    }, 5000, "the refused attempt");
    expect(delivery.last_error).toMatch(/private|loopback|reserved/i);
    expect(proxy.tunnels.length).toBe(before);
  });
});

test("a proxy that refuses the tunnel fails the attempt with what it said", async () => {
  const receiver = startReceiver();
  const proxy = startProxy(() => ({ hostname: "127.0.0.1", port: 1 }), 407);
  const app = createDeliveryTestApp({ DELIVERY_ALLOW_PRIVATE: "0", DELIVERY_PROXY_URL: proxy.url, DELIVERY_RETRY_SCHEDULE: "" });
  try {
    const hook = await app.request("POST", "/api/v1/links/webhooks", { url: "http://93.184.216.34/hook", events: ["link.clicked"] });
    await app.publish("link.clicked", {});
    const delivery = await waitFor(async () => {
      const res = await app.request("GET", `/api/v1/links/webhooks/${hook.body.data.id}/deliveries`);
      return res.body.data[0]?.status === "failed" ? res.body.data[0] : undefined;
    }, 5000, "the failed attempt");
    expect(delivery.last_error).toBe("The proxy refused the tunnel: 407 Proxy Authentication Required (check DELIVERY_PROXY_URL's credentials)");
    expect(receiver.received).toHaveLength(0);
  } finally {
    await app.shutdown();
    proxy.stop();
    receiver.stop();
  }
});

describe("TLS through the tunnel", () => {
  // In a child, so NODE_EXTRA_CA_CERTS (read at start-up) can trust the test CA.
  test("https: the tunnel goes to the target, and TLS inside it checks the target's certificate and name", async () => {
    const fixtures = join(import.meta.dir, "fixtures");
    const script = `
      import { post } from ${JSON.stringify(join(import.meta.dir, "../src/delivery/http1/client.ts"))};
      import { parseProxyUrl } from ${JSON.stringify(join(import.meta.dir, "../src/delivery/http1/proxy.ts"))};
      const dir = ${JSON.stringify(fixtures)};
      const server = Bun.serve({ hostname: "127.0.0.1", port: 0, tls: { cert: Bun.file(dir + "/hookrelay-test.crt"), key: Bun.file(dir + "/hookrelay-test.key") },
        fetch: async (req) => new Response("tls " + req.headers.get("host") + " " + (await req.text())) });
      const seen = [];
      const proxy = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: {
        open(s) { s.data = { head: "" }; },
        async data(s, b) {
          if (s.data.up) return s.data.up.write(b);
          s.data.head += b.toString("latin1");
          if (!s.data.head.includes("\\r\\n\\r\\n")) return;
          seen.push(s.data.head.split("\\r\\n")[0]);
          s.data.up = await Bun.connect({ hostname: "127.0.0.1", port: server.port, socket: { data: (_u, c) => s.write(c), close: () => s.end() } });
          s.write("HTTP/1.1 200 OK\\r\\n\\r\\n");
        },
        close(s) { s.data.up?.end(); },
      } });
      const route = parseProxyUrl("http://127.0.0.1:" + proxy.port);
      const out = { seen };
      for (const name of ["hookrelay.test", "other.test"]) {
        try {
          const res = await post({ endpoint: { hostname: name, port: 443, tls: { serverName: name }, proxy: route },
            head: "POST /hook HTTP/1.1\\r\\nhost: " + name + "\\r\\n", body: "hello" }, 3000);
          out[name] = res.status + " " + res.body.toString();
        } catch (e) { out[name] = "error: " + e.message; }
      }
      server.stop(true); proxy.stop(true);
      console.log(JSON.stringify(out));
    `;
    const proc = Bun.spawn([process.execPath, "-e", script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: join(fixtures, "test-ca.crt") },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    const out = JSON.parse(stdout);
    expect(out["hookrelay.test"]).toBe("200 tls hookrelay.test hello");
    expect(out["other.test"]).toMatch(/^error: TLS certificate not accepted: .*other\.test/);
    expect(out.seen).toEqual(["CONNECT hookrelay.test:443 HTTP/1.1", "CONNECT other.test:443 HTTP/1.1"]);
  }, 20_000);
});

test("Discord alerts leave through the proxy too", async () => {
  const discord = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(null, { status: 204 }) });
  const proxy = startProxy(() => ({ hostname: "127.0.0.1", port: discord.port! }));
  const app = createDeliveryTestApp({ DISCORD_API_BASE: `http://127.0.0.1:${discord.port}`, DELIVERY_PROXY_URL: proxy.url });
  try {
    await app.request("POST", "/api/v1/users", { email: "ops@proxy.example", password: "a long password" });
    const login = await app.request("POST", "/auth/login", { email: "ops@proxy.example", password: "a long password" }, { auth: "none" });
    const session = { auth: { bearer: login.body.token as string } };
    const source = (await app.request("POST", "/traffic-sources", { name: "Checkout" }, session)).body;
    await app.request("POST", `/webhooks/${source.id}`, { type: "discord", level: "fatal", value: "https://discord.com/api/webhooks/1/tok" }, session);
    const alert = (await app.request("POST", `/traffic-sources/${source.id}/events`, { level: "fatal", title: "Down", message: "All fail" }, session)).body;
    await waitFor(async () => {
      const res = await app.request("GET", `/traffic-sources/${source.id}/alerts/${alert.id}`, undefined, session);
      return res.body.delivery?.status === "delivered";
    }, 5000, "the alert through the proxy");
    expect(proxy.tunnels.map((t) => t.head.split("\r\n")[0])).toEqual([`POST http://127.0.0.1:${discord.port}/webhooks/1/tok HTTP/1.1`]);
  } finally {
    await app.shutdown();
    proxy.stop();
    discord.stop(true);
  }
});
