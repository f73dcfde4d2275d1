import pino from 'pino';
import pinoPretty from 'pino-pretty';
import { SafeError, safeError, stripLiterals } from '../common/safe-error';
import { logSettings, type LogSettings } from './env';

/**
 * The process's logger: pino, on stderr. JSON lines (`time`, `level` as its name, `pid`, `msg`, the
 * fields) in production and wherever stderr is not a terminal; pino-pretty for a developer at a
 * terminal (LOG_FORMAT overrides either way). Call sites keep the message-first API:
 * `logger.warn('what happened', { fields })`.
 *
 * Redaction, in two layers, so that a careless `log.info({ input })` cannot leak a secret:
 * - every key that can carry one (password, token, authorization, TOTP code, secret, hash, cookie,
 *   key) is replaced wherever it appears in the fields, at any depth, and errors are logged in
 *   their sanitized form (common/safe-error.ts). pino's own `redact` needs every path spelled out
 *   in advance (`a.b.password`), which cannot follow what call sites log, hence this `formatters.log`.
 * - the finished line is scrubbed of credentials inside strings: a URL's password
 *   (`mysql://user:…@host`, as in DATABASE_URL), a bearer token, a JWT.
 */
const REDACTED_KEYS = /pass(word)?|secret|token|authorization|totp|code|hash|cookie|key/i;
const REDACTED = '[redacted]';

function redact(value: unknown, depth = 0): unknown {
  if (depth > 5 || value === null || typeof value !== 'object') return value;
  // Never an error's raw message or stack: a database error's message holds the SQL with its values.
  if (value instanceof Error) return safeError(value);
  if (value instanceof SafeError) return value; // already sanitized (its `code` is a driver code, not a secret)
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = REDACTED_KEYS.test(k) ? REDACTED : redact(v, depth + 1);
  }
  return out;
}

/** Credentials inside any string of a finished line (JSON-escaped or not). */
function scrubLine(line: string): string {
  // Each pattern only where its cheap marker occurs: most lines carry none.
  let out = line;
  if (out.includes('://')) out = out.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s"]*):[^@\s"/]*@/gi, `$1:${REDACTED}@`);
  if (/bearer|basic/i.test(out)) out = out.replace(/\b(bearer|basic)\s+[\w.~+/=-]+/gi, `$1 ${REDACTED}`);
  if (out.includes('eyJ')) out = out.replace(/\beyJ[\w-]*\.[\w-]+\.[\w-]*/g, REDACTED);
  return out;
}

function usePretty(settings: LogSettings): boolean {
  if (settings.format !== 'auto') return settings.format === 'pretty';
  return process.env.NODE_ENV !== 'production' && Boolean(process.stderr.isTTY);
}

function createRoot(settings: LogSettings): pino.Logger {
  const options: pino.LoggerOptions = {
    level: settings.level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (fields) => redact(fields) as Record<string, unknown>,
    },
    hooks: { streamWrite: scrubLine },
  };
  if (usePretty(settings)) {
    // In-process and synchronous (not pino's worker-thread transport): a line logged just before
    // process.exit is still written.
    return pino(options, pinoPretty({ destination: 2, sync: true, colorize: Boolean(process.stderr.isTTY), ignore: 'pid', translateTime: 'SYS:HH:MM:ss.l' }));
  }
  return pino(options, pino.destination({ dest: 2, sync: true }));
}

let root: pino.Logger | undefined;
/** Made on first use, from LOG_LEVEL and LOG_FORMAT (a bad value stops the start in loadConfig). */
const log = (): pino.Logger => (root ??= createRoot(logSettings(process.env)));

type Fields = Record<string, unknown>;

export const logger = {
  debug: (msg: string, fields?: Fields) => log().debug(fields ?? {}, msg),
  info: (msg: string, fields?: Fields) => log().info(fields ?? {}, msg),
  warn: (msg: string, fields?: Fields) => log().warn(fields ?? {}, msg),
  error: (msg: string, fields?: Fields) => log().error(fields ?? {}, msg),
};

/** Apollo Server's own messages (plain strings, possibly quoting a failed operation), sanitized. */
export const apolloLogger = {
  debug: (message?: unknown) => logger.debug('apollo', { detail: stripLiterals(String(message)) }),
  info: (message?: unknown) => logger.info('apollo', { detail: stripLiterals(String(message)) }),
  warn: (message?: unknown) => logger.warn('apollo', { detail: stripLiterals(String(message)) }),
  error: (message?: unknown) => logger.error('apollo', { detail: stripLiterals(String(message)) }),
};
