// SQL metacharacters, control characters and unicode in every free-text field are stored and
// returned exactly as sent (parameterised SQL, no escaping or normalisation on the way), and
// none of them disturbs the tables. Lone UTF-16 surrogates cannot be stored as UTF-8, so they
// are refused with 400 rather than silently replaced.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createSession } from "../src/auth/sessions";
import { createUser } from "../src/auth/users";
import { createTestApp, type TestApp } from "./helpers/app";

// Real receivers, argon2 and loaded CI machines: more than bun's 5 s default per test.
setDefaultTimeout(30_000);

export const HOSTILE_STRINGS: [string, string][] = [
  ["quote", "it's"],
  ["tautology", "' OR '1'='1"],
  ["stacked query", "'; DROP TABLE webhooks; --"],
  ["double-quoted", '"; DELETE FROM users; --'],
  ["bobby tables", "Robert'); DROP TABLE students;--"],
  ["LIKE wildcards", "100%_done\\"],
  ["comment", "/* x */ -- y"],
  ["NUL inside", "a\u0000b"],
  ["CR LF", "line1\r\nX-Injected: yes"],
  ["tab", "a\tb"],
  ["HTML", "<script>alert(1)</script>"],
  ["accents", "ÅÄÖ åäö ñ"],
  ["astral", "𝕳𝖔𝖔𝖐 🚀"],
  ["ZWJ family", "👨‍👩‍👧‍👦"],
  ["RTL override", "\u202eevil"],
  ["combining", "e\u0301"],
  ["BOM inside", "x\ufeffy"],
  ["CJK", "网络钩子"],
];

let t: TestApp;
let token: string;
beforeAll(async () => {
  t = createTestApp();
  const user = await createUser(t.deps.store.users, { email: "verbatim@example.com", password: "verbatim password" });
  token = (await createSession(t.deps.store.sessions, user.id)).token;
});
afterAll(() => t.close());

describe("surface A: url, secret and metadata keys and values", () => {
  test.each(HOSTILE_STRINGS)("%s", async (_name, s) => {
    // Control characters are the one thing a URL may not carry (the URL parser strips them, so
    // the address checked and delivered to would differ from the one stored): 400 on `url`.
    const hasControl = /[\u0000-\u001f\u007f]/.test(s);
    if (hasControl) {
      const refused = await t.request("POST", "/api/v1/links/webhooks", { url: `https://example.com/${s}`, events: ["link.created"] });
      expect(refused.status).toBe(400);
      expect(refused.body.details[0].field).toBe("url");
    }
    const url = hasControl ? "https://example.com/plain" : `https://example.com/${s}?q=${s}`;
    const secret = `secret-${s}`;
    const metadata = { [s]: s, nested: { list: [s] } };
    const created = await t.request("POST", "/api/v1/links/webhooks", { url, events: ["link.created"], secret, metadata });
    expect(created.status).toBe(201);
    expect(created.body.data.url).toBe(url);
    expect(created.body.data.metadata).toEqual(metadata);
    const id = created.body.data.id;
    const read = await t.request("GET", `/api/v1/links/webhooks/${id}`);
    expect(read.body.data.url).toBe(url);
    expect(read.body.data.metadata).toEqual(metadata);
    expect((await t.request("GET", `/api/v1/links/webhooks/${id}/secret`)).body.data.secret).toBe(secret);

    const patchedUrl = hasControl ? url + "#plain" : url + "#" + s;
    const patched = await t.request("PATCH", `/api/v1/links/webhooks/${id}`, { url: patchedUrl, secret: secret + s, metadata: { v: s } });
    expect(patched.status).toBe(200);
    expect(patched.body.data.url).toBe(patchedUrl);
    expect(patched.body.data.metadata).toEqual({ v: s });
    expect((await t.request("GET", `/api/v1/links/webhooks/${id}/secret`)).body.data.secret).toBe(secret + s);
  });
});

describe("surface B: source name, user email and name, alert title, message and fields", () => {
  test.each(HOSTILE_STRINGS)("%s", async (_name, s) => {
    const auth = { bearer: token };
    const name = `[${s}]`; // names are trimmed by design; brackets keep the edges non-blank
    const source = await t.request("POST", "/traffic-sources", { name }, { auth });
    expect(source.status).toBe(201);
    expect(source.body.name).toBe(name);
    expect((await t.request("GET", `/traffic-sources/${source.body.id}`, undefined, { auth })).body.name).toBe(name);

    const userName = `[${s}]`;
    const email = `x${t.deps.db.$client.prepare("select count(*) from users").pluck().get()}.${s.replace(/[\s@]/g, "")}@example.com`.toLowerCase();
    const user = await t.request("POST", "/api/v1/users", { email, password: "long enough password", name: userName });
    if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      expect(user.status).toBe(201);
      expect(user.body.data.email).toBe(email);
      expect(user.body.data.name).toBe(userName);
    }

    await t.request("POST", `/webhooks/${source.body.id}`, { type: "discord", level: "fatal", value: "123456789" }, { auth });
    const alert = await t.request("POST", `/traffic-sources/${source.body.id}/events`, {
      level: "fatal",
      title: `T ${s}`,
      message: `M ${s}`,
      fields: [{ name: `N ${s}`, value: `V ${s}` }],
    }, { auth });
    expect(alert.status).toBe(202);
    const body = t.deps.db.$client.prepare("select body from events where id = ?").pluck().get(alert.body.id) as string;
    const embed = JSON.parse(body).embeds[0];
    expect(embed.title).toBe(`T ${s}`);
    expect(embed.description).toBe(`M ${s}`);
    expect(embed.fields[0]).toMatchObject({ name: `N ${s}`, value: `V ${s}` });
    expect(embed.footer.text).toContain(name);
  });
});

test("the tables survived every string above", () => {
  const count = (table: string) => t.deps.db.$client.prepare(`select count(*) from ${table}`).pluck().get() as number;
  expect(count("webhooks")).toBe(HOSTILE_STRINGS.length);
  expect(count("traffic_sources")).toBe(HOSTILE_STRINGS.length);
  expect(count("users")).toBeGreaterThan(1);
});

test("lone surrogates are refused with 400, never stored mangled", async () => {
  const before = JSON.stringify(t.deps.db.$client.prepare("select * from webhooks order by id").all());
  for (const raw of [
    '{"url":"https://example.com/\\ud800","events":["link.created"]}',
    '{"url":"https://example.com/","events":["link.created"],"secret":"abcdefgh\\udfff"}',
    '{"url":"https://example.com/","events":["link.created"],"metadata":{"\\ud83d":"x"}}',
  ]) {
    const res = await t.request("POST", "/api/v1/links/webhooks", undefined, { raw });
    expect(res.status).toBe(400);
    expect(res.body.details[0].field).toBe("body");
  }
  const name = await t.request("POST", "/traffic-sources", undefined, { raw: '{"name":"x\\ud800"}', auth: { bearer: token } });
  expect(name.status).toBe(400);
  expect(JSON.stringify(t.deps.db.$client.prepare("select * from webhooks order by id").all())).toBe(before);
});
