// Surface B (docs/api-guide.md) as the fuzzer sees it: session-token auth, traffic sources, their
// Discord webhooks and alerts, login/logout, and the admin route that creates users.
import { sha256Hex } from "../../../src/auth/api-keys";
import { createSession, SESSION_TOKEN_PREFIX, SESSION_TTL_MS } from "../../../src/auth/sessions";
import { randomBase62 } from "../../../src/ids";
import { createUser } from "../../../src/auth/users";
import type { ALERT_LEVELS } from "../../../src/traffic-sources/model";
import type { TestApp } from "../app";
import { apiKeyScheme } from "./links-surface";
import type { Random } from "./random";
import { existingOrGarbage, garbageQuery, PUBLIC, type AuthScheme, type FuzzContext, type FuzzSurface } from "./surface";

type AlertLevel = (typeof ALERT_LEVELS)[number];

export const FIXTURE_PASSWORD = "correct horse battery";

export interface TrafficFixtures {
  owner: { id: string; email: string; token: string };
  other: { id: string; email: string; token: string };
  expiredToken: string;
  /** Source id → levels that should have a webhook (restored between requests, for 409s). */
  webhookLevels: Map<string, string[]>;
}

/** Two users (argon2 is slow by design), sessions made directly (a login would cost another argon2). */
export async function createTrafficFixtures(t: TestApp): Promise<TrafficFixtures> {
  const db = t.deps.db;
  const owner = await createUser(t.deps.store.users, { email: "owner@fuzz.example", password: FIXTURE_PASSWORD });
  const other = await createUser(t.deps.store.users, { email: "other@fuzz.example", password: FIXTURE_PASSWORD });
  const expired = await createSession(t.deps.store.sessions, owner.id, Date.now() - 2 * 24 * 60 * 60 * 1000);
  const fixtures: TrafficFixtures = {
    owner: { id: owner.id, email: owner.email, token: (await createSession(t.deps.store.sessions, owner.id)).token },
    other: { id: other.id, email: other.email, token: (await createSession(t.deps.store.sessions, other.id)).token },
    expiredToken: expired.token,
    webhookLevels: new Map(),
  };
  for (const [user, levels] of [[fixtures.owner, ["fatal", "info"]], [fixtures.other, ["warning"]]] as const) {
    for (const name of ["Checkout API", "Search"]) {
      const source = await t.request("POST", "/traffic-sources", { name }, { auth: { bearer: user.token } });
      fixtures.webhookLevels.set(source.body.id, [...levels]);
      for (const level of levels) {
        await t.request("POST", `/webhooks/${source.body.id}`, { type: "discord", level, value: "123456789" }, { auth: { bearer: user.token } });
      }
    }
  }
  return fixtures;
}

const LEVELS = ["fatal", "warning", "info"];

function discordValue(r: Random): string {
  return r.chance(0.5) ? String(r.int(1, 2 ** 31)) : `https://discord.com/api/webhooks/${r.int(1, 2 ** 31)}/tok-${r.int(0, 1e6)}`;
}

function alertBody({ r }: FuzzContext): Record<string, unknown> {
  const body: Record<string, unknown> = { level: r.pick(LEVELS), title: "Error rate above 5%", message: "5xx at 7.2% over 5 minutes" };
  if (r.chance(0.5)) body.fields = [{ name: "region", value: "eu-west-1", inline: true }];
  return body;
}

export function trafficSurface(t: TestApp, fixtures: TrafficFixtures): FuzzSurface {
  const sourceId = existingOrGarbage("traffic_sources");
  // The webhook routes take two ids; most requests should name a webhook of that very source.
  let pair: { source: string; webhook: string } | undefined;
  const pairSource = (ctx: FuzzContext): string => {
    pair = undefined;
    if (ctx.r.chance(0.7)) {
      const rows = ctx.sqlite.prepare("select id, traffic_source_id as source from traffic_source_webhooks order by rowid desc limit 20").all() as { id: string; source: string }[];
      if (rows.length) {
        const row = ctx.r.pick(rows);
        pair = { source: row.source, webhook: row.id };
        return row.source;
      }
    }
    return sourceId(ctx);
  };
  const pairWebhook = (ctx: FuzzContext): string => pair?.webhook ?? existingOrGarbage("traffic_source_webhooks")(ctx);

  const session: AuthScheme = {
    // Mostly the owner; sometimes the other user, who must get 403 on the owner's sources.
    valid: ({ r }) => ({ authorization: `Bearer ${r.chance(0.8) ? fixtures.owner.token : fixtures.other.token}` }),
    bad: ({ r }) =>
      r.pick<Record<string, string>>([
        {},
        { authorization: "Bearer" },
        { authorization: "Bearer hrs_wrong-token" },
        { authorization: `Bearer ${fixtures.expiredToken}` },
        { authorization: `Bearer ${fixtures.owner.token}x` },
        { authorization: `Basic ${btoa(fixtures.owner.email + ":" + FIXTURE_PASSWORD)}` },
        { authorization: `Token ${fixtures.owner.token}` },
        { "x-api-key": fixtures.owner.token },
        { authorization: "Bearer " + "t".repeat(10_000) },
      ]),
    badStatuses: [400, 401],
  };

  return {
    name: "surface B (traffic sources)",
    auth: session,
    routes: [
      { method: "POST", path: "/traffic-sources", body: ({ r }) => ({ name: r.pick(["Checkout API", "Search", "Edge ✨"]) }) },
      { method: "POST", path: "/traffic-sources/:id/events", params: { id: sourceId }, body: alertBody, weight: 1.5 },
      {
        method: "POST",
        path: "/webhooks/:trafficSourceId",
        params: { trafficSourceId: sourceId },
        body: ({ r }) => ({ type: "discord", level: r.pick(LEVELS), value: discordValue(r) }),
        weight: 1.5,
      },
      {
        method: "PATCH",
        path: "/webhooks/:trafficSourceId/:id",
        params: { trafficSourceId: pairSource, id: pairWebhook },
        body: ({ r }) => Object.fromEntries(Object.entries({ type: "discord", level: r.pick(LEVELS), value: discordValue(r) }).filter(() => r.chance(0.6))),
        weight: 1.5,
      },
      { method: "DELETE", path: "/webhooks/:trafficSourceId/:id", params: { trafficSourceId: pairSource, id: pairWebhook } },
      { method: "POST", path: "/auth/logout", weight: 0.1 },
      { method: "GET", path: "/traffic-sources", query: garbageQuery(["limit", "cursor"]), weight: 0.3 },
      { method: "GET", path: "/webhooks/:trafficSourceId", params: { trafficSourceId: sourceId }, query: garbageQuery(["level"]), weight: 0.3 },
      // argon2 (slow by design) on every well-formed attempt: kept rare; the login limiter also caps it.
      {
        method: "POST",
        path: "/auth/login",
        auth: PUBLIC,
        weight: 0.02,
        body: ({ r }) => ({ email: r.pick([fixtures.owner.email, "OWNER@fuzz.example", "nobody@fuzz.example"]), password: r.pick([FIXTURE_PASSWORD, "wrong password"]) }),
      },
      {
        method: "POST",
        path: "/api/v1/users",
        auth: apiKeyScheme,
        weight: 0.02,
        body: ({ r }) => ({ email: `u${r.int(0, 1e9)}@fuzz.example`, password: "long enough password", name: "Fuzz" }),
      },
    ],
    refresh({ sqlite }) {
      // A fuzzed logout may end a fixture session; sign the user back in (directly, no argon2).
      let wrote = false;
      for (const user of [fixtures.owner, fixtures.other]) {
        const live = sqlite.prepare("select 1 from sessions where token_hash = ? and expires_at > ?").get(sha256Hex(user.token), Date.now());
        if (!live) {
          user.token = `${SESSION_TOKEN_PREFIX}${randomBase62(43)}`;
          // refresh() is synchronous; the SQLite store writes before its promise settles.
          const now = Date.now();
          void t.deps.store.sessions.create({ id: crypto.randomUUID(), userId: user.id, tokenHash: sha256Hex(user.token), expiresAt: now + SESSION_TTL_MS, createdAt: now });
          wrote = true;
        }
      }
      // Fuzzed deletes remove fixture webhooks; put them back so duplicate levels keep meeting 409.
      const present = new Set(
        (sqlite.prepare("select traffic_source_id || ' ' || level from traffic_source_webhooks").pluck().all() as string[]),
      );
      for (const [source, levels] of fixtures.webhookLevels) {
        for (const level of levels) {
          if (present.has(`${source} ${level}`)) continue;
          const now = Date.now();
          sqlite
            .prepare("insert into traffic_source_webhooks (id, traffic_source_id, type, level, value, created_at, updated_at) values (?, ?, 'discord', ?, '123456789', ?, ?)")
            .run(crypto.randomUUID(), source, level as AlertLevel, now, now);
          wrote = true;
        }
      }
      return wrote;
    },
  };
}
