// The SSRF guard's own checks (src/delivery/ssrf.ts), without a server: which addresses are
// private, how a host is judged by what it resolves to, and the cache of names found public.
// Through the API: create-time.test.ts and delivery-time.test.ts beside this file.
import { describe, expect, test } from "bun:test";
import { lookup } from "node:dns/promises";
import { hostname } from "node:os";
import { isPrivateAddress, PUBLIC_NAME_TTL_MS, resolvePublicTarget } from "../../src/delivery/ssrf";

describe("isPrivateAddress", () => {
  // IPv6 targets must be global unicast (2000::/3): IPv4-compatible addresses (::/96, which embed
  // an IPv4 address such as 127.0.0.1) and unassigned space are refused like other reserved ranges.
  test("IPv6 outside global unicast is refused; global unicast and mapped public IPv4 are not", () => {
    for (const a of ["::7f00:1", "::127.0.0.1", "::a9fe:a9fe", "::1:2", "4000::1", "8000::1", "fec0::1"]) {
      expect({ a, refused: isPrivateAddress(a) }).toEqual({ a, refused: true });
    }
    for (const a of ["2606:4700:4700::1111", "2a00:1450:4001::200e", "::ffff:8.8.8.8"]) {
      expect({ a, refused: isPrivateAddress(a) }).toEqual({ a, refused: false });
    }
  });
});

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
