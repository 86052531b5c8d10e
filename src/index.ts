#!/usr/bin/env bun
// Entry point: `serve` (default). Bad configuration exits with one line naming the variable.
import { ConfigError, loadConfig } from "./config";
import { startServer } from "./server";

async function main(argv: string[]): Promise<void> {
  const command = argv[0] ?? "serve";
  if (command !== "serve") {
    console.error(`Unknown command "${command}". Try: serve`);
    process.exit(2);
  }
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`hookrelay: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
  const running = await startServer(config);
  const shutdown = async () => {
    await running.stop();
    process.exit(0);
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}

await main(process.argv.slice(2));
