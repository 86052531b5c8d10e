// `hookrelay serve`: runs until SIGTERM or SIGINT, then stops the way startServer's handle says.
import type { Config } from "../config";
import { startServer } from "../server";
import { checkTempDir } from "./runtime";

export async function serveCommand(config: Config): Promise<void> {
  checkTempDir();
  const running = await startServer(config);
  let stopping = false;
  const shutdown = async (signal: string) => {
    // A second signal while draining means "now".
    if (stopping) process.exit(1);
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
}
