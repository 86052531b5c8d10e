// `keys create | list | revoke` (docs/tenancy.md): the same service the API-key routes call,
// against the database file, so they work beside a running server and take effect on its
// next request.
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyInfo } from "../auth/api-keys";
import type { Config } from "../config";
import type { ApiKeyStore } from "../db/aggregates/api-keys";
import { NotFound } from "../http/errors";
import { TENANT_ID_PATTERN } from "../tenants/model";
import { UsageError } from "./args";
import { CommandFailed } from "./admin-commands";
import { withStore } from "./runtime";

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30d`, `12h`, `90m`, `3600s`, `2w` → milliseconds. */
export function parseDuration(raw: string, option: string): number {
  const match = /^(\d{1,6})([smhdw])$/.exec(raw.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2]!]! : 0;
  if (ms <= 0) throw new UsageError(`${option} must be a duration such as 30d, 12h or 90m, got "${raw}"`);
  return ms;
}

const withKeys = <T>(config: Config, run: (keys: ApiKeyStore) => Promise<T>) => withStore(config, (store) => run(store.apiKeys));

export interface CreateKeyOptions {
  name: string;
  tenant: string | undefined;
  canPublish: boolean;
  expiresIn: string | undefined;
}

export async function createKeyCommand(config: Config, options: CreateKeyOptions): Promise<void> {
  const name = options.name.trim();
  if (name === "" || name.length > 100) throw new UsageError("--name must be 1 to 100 characters long");
  if (options.tenant !== undefined && !new RegExp(TENANT_ID_PATTERN).test(options.tenant)) {
    throw new UsageError("--tenant must be 1 to 64 characters of letters, digits, '_', '.' or '-'");
  }
  const expiresAt = options.expiresIn === undefined ? undefined : Date.now() + parseDuration(options.expiresIn, "--expires-in");
  await withKeys(config, async (keys) => {
    // Platform keys always may publish; for a tenant key it is asked for.
    const canPublish = options.tenant === undefined ? true : options.canPublish;
    const created = await createApiKey(keys, { name, tenantId: options.tenant ?? null, canPublish, expiresAt }).catch((e) => {
      if (e instanceof NotFound) throw new CommandFailed(`no tenant ${options.tenant}: create it first with PUT /api/v1/tenants/${options.tenant}`);
      throw e;
    });
    const { info } = created;
    // The key alone on stdout, so `KEY=$(hookrelay keys create)` works; the notice goes to stderr.
    process.stdout.write(`${created.key}\n`);
    const scope = info.tenant_id === null ? "platform key" : `key of tenant ${info.tenant_id}${info.can_publish ? ", may publish" : ""}`;
    const expiry = info.expires_at ? `, expires ${info.expires_at}` : "";
    process.stderr.write(`Created API key ${created.id} ("${name}", ${scope}${expiry}). It is shown only now: store it.\n`);
  });
}

function row(k: ApiKeyInfo): string[] {
  const state = k.revoked_at ? `revoked ${k.revoked_at}` : k.expires_at && Date.parse(k.expires_at) <= Date.now() ? "expired" : "active";
  return [k.id, k.name, k.tenant_id ?? "(platform)", k.kind, k.can_publish ? "yes" : "no", k.created_at, k.last_used_at ?? "never", k.expires_at ?? "never", state];
}

/** Every key, newest first, as an aligned table on stdout (no secrets: only their hashes are stored). */
export async function listKeysCommand(config: Config, tenant: string | undefined): Promise<void> {
  const rows = await withStore(config, async (store) => {
    const all: ApiKeyInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await listApiKeys(store, { limit: "100", cursor, tenantId: tenant });
      all.push(...page.data);
      cursor = page.pagination.next_cursor ?? undefined;
    } while (cursor);
    return all;
  });
  const table = [["ID", "NAME", "TENANT", "KIND", "PUBLISH", "CREATED", "LAST USED", "EXPIRES", "STATE"], ...rows.map(row)];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  process.stdout.write(table.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n") + "\n");
}

export async function revokeKeyCommand(config: Config, id: string): Promise<void> {
  await withKeys(config, async (keys) => {
    let info: ApiKeyInfo;
    try {
      info = await revokeApiKey(keys, id);
    } catch {
      throw new CommandFailed(`no API key with id ${id} (see hookrelay keys list)`);
    }
    process.stderr.write(`Revoked API key ${info.id} ("${info.name}") at ${info.revoked_at}; it is refused from the next request on.\n`);
  });
}
