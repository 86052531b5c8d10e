// SSRF guard at delivery time: the address the name resolves to is checked, and the request
// is refused (attempt logged with the reason) when it is private.
import { afterAll, describe, expect, test } from "bun:test";
import { lookup } from "node:dns/promises";
import { hostname } from "node:os";
import { isPrivateAddress, PUBLIC_NAME_TTL_MS, resolvePublicTarget } from "../src/delivery/ssrf";
import { createDeliveryTestApp, startReceiver, waitFor } from "./helpers/delivery";

const rx = startReceiver();
afterAll(() => rx.stop());

describe("resolvePublicTarget", () => {
  test("refuses literal private addresses of every family and localhost names", async () => {
    for (const host of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "169.254.169.254", "0.0.0.0", "224.0.0.1", "[::1]", "[fd00::1]", "[fe80::1]", "[::ffff:127.0.0.1]", "localhost", "api.localhost"]) {
      const result = await resolvePublicTarget(host);
      expect([host, "refused" in result]).toEqual([host, true]);
    }
  });

  test("accepts public literals and connects to exactly them", async () => {
    expect(await resolvePublicTarget("93.184.216.34")).toEqual({ address: "93.184.216.34", family: 4 });
    expect(await resolvePublicTarget("[2606:4700::1111]")).toEqual({ address: "2606:4700::1111", family: 6 });
  });

  test("judges a name by what it resolves to", async () => {
    // This machine's own name resolves (through /etc/hosts) to a loopback address, without being
    // a literal or a localhost name, so only the DNS-time check can catch it.
    const name = hostname();
    const answers = await lookup(name, { all: true });
    expect(answers.some((a) => isPrivateAddress(a.address))).toBe(true);
    const result = await resolvePublicTarget(name);
    expect("refused" in result && result.refused).toContain(`${name} resolves to`);
  });
});

describe("the cache of names found public", () => {
  const answer = (address: string, family = 4) => async () => [{ address, family }];

  test("a public answer is reused until it expires, then looked up again and judged afresh", async () => {
    let lookups = 0;
    const name = "cache-test-1.example";
    const counting = (address: string) => async () => (lookups++, [{ address, family: 4 }]);
    const t0 = 1_000_000;
    expect(await resolvePublicTarget(name, counting("93.184.216.34"), t0)).toEqual({ address: "93.184.216.34", family: 4 });
    expect(await resolvePublicTarget(name, counting("93.184.216.34"), t0 + PUBLIC_NAME_TTL_MS - 1)).toEqual({ address: "93.184.216.34", family: 4 });
    expect(lookups).toBe(1);
    // The name now points somewhere private (rebinding): refused as soon as the entry expires.
    const late = await resolvePublicTarget(name, counting("127.0.0.1"), t0 + PUBLIC_NAME_TTL_MS);
    expect(lookups).toBe(2);
    expect("refused" in late && late.refused).toContain("resolves to 127.0.0.1");
  });

  test("refusals and failed lookups are never cached", async () => {
    const name = "cache-test-2.example";
    const first = await resolvePublicTarget(name, answer("10.0.0.1"), 5);
    expect("refused" in first).toBe(true);
    expect(await resolvePublicTarget(name, answer("93.184.216.34"), 6)).toEqual({ address: "93.184.216.34", family: 4 });
    const failing = async () => {
      throw new Error("ENOTFOUND");
    };
    const third = "cache-test-3.example";
    expect(await resolvePublicTarget(third, failing, 7)).toEqual({ refused: `DNS lookup of ${third} failed: ENOTFOUND` });
    expect(await resolvePublicTarget(third, answer("2606:4700::1111", 6), 8)).toEqual({ address: "2606:4700::1111", family: 6 });
  });
});

describe("delivery-time refusal", () => {
  test("a webhook on a name that resolves to loopback is refused at delivery, with the reason logged", async () => {
    const app = createDeliveryTestApp({ DELIVERY_ALLOW_PRIVATE: "0", DELIVERY_RETRY_SCHEDULE: "" });
    try {
      const url = rx.url.replace("127.0.0.1", hostname());
      // Not a literal nor localhost: creation accepts it.
      const created = await app.request("POST", "/api/v1/links/webhooks", { url, events: ["link.clicked"] });
      expect(created.status).toBe(201);
      await app.publish("link.clicked", {});
      const d = await waitFor(async () => {
        const list = await app.request("GET", `/api/v1/links/webhooks/${created.body.data.id}/deliveries?status=failed`);
        return list.body.data[0];
      });
      const detail = (await app.request("GET", `/api/v1/deliveries/${d.id}`)).body.data;
      expect(detail.attempt_log).toHaveLength(1);
      expect(detail.attempt_log[0].status_code).toBeNull();
      expect(detail.attempt_log[0].error).toMatch(/^Refused: .* resolves to 127\./);
      expect(rx.received).toHaveLength(0);
    } finally {
      await app.shutdown();
    }
  });

  test("literal private targets are refused at create time with 400 on url", async () => {
    const app = createDeliveryTestApp({ DELIVERY_ALLOW_PRIVATE: "0" });
    try {
      for (const url of [rx.url, "http://localhost:8080/x", "http://[::1]/x", "http://169.254.169.254/latest"]) {
        const res = await app.request("POST", "/api/v1/links/webhooks", { url, events: ["link.clicked"] });
        expect(res.status).toBe(400);
        expect(res.body.details[0].field).toBe("url");
      }
    } finally {
      await app.shutdown();
    }
  });

  test("DELIVERY_ALLOW_PRIVATE=1 lets loopback receivers through", async () => {
    const app = createDeliveryTestApp({ DELIVERY_ALLOW_PRIVATE: "1" });
    try {
      await app.createWebhook(rx.url.replace("127.0.0.1", hostname()));
      await app.publish("link.clicked", {});
      await waitFor(() => rx.received.length === 1);
    } finally {
      await app.shutdown();
    }
  });
});
