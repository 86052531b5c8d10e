// IPv6 targets must be global unicast (2000::/3): IPv4-compatible addresses (::/96, which embed
// an IPv4 address such as 127.0.0.1) and unassigned space are refused like other reserved ranges.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { isPrivateAddress } from "../src/delivery/ssrf";
import { createTestApp, type TestApp } from "./helpers/app";

const REFUSED = ["::7f00:1", "::127.0.0.1", "::a9fe:a9fe", "::1:2", "4000::1", "8000::1", "fec0::1"];
const PUBLIC = ["2606:4700:4700::1111", "2a00:1450:4001::200e", "::ffff:8.8.8.8"];

test("the address check", () => {
  for (const a of REFUSED) expect({ a, refused: isPrivateAddress(a) }).toEqual({ a, refused: true });
  for (const a of PUBLIC) expect({ a, refused: isPrivateAddress(a) }).toEqual({ a, refused: false });
});

let t: TestApp;
beforeAll(() => {
  t = createTestApp({ DELIVERY_ALLOW_PRIVATE: "0" });
});
afterAll(() => t.close());

test("refused at create time with 400 on url", async () => {
  for (const url of ["http://[::127.0.0.1]/h", "http://[::7f00:1]:8080/h", "http://[4000::1]/h"]) {
    const res = await t.request("POST", "/api/v1/links/webhooks", { url, events: ["link.created"] });
    expect({ url, status: res.status, field: res.body.details?.[0]?.field }).toEqual({ url, status: 400, field: "url" });
  }
});
