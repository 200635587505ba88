/**
 * Leveled logging to stderr. stdout belongs to the JSONL harness, so every
 * human-readable line goes to stderr.
 *
 * Messages carry text from the wire and from game folders (peer names, game
 * names, paths), so every control character is escaped before a line is
 * written: C0 (newlines included), DEL, C1, and the Unicode bidi overrides
 * and isolates (U+202A-U+202E, U+2066-U+2069). A line on the terminal is
 * then always exactly one line, and it cannot move the cursor, clear the
 * screen, set the window title or reorder what the reader sees.
 *
 * @module
 */

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = typeof LOG_LEVELS[number];

/** A logger scoped to one component; `child` adds a scope. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  child(scope: string): Logger;
}

/** Options for {@linkcode createLogger}. */
export interface LoggerOptions {
  /** Lowest level that is written. @default {"info"} */
  level?: LogLevel;
  /** Where lines go. @default {a writer to stderr} */
  sink?: (line: string) => void;
  /** Scope shown in brackets. @default {""} */
  scope?: string;
}

const encoder = new TextEncoder();

// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every control character, DEL, C1 control and bidi override
 * written as a visible escape: `\x1b`, `\x0a`, `\u202e`.
 */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

function stderrSink(line: string): void {
  try {
    Deno.stderr.writeSync(encoder.encode(line + "\n"));
  } catch {
    // stderr closed: nowhere left to report to.
  }
}

/** Creates a logger that writes `LEVEL [scope] message` lines. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  const sink = options.sink ?? stderrSink;
  const min = LOG_LEVELS.indexOf(level);
  const make = (scope: string): Logger => {
    const write = (lvl: LogLevel, message: string) => {
      if (LOG_LEVELS.indexOf(lvl) < min) return;
      const time = new Date().toISOString().slice(11, 23);
      const text = escapeControls(`${scope ? `[${scope}] ` : ""}${message}`);
      sink(`${time} ${lvl.toUpperCase().padEnd(5)} ${text}`);
    };
    return {
      debug: (m) => write("debug", m),
      info: (m) => write("info", m),
      warn: (m) => write("warn", m),
      error: (m) => write("error", m),
      child: (s) => make(scope ? `${scope}/${s}` : s),
    };
  };
  return make(options.scope ?? "");
}

/** A logger that drops everything (tests that do not care). */
export const silentLogger: Logger = createLogger({ level: "silent" });
