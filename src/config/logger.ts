import { SafeError, safeError, stripLiterals } from '../common/safe-error';

/**
 * A small structured logger: one JSON line per event on stderr. Keys that can carry secrets are
 * redacted wherever they appear, so a careless `log.info({ input })` cannot leak a password or token,
 * and errors are logged in their sanitized form (common/safe-error.ts).
 */
const REDACTED_KEYS = /pass(word)?|secret|token|authorization|totp|code|hash|cookie|key/i;
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
type Level = keyof typeof LEVELS;

function redact(value: unknown, depth = 0): unknown {
  if (depth > 5 || value === null || typeof value !== 'object') return value;
  // Never an error's raw message or stack: a database error's message holds the SQL with its values.
  if (value instanceof Error) return safeError(value);
  if (value instanceof SafeError) return value; // already sanitized (its `code` is a driver code, not a secret)
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = REDACTED_KEYS.test(k) ? '[redacted]' : redact(v, depth + 1);
  }
  return out;
}

const threshold = (): number => LEVELS[(process.env.LOG_LEVEL as Level) ?? 'info'] ?? LEVELS.info;

function write(level: Level, msg: string, fields?: Record<string, unknown>): void {
  if (LEVELS[level] < threshold()) return;
  const line = { time: new Date().toISOString(), level, pid: process.pid, msg, ...(redact(fields ?? {}) as object) };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

export const logger = {
  debug: (msg: string, fields?: Record<string, unknown>) => write('debug', msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write('info', msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write('warn', msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write('error', msg, fields),
};

/** Apollo Server's own messages (plain strings, possibly quoting a failed operation), sanitized. */
export const apolloLogger = {
  debug: (message?: unknown) => logger.debug('apollo', { detail: stripLiterals(String(message)) }),
  info: (message?: unknown) => logger.info('apollo', { detail: stripLiterals(String(message)) }),
  warn: (message?: unknown) => logger.warn('apollo', { detail: stripLiterals(String(message)) }),
  error: (message?: unknown) => logger.error('apollo', { detail: stripLiterals(String(message)) }),
};
