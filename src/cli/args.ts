// Splits argv into words and options. Every option name has one kind across all commands, so
// argv can be read before the command is known; commands then reject options they do not take.

export class UsageError extends Error {}

export type OptionKind = "string" | "boolean";

export interface ParsedArgs {
  words: string[];
  options: Map<string, string | true>;
}

const SHORT: Record<string, string> = { h: "help", v: "version" };

export function parseArgs(argv: string[], kinds: ReadonlyMap<string, OptionKind>): ParsedArgs {
  const words: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      words.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const rawName = eq === -1 ? arg : arg.slice(0, eq);
    const name = rawName.startsWith("--") ? rawName.slice(2) : SHORT[rawName.slice(1)];
    const kind = name === undefined ? undefined : kinds.get(name);
    if (name === undefined || kind === undefined) throw new UsageError(`unknown option ${rawName}`);
    if (options.has(name)) throw new UsageError(`option --${name} given twice`);
    if (kind === "boolean") {
      if (eq !== -1) throw new UsageError(`option --${name} takes no value`);
      options.set(name, true);
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) value = argv[++i];
    if (value === undefined) throw new UsageError(`option --${name} needs a value`);
    options.set(name, value);
  }
  return { words, options };
}
