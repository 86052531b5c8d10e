// SSRF at create/update time (DESIGN.md §5): every spelling of a loopback, private, link-local,
// metadata, unspecified or reserved address, and localhost names, is refused with 400 on `url`
// and nothing is stored. (Delivery-time refusal after DNS, and redirects: security-ssrf-delivery.)
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "./helpers/app";

/** [form, url]: the WHATWG URL parser turns most of these into 127.0.0.1 before we look. */
export const PRIVATE_TARGETS: [string, string][] = [
  ["dotted loopback", "http://127.0.0.1/h"],
  ["decimal", "http://2130706433/h"],
  ["octal", "http://0177.0.0.1/h"],
  ["octal, one number", "http://017700000001/h"],
  ["hex", "http://0x7f.0.0.1/h"],
  ["hex, one number", "http://0x7f000001/h"],
  ["short form", "http://127.1/h"],
  ["zero-padded", "http://127.000.000.001/h"],
  ["percent-encoded", "http://%31%32%37.0.0.1/h"],
  ["full-width digits", "http://１２７.０.０.１/h"],
  ["trailing dot", "http://127.0.0.1./h"],
  ["with a port", "https://127.0.0.1:8443/h"],
  ["0.0.0.0", "http://0.0.0.0/h"],
  ["0", "http://0/h"],
  ["IPv6 loopback", "http://[::1]/h"],
  ["IPv6 loopback, long form", "http://[0:0:0:0:0:0:0:1]/h"],
  ["IPv6 unspecified", "http://[::]/h"],
  ["IPv4-mapped loopback", "http://[::ffff:127.0.0.1]/h"],
  ["IPv4-mapped loopback, hex", "http://[::ffff:7f00:1]/h"],
  ["IPv4-mapped metadata", "http://[::ffff:169.254.169.254]/h"],
  ["cloud metadata", "http://169.254.169.254/latest/meta-data/"],
  ["AWS IPv6 metadata", "http://[fd00:ec2::254]/latest/meta-data/"],
  ["IPv6 link-local", "http://[fe80::1]/h"],
  ["IPv6 unique-local", "http://[fc00::1]/h"],
  ["IPv6 multicast", "http://[ff02::1]/h"],
  ["NAT64 of loopback", "http://[64:ff9b::7f00:1]/h"],
  ["6to4 of loopback", "http://[2002:7f00:1::]/h"],
  ["10/8", "http://10.0.0.1/h"],
  ["172.16/12", "http://172.16.0.1/h"],
  ["192.168/16", "http://192.168.1.1/h"],
  ["CGNAT", "http://100.64.0.1/h"],
  ["benchmarking", "http://198.18.0.1/h"],
  ["documentation", "http://192.0.2.1/h"],
  ["multicast", "http://224.0.0.1/h"],
  ["reserved 240/4", "http://240.0.0.1/h"],
  ["broadcast", "http://255.255.255.255/h"],
  ["localhost", "http://localhost/h"],
  ["LOCALHOST with a dot", "http://LOCALHOST./h"],
  ["a .localhost name", "http://api.localhost/h"],
];

let t: TestApp;
let existing: string;
beforeAll(async () => {
  t = createTestApp({ DELIVERY_ALLOW_PRIVATE: "0" });
  const res = await t.request("POST", "/api/v1/links/webhooks", { url: "https://example.com/ok", events: ["link.created"] });
  existing = res.body.data.id;
});
afterAll(() => t.close());

const dump = () => JSON.stringify(t.deps.db.$client.prepare("select * from webhooks order by id").all());

describe("refused at create and at update with 400 on url, nothing stored", () => {
  test.each(PRIVATE_TARGETS)("%s (%s)", async (_form, url) => {
    const before = dump();
    const created = await t.request("POST", "/api/v1/links/webhooks", { url, events: ["link.created"] });
    expect(created.status).toBe(400);
    expect(created.body.details).toEqual([{ field: "url", message: expect.stringMatching(/localhost|private, loopback or reserved/) }]);
    const updated = await t.request("PATCH", `/api/v1/links/webhooks/${existing}`, { url });
    expect(updated.status).toBe(400);
    expect(updated.body.details[0].field).toBe("url");
    expect(dump()).toBe(before);
  });
});

test("public addresses are accepted, so the refusals above are about the address", async () => {
  for (const url of ["http://8.8.8.8/h", "https://[2606:4700:4700::1111]/h", "https://hooks.example.com/h"]) {
    const res = await t.request("POST", "/api/v1/links/webhooks", { url, events: ["link.created"] });
    expect({ url, status: res.status }).toEqual({ url, status: 201 });
  }
});

test("DELIVERY_ALLOW_PRIVATE=1 (development) lets every one of them through", async () => {
  const dev = createTestApp({ DELIVERY_ALLOW_PRIVATE: "1" });
  try {
    for (const [form, url] of PRIVATE_TARGETS) {
      const res = await dev.request("POST", "/api/v1/links/webhooks", { url, events: ["link.created"] });
      expect({ form, status: res.status }).toEqual({ form, status: 201 });
    }
  } finally {
    dev.close();
  }
});
