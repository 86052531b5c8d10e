// A status line for long commands, rewritten in place on stderr, only when stderr is a
// terminal: piped into a log or run by a script, a command prints its result line alone.

export interface Progress {
  update(text: string): void;
  /** Erases the status line, so the result line takes its place. */
  clear(): void;
}

export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update() {}, clear() {} };
  let shown = false;
  // Carriage return, then "erase line": the next text replaces the last.
  return {
    update(text) {
      // A line wider than the terminal would wrap, and the carriage return would rewrite only its end.
      const width = stream.columns > 1 ? stream.columns - 1 : text.length;
      stream.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
      shown = true;
    },
    clear() {
      if (shown) stream.write("\r\x1b[2K");
      shown = false;
    },
  };
}
