// Start-up order (docs/architecture.md): config → database + migrations → API key bootstrap →
// (background checkpointer) → delivery loop → listen.
// Returns a handle whose stop() shuts down in reverse order.
import { buildApp } from "./app";
import { bootstrapApiKey } from "./auth/api-keys";
import type { Config } from "./config";
import { startCheckpointer } from "./db/checkpointer";
import { closeDatabase, openDatabase } from "./db/client";
import { migrateDatabase } from "./db/migrate";
import { createDeliveryLoop } from "./delivery/loop";
import type { AppDeps } from "./deps";
import { MAX_BODY_BYTES } from "./http/body-parser";
import { createLogger, stdoutWantsColour } from "./log";
import { AppMetrics } from "./metrics/app-metrics";
import { withoutUserinfo } from "./tracing/config";
import { startTracing } from "./tracing/tracing";

export interface RunningServer {
  url: string;
  deps: AppDeps;
  stop(): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const logger = createLogger(config.logLevel, undefined, config.logFormat, config.logFormat === "pretty" && stdoutWantsColour());
  const db = openDatabase(config.databasePath);
  migrateDatabase(db);
  const generated = bootstrapApiKey(db, config.adminApiKey);
  if (generated) {
    // Printed once, to stdout; only its hash is stored.
    process.stdout.write(
      `\nNo API key was configured, so one was generated. Store it now; it will not be shown again:\n\n    ${generated.key}\n\n` +
        `It is "${generated.name}" in \`hookrelay keys list\`; once you have keys of your own, revoke it with\n` +
        `\`hookrelay keys revoke ${generated.id}\` (or DELETE /api/v1/api-keys/${generated.id}).\n\n`,
    );
  }
  const checkpointer = await startCheckpointer(db, config.databasePath, logger);
  const tracing = await startTracing(config.tracing, logger);
  const loop = createDeliveryLoop({ config, db, logger, tracing });
  const deps: AppDeps = { config, db, logger, metrics: new AppMetrics(), tracing, wakeDelivery: loop.wake, delivery: loop };
  loop.start();
  const app = buildApp(deps).listen({
    port: config.port,
    hostname: config.host,
    // Our JSON parser answers 413 in the envelope at 1 MiB; this is only the hard backstop.
    maxRequestBodySize: MAX_BODY_BYTES * 4,
  });
  const server = app.server!;
  const url = `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${server.port}`;
  logger.info("listening", { url, database: config.databasePath, ...(config.tracing ? { traces_to: withoutUserinfo(config.tracing.url) } : {}) });

  return {
    url,
    deps,
    async stop() {
      // Stop taking requests and claiming work together; in-flight deliveries get a bounded
      // drain, and whatever is left is released so the next start picks it up at once.
      await Promise.all([server.stop(), loop.stop()]);
      await checkpointer?.stop();
      closeDatabase(db);
      // Last: the spans of the final requests and attempts are exported before the exit.
      await tracing?.shutdown().catch(() => {});
    },
  };
}
