// `hookrelay serve`: runs until SIGTERM or SIGINT, then stops the way startServer's handle says.
// The handlers are installed before the server starts: a signal that arrives while it starts (or
// right after it said it listens) is answered by the same graceful stop once start-up is done,
// never by the default action of killing the process mid-write.
import type { Config } from "../config";
import { startServer } from "../server";
import { checkTempDir } from "./runtime";

export async function serveCommand(config: Config): Promise<void> {
  checkTempDir();
  let running: Awaited<ReturnType<typeof startServer>> | undefined;
  let requested: string | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    // A second signal while draining (or while still starting) means "now".
    if (stopping || (requested !== undefined && running === undefined)) process.exit(1);
    requested = signal;
    if (running === undefined) return; // stopped as soon as start-up is done
    stopping = true;
    running.deps.logger.info("stopping", { signal });
    try {
      await running.stop();
    } catch (e) {
      running.deps.logger.error("shutdown failed", { error: (e as Error).message });
      process.exit(1);
    }
    running.deps.logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  running = await startServer(config);
  if (requested !== undefined) await shutdown(requested);
}
