/** Severity of a log line, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured context attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * The logging hook. Pass your own (pino, winston, …) in the system options; Troupe
 * only ever calls these four methods and never throws from them.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Writes lines at or above `level` to the console (stderr for warn and error). */
export class ConsoleLogger implements Logger {
  private readonly threshold: number;

  /** @param level lowest level printed. @default 'warn' */
  constructor(
    level: LogLevel = 'warn',
    private readonly prefix = 'troupe',
  ) {
    if (!(level in LEVEL_ORDER)) throw new TypeError(`ConsoleLogger: level must be one of ${Object.keys(LEVEL_ORDER).join(', ')}, got ${String(level)}`);
    this.threshold = LEVEL_ORDER[level];
  }

  debug(message: string, fields?: LogFields): void {
    if (this.threshold <= 0) console.log(this.line('debug', message, fields));
  }

  info(message: string, fields?: LogFields): void {
    if (this.threshold <= 1) console.log(this.line('info', message, fields));
  }

  warn(message: string, fields?: LogFields): void {
    if (this.threshold <= 2) console.error(this.line('warn', message, fields));
  }

  error(message: string, fields?: LogFields): void {
    if (this.threshold <= 3) console.error(this.line('error', message, fields));
  }

  private line(level: LogLevel, message: string, fields?: LogFields): string {
    return fields === undefined ? `[${this.prefix}] ${level} ${message}` : `[${this.prefix}] ${level} ${message} ${safeJson(fields)}`;
  }
}

/** A logger that drops everything: for tests and benchmarks. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function safeJson(fields: LogFields): string {
  try {
    return JSON.stringify(fields, (_key, value: unknown) => (value instanceof Error ? `${value.name}: ${value.message}` : value));
  } catch {
    return '[unserialisable fields]';
  }
}
