// One line per entry on stdout. `json` (the default): one JSON object per line, so any log
// shipper can read it without a parser. `pretty`, for development: time, level, message and
// key=value fields, coloured only when the output is a terminal.
import type { LogFormat, LogLevel } from "./config";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Whether lines of this level are written: lets hot paths skip building fields. */
  enabled(level: Exclude<LogLevel, "silent">): boolean;
}

type Level = Exclude<LogLevel, "silent">;
type Format = (time: Date, level: Level, msg: string, fields: Record<string, unknown> | undefined) => string;

const json: Format = (time, level, msg, fields) => JSON.stringify({ time: time.toISOString(), level, msg, ...fields }) + "\n";

const COLOURS: Record<Level, string> = { debug: "\x1b[90m", info: "\x1b[32m", warn: "\x1b[33m", error: "\x1b[31m" };
const DIM = "\x1b[2m";
const RESET = "\x1b[0m";

/** A value as it reads on one line: bare when it has no space, quote or `=`; JSON otherwise. */
function prettyValue(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}

function pretty(colour: boolean): Format {
  return (time, level, msg, fields) => {
    let line = `${time.toISOString().slice(11, 23)} ${colour ? COLOURS[level] : ""}${level.toUpperCase().padEnd(5)}${colour ? RESET : ""} ${msg}`;
    for (const key in fields) {
      const value = fields[key];
      if (value === undefined) continue;
      line += colour ? ` ${DIM}${key}=${RESET}${prettyValue(value)}` : ` ${key}=${prettyValue(value)}`;
    }
    return line + "\n";
  };
}

/** Colour for pretty lines: only on a terminal, and never with NO_COLOR set (https://no-color.org). */
export function stdoutWantsColour(): boolean {
  return process.stdout.isTTY === true && !process.env.NO_COLOR;
}

export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (l) => process.stdout.write(l),
  format: LogFormat = "json",
  colour = false,
): Logger {
  const min = RANK[level];
  const toLine = format === "pretty" ? pretty(colour) : json;
  const emit = (lvl: Level) => (msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < min) return;
    write(toLine(new Date(), lvl, msg, fields));
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error"), enabled: (lvl) => RANK[lvl] >= min };
}
