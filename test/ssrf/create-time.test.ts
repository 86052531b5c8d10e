// SSRF at create/update time (docs/architecture.md): every spelling of a loopback, private, link-local,
// metadata, unspecified or reserved address, and localhost names, is refused with 400 on `url`
// and nothing is stored. (Delivery-time refusal after DNS, and redirects: delivery-time.test.ts.)
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "../helpers/app";
import { PRIVATE_TARGETS } from "./targets";

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
