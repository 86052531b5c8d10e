// Start-up order (docs/architecture.md): config → database (SQLite: the file's serve lock,
// migrations, bootstrap key, checkpointer; PostgreSQL: migrations and bootstrap key under an
// advisory lock, db/open.ts) → this node's earlier leases released → tracing → listen → delivery
// loop. Returns a handle whose stop() shuts down in reverse order.
import { buildApp } from "./app";
import type { Config } from "./config";
import { openForServe } from "./db/open";
import { createDeliveryLoop } from "./delivery/loop";
import type { AppDeps } from "./deps";
import { MAX_BODY_BYTES } from "./http/body-parser";
import { createLogger, stdoutWantsColour } from "./log";
import { AppMetrics } from "./metrics/app-metrics";
import { withoutUserinfo } from "./tracing/config";
import { startTracing } from "./tracing/tracing";

export class StartupError extends Error {}

export interface RunningServer {
  url: string;
  deps: AppDeps;
  stop(): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const logger = createLogger(config.logLevel, undefined, config.logFormat, config.logFormat === "pretty" && stdoutWantsColour());
  const storage = await openForServe(config, logger);
  const { store, generatedKey: generated } = storage;
  if (generated) {
    // Printed once, to stdout; only its hash is stored.
    process.stdout.write(
      `\nNo API key was configured, so one was generated. Store it now; it will not be shown again:\n\n    ${generated.key}\n\n` +
        `It is "${generated.name}" in \`hookrelay keys list\`; once you have keys of your own, revoke it with\n` +
        `\`hookrelay keys revoke ${generated.id}\` (or DELETE /api/v1/api-keys/${generated.id}).\n\n`,
    );
  }
  const tracing = await startTracing(config.tracing, logger);
  const loop = createDeliveryLoop({ config, store, logger, tracing });
  const deps: AppDeps = { config, db: storage.sqlite, store, logger, metrics: new AppMetrics(), tracing, wakeDelivery: loop.wake, delivery: loop };
  let server: NonNullable<ReturnType<typeof buildApp>["server"]>;
  try {
    // Other nodes' publishes wake this node's loop (PostgreSQL); polling stays the fallback.
    await storage.listen(loop.wake);
    server = listen(buildApp(deps), config);
  } catch (e) {
    await storage.close();
    await tracing?.shutdown().catch(() => {});
    throw e;
  }
  loop.start();
  const url = `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`;
  logger.info("listening", { url, database: storage.location, ...(config.tracing ? { traces_to: withoutUserinfo(config.tracing.url) } : {}) });

  return {
    url,
    deps,
    async stop() {
      // Stop taking requests and claiming work together; in-flight deliveries get a bounded
      // drain, and whatever is left is released so the next start picks it up at once.
      await Promise.all([server.stop(), loop.stop()]);
      await storage.close();
      // The spans of the final requests and attempts are exported before the exit.
      await tracing?.shutdown().catch(() => {});
    },
  };
}

/** Listens, or throws a StartupError that names HOST or PORT. */
function listen(app: ReturnType<typeof buildApp>, config: Config) {
  try {
    app.listen({
      port: config.port,
      hostname: config.host,
      // Elysia turns reusePort on: a second server on a taken port would then start silently
      // and the kernel would split connections between the two.
      reusePort: false,
      // Our JSON parser answers 413 in the envelope at 1 MiB; this is only the hard backstop.
      maxRequestBodySize: MAX_BODY_BYTES * 4,
    });
  } catch (e) {
    throw new StartupError(listenFailure(e, config));
  }
  return app.server!;
}

function listenFailure(e: unknown, config: Config): string {
  const code = (e as { code?: string }).code;
  const where = `${config.host}:${config.port}`;
  switch (code) {
    case "EADDRINUSE":
      return `PORT ${config.port} is already in use on HOST ${config.host} (another process listens on ${where})`;
    case "EACCES":
      return `PORT ${config.port} needs privileges this process does not have (ports below 1024 usually do)`;
    case "EADDRNOTAVAIL":
      return `HOST ${config.host} is not an address of this machine`;
    case "EINVAL":
    case "ENOTFOUND":
    case "EAI_NONAME":
      return `HOST ${config.host} cannot be listened on: it is not an address of this machine or a name that resolves to one`;
    default:
      return `cannot listen on HOST ${config.host} PORT ${config.port}: ${(e as Error).message ?? String(e)}`;
  }
}
