// The standard OpenTelemetry variables this service reads. Tracing is on only when an OTLP
// endpoint is set; every value is checked here at start-up (one line naming the variable),
// not by the SDK later, which would only log a warning and carry on without traces.
import { ConfigError } from "../config";

type Env = Record<string, string | undefined>;

export const SAMPLERS = ["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"] as const;
export type SamplerName = (typeof SAMPLERS)[number];

export interface TracingConfig {
  /** Where spans are POSTed: the traces endpoint as given, or `<endpoint>/v1/traces`. */
  url: string;
  protocol: "http/protobuf" | "http/json";
  headers: Record<string, string>;
  timeoutMs: number;
  compression: "gzip" | "none";
  serviceName: string;
  resourceAttributes: Record<string, string>;
  sampler: SamplerName;
  /** The ratio of the traceidratio samplers. */
  samplerRatio: number;
  batch: { scheduledDelayMillis: number; maxQueueSize: number; maxExportBatchSize: number; exportTimeoutMillis: number };
}

function value(env: Env, ...names: string[]): [string, string] | undefined {
  for (const name of names) {
    const raw = env[name]?.trim();
    if (raw) return [name, raw];
  }
  return undefined;
}

function httpUrl(name: string, raw: string): URL {
  try {
    const url = new URL(raw);
    if (url.protocol === "http:" || url.protocol === "https:") return url;
  } catch {}
  throw new ConfigError(`${name} must be an absolute http(s) URL, got "${raw}"`);
}

function integer(env: Env, name: string, fallback: number, min: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new ConfigError(`${name} must be an integer of at least ${min}, got "${raw}"`);
  return Number(raw);
}

/** `k1=v1,k2=v2` with URL-encoded values (the format of OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES). */
function keyValues(name: string, raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw?.trim()) return out;
  for (const part of raw.split(",")) {
    const eq = part.indexOf("=");
    const key = part.slice(0, eq).trim();
    if (eq < 1 || key === "") throw new ConfigError(`${name} must be a comma-separated list of key=value pairs, got "${raw}"`);
    try {
      out[key] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      throw new ConfigError(`${name} has a value that is not valid URL encoding: "${part}"`);
    }
  }
  return out;
}

function tracesUrl(env: Env): string | undefined {
  const specific = value(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  if (specific) return httpUrl(...specific).href;
  const base = value(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
  if (!base) return undefined;
  const url = httpUrl(...base);
  return `${url.href.replace(/\/+$/, "")}/v1/traces`;
}

/** The tracing settings, or null when tracing is off (no endpoint, OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER=none). */
export function tracingConfig(env: Env): TracingConfig | null {
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase();
  if (disabled && disabled !== "true" && disabled !== "false") throw new ConfigError(`OTEL_SDK_DISABLED must be true or false, got "${env.OTEL_SDK_DISABLED}"`);
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() || "otlp";
  if (exporter !== "otlp" && exporter !== "none") throw new ConfigError(`OTEL_TRACES_EXPORTER must be otlp or none, got "${env.OTEL_TRACES_EXPORTER}"`);
  const url = tracesUrl(env);
  if (!url || disabled === "true" || exporter === "none") return null;

  const [protocolVar, protocol] = value(env, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL") ?? ["", "http/protobuf"];
  if (protocol !== "http/protobuf" && protocol !== "http/json") {
    throw new ConfigError(`${protocolVar} must be http/protobuf or http/json (grpc is not supported: use the collector's OTLP/HTTP port, usually 4318), got "${protocol}"`);
  }
  const [compressionVar, compression] = value(env, "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION") ?? ["", "none"];
  if (compression !== "gzip" && compression !== "none") throw new ConfigError(`${compressionVar} must be gzip or none, got "${compression}"`);
  const timeoutVar = value(env, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT")?.[0] ?? "OTEL_EXPORTER_OTLP_TIMEOUT";

  const sampler = (env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() || "parentbased_always_on") as SamplerName;
  if (!SAMPLERS.includes(sampler)) throw new ConfigError(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(", ")}, got "${env.OTEL_TRACES_SAMPLER}"`);
  const ratioRaw = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  const samplerRatio = ratioRaw ? Number(ratioRaw) : 1;
  if (sampler.endsWith("traceidratio") && (!/^\d*\.?\d+$/.test(ratioRaw ?? "1") || samplerRatio > 1)) {
    throw new ConfigError(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, got "${ratioRaw}"`);
  }

  const resourceAttributes = keyValues("OTEL_RESOURCE_ATTRIBUTES", env.OTEL_RESOURCE_ATTRIBUTES);
  const maxQueueSize = integer(env, "OTEL_BSP_MAX_QUEUE_SIZE", 2048, 1);
  const maxExportBatchSize = integer(env, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", Math.min(512, maxQueueSize), 1);
  if (maxExportBatchSize > maxQueueSize) throw new ConfigError(`OTEL_BSP_MAX_EXPORT_BATCH_SIZE must not exceed OTEL_BSP_MAX_QUEUE_SIZE (${maxQueueSize}), got "${maxExportBatchSize}"`);
  return {
    url,
    protocol,
    headers: { ...keyValues("OTEL_EXPORTER_OTLP_HEADERS", env.OTEL_EXPORTER_OTLP_HEADERS), ...keyValues("OTEL_EXPORTER_OTLP_TRACES_HEADERS", env.OTEL_EXPORTER_OTLP_TRACES_HEADERS) },
    timeoutMs: integer(env, timeoutVar, 10_000, 1),
    compression,
    serviceName: env.OTEL_SERVICE_NAME?.trim() || resourceAttributes["service.name"] || "hookrelay",
    resourceAttributes,
    sampler,
    samplerRatio,
    batch: {
      scheduledDelayMillis: integer(env, "OTEL_BSP_SCHEDULE_DELAY", 5000, 0),
      maxQueueSize,
      maxExportBatchSize,
      exportTimeoutMillis: integer(env, "OTEL_BSP_EXPORT_TIMEOUT", 30_000, 1),
    },
  };
}

/** The endpoint as it may be logged: any user:password in it is left out. */
export function withoutUserinfo(url: string): string {
  const u = new URL(url);
  u.username = u.password = "";
  return u.href;
}
