/**
 * Leveled logging to stderr. stdout belongs to the JSONL harness, so every
 * human-readable line goes to stderr.
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
      sink(`${time} ${lvl.toUpperCase().padEnd(5)} ${scope ? `[${scope}] ` : ""}${message}`);
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
