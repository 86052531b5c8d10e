#!/usr/bin/env bun
// Entry point of `bun src/index.ts` and of the compiled binary: everything is in the CLI.
import { runCli } from "./cli";

const code = await runCli(process.argv.slice(2));
if (code !== undefined) process.exit(code);
