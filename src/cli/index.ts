// The hookrelay command line: `serve` (default), `migrate`, `keys create`, `users create|list|
// disable|enable|reset-password`, `backup`, `health`, `--help`, `--version`. Errors are one line
// on stderr and a non-zero exit: 2 for a mistake in the command line (a bad option value
// included), 1 for anything else (a bad environment variable included).
import { ConfigError, type Config } from "../config";
import { DatabaseUnavailable } from "../db/client";
import { DatabaseInUse } from "../db/serve-lock";
import { HttpError } from "../http/errors";
import { StartupError } from "../server";
import { VERSION } from "../version";
import { backupCommand, CommandFailed, healthCommand, migrateCommand } from "./admin-commands";
import { parseArgs, UsageError, type OptionKind, type ParsedArgs } from "./args";
import { CONFIG_FLAGS, loadCliConfig } from "./config-flags";
import { serveCommand } from "./serve";
import { createUserCommand, listUsersCommand, resetPasswordCommand, setUserDisabledCommand } from "./user-commands";
import { createKeyCommand, listKeysCommand, revokeKeyCommand } from "./key-commands";

type Env = Record<string, string | undefined>;

interface Command {
  words: string[];
  args: string[];
  summary: string;
  options: Record<string, { kind: OptionKind; value?: string; help: string }>;
  /**
   * The environment variables it reads (all when absent): a bad value of any other one does not
   * stop it. LOG_LEVEL is read by every command (debug shows the stack of an unexpected error).
   */
  uses?: ReadonlySet<string>;
  /** `config()` loads the configuration the command uses; called after its own usage checks. */
  run(parsed: ParsedArgs, args: string[], config: () => Config): Promise<void> | void;
}

const DATABASE_ONLY = new Set(["DATABASE_PATH", "DATABASE_URL", "LOG_LEVEL"]);
const EMAIL_OPTION = { email: { kind: "string" as const, value: "EMAIL", help: "the user's e-mail address (required)" } };

function requiredEmail(parsed: ParsedArgs, command: string): string {
  const email = stringOption(parsed, "email");
  if (email === undefined) throw new UsageError(`${command} needs --email`);
  return email;
}

const COMMANDS: Command[] = [
  {
    words: ["serve"],
    args: [],
    summary: "Run the API and the delivery loop (the default command)",
    options: {},
    run: (_p, _a, config) => serveCommand(config()),
  },
  {
    words: ["migrate"],
    args: [],
    summary: "Apply pending database migrations and exit (serve does this at start-up too)",
    options: {},
    uses: DATABASE_ONLY,
    run: (_p, _a, config) => migrateCommand(config()),
  },
  {
    words: ["keys", "create"],
    args: [],
    summary: "Create an API key and print it once (a platform key, or one tenant's with --tenant)",
    options: {
      name: { kind: "string", value: "NAME", help: 'a label for the key (default "cli")' },
      tenant: { kind: "string", value: "TENANT", help: "make a tenant key: it acts on this tenant only" },
      "can-publish": { kind: "boolean", help: "let a tenant key publish events (platform keys always may)" },
      "expires-in": { kind: "string", value: "DURATION", help: "the key stops working after this long: 30d, 12h, 90m" },
    },
    uses: DATABASE_ONLY,
    run: (p, _a, config) =>
      createKeyCommand(config(), {
        name: stringOption(p, "name") ?? "cli",
        tenant: stringOption(p, "tenant"),
        canPublish: p.options.has("can-publish"),
        expiresIn: stringOption(p, "expires-in"),
      }),
  },
  {
    words: ["keys", "list"],
    args: [],
    summary: "List API keys (never their secrets), newest first",
    options: { tenant: { kind: "string", value: "TENANT", help: "only this tenant's keys" } },
    uses: DATABASE_ONLY,
    run: (p, _a, config) => listKeysCommand(config(), stringOption(p, "tenant")),
  },
  {
    words: ["keys", "revoke"],
    args: ["ID"],
    summary: "Revoke an API key; it is refused from the next request on",
    options: {},
    uses: DATABASE_ONLY,
    run: (p, args, config) => revokeKeyCommand(config(), args[0]!),
  },
  {
    words: ["users", "create"],
    args: [],
    summary: "Create a user who can sign in to the traffic-source API",
    options: {
      ...EMAIL_OPTION,
      name: { kind: "string", value: "NAME", help: "display name" },
      "password-stdin": { kind: "boolean", help: "read the password from standard input (otherwise one is generated and printed)" },
    },
    uses: DATABASE_ONLY,
    run: (p, _a, config) => {
      const email = requiredEmail(p, "users create");
      return createUserCommand(config(), {
        email,
        name: stringOption(p, "name"),
        passwordFromStdin: p.options.has("password-stdin"),
      });
    },
  },
  {
    words: ["users", "list"],
    args: [],
    summary: "List users, newest first (id, email, status, created, name)",
    options: {},
    uses: DATABASE_ONLY,
    run: (_p, _a, config) => listUsersCommand(config()),
  },
  {
    words: ["users", "disable"],
    args: [],
    summary: "Disable a user: no sign-in, and their sessions end at once",
    options: EMAIL_OPTION,
    uses: DATABASE_ONLY,
    run: (p, _a, config) => {
      const email = requiredEmail(p, "users disable");
      return setUserDisabledCommand(config(), email, true);
    },
  },
  {
    words: ["users", "enable"],
    args: [],
    summary: "Let a disabled user sign in again",
    options: EMAIL_OPTION,
    uses: DATABASE_ONLY,
    run: (p, _a, config) => {
      const email = requiredEmail(p, "users enable");
      return setUserDisabledCommand(config(), email, false);
    },
  },
  {
    words: ["users", "reset-password"],
    args: [],
    summary: "Set a new password for a user and end their sessions",
    options: {
      ...EMAIL_OPTION,
      "password-stdin": { kind: "boolean", help: "read the new password from standard input (otherwise one is generated and printed)" },
    },
    uses: DATABASE_ONLY,
    run: (p, _a, config) => {
      const email = requiredEmail(p, "users reset-password");
      return resetPasswordCommand(config(), email, p.options.has("password-stdin"));
    },
  },
  {
    words: ["backup"],
    args: ["FILE"],
    summary: "Write a consistent copy of the database to FILE, safe while serve runs",
    options: {},
    uses: DATABASE_ONLY,
    run: (_p, args, config) => backupCommand(config(), args[0]!),
  },
  {
    words: ["health"],
    args: [],
    summary: "Exit 0 if the server at HOST:PORT answers /health (for container health checks)",
    options: {},
    uses: new Set(["HOST", "PORT", "LOG_LEVEL"]),
    run: (_p, _a, config) => healthCommand(config()),
  },
];

const GLOBAL_OPTIONS: Record<string, OptionKind> = { help: "boolean", version: "boolean" };

const OPTION_KINDS = new Map<string, OptionKind>([
  ...Object.entries(GLOBAL_OPTIONS),
  ...CONFIG_FLAGS.map((f) => [f.option, "string"] as const),
  ...COMMANDS.flatMap((c) => Object.entries(c.options).map(([name, o]) => [name, o.kind] as const)),
]);

function stringOption(parsed: ParsedArgs, name: string): string | undefined {
  const value = parsed.options.get(name);
  return typeof value === "string" ? value : undefined;
}

function findCommand(words: string[]): { command: Command; args: string[] } {
  if (words.length === 0) return { command: COMMANDS[0]!, args: [] };
  const command = COMMANDS.find((c) => c.words.every((w, i) => words[i] === w));
  if (!command) {
    const group = COMMANDS.find((c) => c.words.length > 1 && c.words[0] === words[0]);
    if (group && words.length === 1) {
      const subcommands = COMMANDS.filter((c) => c.words.length > 1 && c.words[0] === words[0]).map((c) => c.words.slice(1).join(" "));
      throw new UsageError(`"${words[0]}" needs a subcommand: ${subcommands.join(", ")}`);
    }
    throw new UsageError(`unknown command "${words.join(" ")}"`);
  }
  const args = words.slice(command.words.length);
  if (args.length !== command.args.length) {
    const expected = command.args.length === 0 ? "no arguments" : command.args.join(" ");
    throw new UsageError(`${command.words.join(" ")} takes ${expected}, got ${args.length === 0 ? "none" : `"${args.join(" ")}"`}`);
  }
  return { command, args };
}

function checkOptions(command: Command, parsed: ParsedArgs): void {
  const allowed = new Set([...Object.keys(GLOBAL_OPTIONS), ...CONFIG_FLAGS.map((f) => f.option), ...Object.keys(command.options)]);
  for (const name of parsed.options.keys()) {
    if (!allowed.has(name)) throw new UsageError(`${command.words.join(" ")} does not take --${name}`);
  }
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text}  ` : text.padEnd(width);
}

function configOptionsHelp(): string {
  const lines = CONFIG_FLAGS.map((f) => `  ${pad(`--${f.option} <value>`, 40)}${f.variable} (default ${f.defaultValue === "" ? '""' : f.defaultValue})`);
  return [
    "Options mirror the environment variables; an option wins over its variable:",
    ...lines,
    "Secrets are read from the environment only (command lines are visible to other users):",
    "  ADMIN_API_KEY, DISCORD_BOT_TOKEN",
  ].join("\n");
}

export function mainHelp(): string {
  const commands = COMMANDS.map((c) => `  ${pad([...c.words, ...c.args].join(" "), 22)}${c.summary}`);
  return [
    `hookrelay ${VERSION}: self-hosted webhook delivery`,
    "",
    "Usage: hookrelay [command] [options]",
    "",
    "Commands:",
    ...commands,
    "",
    configOptionsHelp(),
    "",
    `  ${pad("-h, --help", 40)}show help (hookrelay <command> --help for a command)`,
    `  ${pad("-v, --version", 40)}print the version`,
    "",
  ].join("\n");
}

function commandHelp(command: Command): string {
  const own = Object.entries(command.options).map(
    ([name, o]) => `  ${pad(`--${name}${o.value ? ` <${o.value}>` : ""}`, 40)}${o.help}`,
  );
  return [
    `Usage: hookrelay ${[...command.words, ...command.args].join(" ")} [options]`,
    "",
    command.summary + ".",
    "",
    ...(own.length ? ["Options:", ...own, ""] : []),
    command.words[0] === "serve"
      ? configOptionsHelp()
      : `  ${pad("--database-path <value>", 40)}DATABASE_PATH (default ${CONFIG_FLAGS.find((f) => f.variable === "DATABASE_PATH")?.defaultValue})\n` +
        "The other options of hookrelay --help are accepted too.",
    "",
  ].join("\n");
}

function describeError(e: unknown): string {
  if (e instanceof HttpError) {
    return e.details?.length ? e.details.map((d) => `${d.field}: ${d.message}`).join("; ") : e.message;
  }
  const message = e instanceof Error ? e.message : String(e);
  // One line, whatever the library said.
  return message.split("\n").find((l) => l.trim() !== "")?.trim() ?? "unexpected error";
}

/**
 * Runs one command. Resolves with the exit code, or with undefined when the command keeps the
 * process alive (serve) and will exit by itself.
 */
export async function runCli(argv: string[], env: Env = process.env): Promise<number | undefined> {
  try {
    const parsed = parseArgs(argv, OPTION_KINDS);
    if (parsed.options.has("version")) {
      process.stdout.write(`hookrelay ${VERSION}\n`);
      return 0;
    }
    if (parsed.words[0] === "help" || parsed.options.has("help")) {
      const topic = parsed.words[0] === "help" ? parsed.words.slice(1) : parsed.words;
      // `hookrelay keys --help` names no single command: the overview lists them all.
      const command = topic.length ? COMMANDS.find((c) => c.words.every((w, i) => topic[i] === w)) : undefined;
      if (topic.length && !command && !COMMANDS.some((c) => c.words[0] === topic[0])) findCommand(topic);
      process.stdout.write(command ? commandHelp(command) : mainHelp());
      return 0;
    }
    const { command, args } = findCommand(parsed.words);
    checkOptions(command, parsed);
    await command.run(parsed, args, () => loadCliConfig(parsed.options, env, command.uses));
    return command.words[0] === "serve" ? undefined : 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`hookrelay: ${e.message} (see hookrelay --help)\n`);
      return 2;
    }
    const expected = [ConfigError, CommandFailed, HttpError, StartupError, DatabaseInUse, DatabaseUnavailable].some((kind) => e instanceof kind);
    if (!expected) {
      // Unexpected: keep the one-line contract, but let an operator who asks see the stack.
      if (env.LOG_LEVEL?.trim().toLowerCase() === "debug" && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    }
    process.stderr.write(`hookrelay: ${describeError(e)}\n`);
    return 1;
  }
}
