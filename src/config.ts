// The environment contract (README, Configuration). Every variable is parsed and checked here once;
// a bad value stops start-up with one line that names the variable.
import { tracingConfig, type TracingConfig } from "./tracing/config";
import ipaddr from "ipaddr.js";
import { parseProxyUrl, type ProxyRoute } from "./delivery/http1/proxy";

export class ConfigError extends Error {}

export interface Config {
  port: number;
  host: string;
  databasePath: string;
  /** DATABASE_URL: a PostgreSQL server shared by every node (docs/scaling.md); null: SQLite at databasePath. */
  databaseUrl: string | null;
  adminApiKey: string | undefined;
  deliveryConcurrency: number;
  deliveryPollMs: number;
  deliveryTimeoutMs: number;
  /** Seconds to wait after each failed attempt; its length + 1 is the attempt budget. */
  deliveryRetrySchedule: number[];
  deliveryAllowPrivate: boolean;
  deliveryDisableAfterHours: number;
  retentionDays: number;
  discordApiBase: string;
  discordBotToken: string | undefined;
  /** Every outgoing request goes through this HTTP CONNECT proxy (DELIVERY_PROXY_URL). */
  deliveryProxy: ProxyRoute | undefined;
  logLevel: LogLevel;
  /** Where users reach this server (portal links); undefined: the address a request came to. */
  publicUrl: string | undefined;
  logFormat: LogFormat;
  /** OpenTelemetry tracing (the standard OTEL_* variables); null when off. */
  tracing: TracingConfig | null;
}

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["json", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const DEFAULTS = {
  PORT: "3000",
  HOST: "0.0.0.0",
  DATABASE_PATH: "./data/hookrelay.db",
  DELIVERY_CONCURRENCY: "64",
  DELIVERY_POLL_MS: "250",
  DELIVERY_TIMEOUT_MS: "15000",
  DELIVERY_RETRY_SCHEDULE: "5,300,1800,7200,18000,36000,36000",
  DELIVERY_ALLOW_PRIVATE: "0",
  DELIVERY_DISABLE_AFTER_HOURS: "120",
  RETENTION_DAYS: "30",
  DISCORD_API_BASE: "https://discord.com/api",
  LOG_LEVEL: "info",
  LOG_FORMAT: "json",
} as const;

type Env = Record<string, string | undefined>;

/** Every variable of the contract: those with a default (and a command-line option) and the secrets. */
export const CONFIG_VARIABLES: readonly string[] = [...Object.keys(DEFAULTS), "ADMIN_API_KEY", "DISCORD_BOT_TOKEN", "DATABASE_URL"];

/** A hostname (RFC 1123 labels) or an IP literal; anything else would fail at listen with EINVAL. */
function hostOf(env: Env): string {
  const host = (env.HOST ?? DEFAULTS.HOST).trim();
  const label = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
  const valid = /^[0-9.]+$/.test(host)
    ? ipaddr.IPv4.isValidFourPartDecimal(host)
    : host.includes(":")
      ? ipaddr.IPv6.isValid(host)
      : host.length <= 253 && new RegExp(`^${label}(?:\\.${label})*\\.?$`, "i").test(host);
  if (!valid) throw new ConfigError(`HOST must be an IP address or a host name, got "${env.HOST}"`);
  return host;
}

function int(env: Env, name: keyof typeof DEFAULTS, min: number, max: number): number {
  const raw = (env[name] ?? DEFAULTS[name]).trim();
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${env[name]}"`);
  }
  return value;
}

function schedule(env: Env): number[] {
  const raw = env.DELIVERY_RETRY_SCHEDULE ?? DEFAULTS.DELIVERY_RETRY_SCHEDULE;
  const parts = raw.split(",").map((s) => s.trim());
  // An empty string means "no retries": one attempt, then failed.
  if (raw.trim() === "") return [];
  if (parts.some((p) => !/^\d+(\.\d+)?$/.test(p)) || parts.length > 50) {
    throw new ConfigError(
      `DELIVERY_RETRY_SCHEDULE must be a comma-separated list of at most 50 delays in seconds, got "${raw}"`,
    );
  }
  return parts.map(Number);
}

function flag(env: Env, name: "DELIVERY_ALLOW_PRIVATE"): boolean {
  const raw = (env[name] ?? DEFAULTS[name]).trim().toLowerCase();
  if (["1", "true", "yes"].includes(raw)) return true;
  if (["0", "false", "no", ""].includes(raw)) return false;
  throw new ConfigError(`${name} must be 0 or 1, got "${env[name]}"`);
}

function httpBase(env: Env, name: "DISCORD_API_BASE" | "PUBLIC_URL"): string {
  const raw = (env[name] ?? (DEFAULTS as Record<string, string>)[name] ?? "").trim().replace(/\/+$/, "");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL, got "${env[name]}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`${name} must be an absolute http(s) URL, got "${env[name]}"`);
  }
  return raw;
}

/** DELIVERY_PROXY_URL may hold credentials: like a secret, it is read from the environment only. */
function proxyOf(env: Env): ProxyRoute | undefined {
  const raw = env.DELIVERY_PROXY_URL?.trim();
  if (!raw) return undefined;
  const route = parseProxyUrl(raw);
  if ("problem" in route) throw new ConfigError(`DELIVERY_PROXY_URL ${route.problem}`);
  return route;
}

/**
 * `postgres://` or `postgresql://` with a host: the only server database there is. The URL may
 * hold a password, so a bad one is named without echoing it.
 */
function databaseUrlOf(env: Env): string | null {
  const raw = env.DATABASE_URL?.trim();
  if (raw === undefined || raw === "") return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("DATABASE_URL must be a postgres://user:password@host:port/database URL (it is not a URL)");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new ConfigError(`DATABASE_URL must start with postgres:// or postgresql:// (got ${url.protocol}//…); leave it unset for SQLite at DATABASE_PATH`);
  }
  if (url.hostname === "") throw new ConfigError("DATABASE_URL must name a host (postgres://user:password@host:port/database)");
  return raw;
}

function optionalSecret(env: Env, name: "ADMIN_API_KEY" | "DISCORD_BOT_TOKEN", minLength: number) {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return undefined;
  if (raw.length < minLength) throw new ConfigError(`${name} must be at least ${minLength} characters long`);
  return raw;
}

/**
 * Parses the environment. With `uses`, only those variables are read: the others take their
 * defaults, so a command is never stopped by a bad value of a variable it does not use.
 */
export function loadConfig(env: Env = process.env, uses?: ReadonlySet<string>): Config {
  if (uses) env = Object.fromEntries(Object.entries(env).filter(([name]) => uses.has(name) || !CONFIG_VARIABLES.includes(name)));
  const logLevel = (env.LOG_LEVEL ?? DEFAULTS.LOG_LEVEL).trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${env.LOG_LEVEL}"`);
  }
  const logFormat = (env.LOG_FORMAT ?? DEFAULTS.LOG_FORMAT).trim().toLowerCase();
  if (!(LOG_FORMATS as readonly string[]).includes(logFormat)) {
    throw new ConfigError(`LOG_FORMAT must be one of ${LOG_FORMATS.join(", ")}, got "${env.LOG_FORMAT}"`);
  }
  const host = hostOf(env);
  const databasePath = (env.DATABASE_PATH ?? DEFAULTS.DATABASE_PATH).trim();
  if (databasePath === "") throw new ConfigError(`DATABASE_PATH must not be empty`);

  return {
    port: int(env, "PORT", 0, 65535),
    host,
    databasePath,
    databaseUrl: databaseUrlOf(env),
    adminApiKey: optionalSecret(env, "ADMIN_API_KEY", 16),
    deliveryConcurrency: int(env, "DELIVERY_CONCURRENCY", 1, 4096),
    deliveryPollMs: int(env, "DELIVERY_POLL_MS", 10, 3_600_000),
    deliveryTimeoutMs: int(env, "DELIVERY_TIMEOUT_MS", 100, 300_000),
    deliveryRetrySchedule: schedule(env),
    deliveryAllowPrivate: flag(env, "DELIVERY_ALLOW_PRIVATE"),
    deliveryDisableAfterHours: int(env, "DELIVERY_DISABLE_AFTER_HOURS", 1, 24 * 365),
    retentionDays: int(env, "RETENTION_DAYS", 1, 3650),
    discordApiBase: httpBase(env, "DISCORD_API_BASE"),
    discordBotToken: optionalSecret(env, "DISCORD_BOT_TOKEN", 1),
    deliveryProxy: proxyOf(env),
    logLevel: logLevel as LogLevel,
    publicUrl: env.PUBLIC_URL?.trim() ? httpBase(env, "PUBLIC_URL") : undefined,
    logFormat: logFormat as LogFormat,
    tracing: tracingConfig(env),
  };
}
