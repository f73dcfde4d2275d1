/**
 * Errors as they may be logged. A database error's message holds the SQL that failed WITH its
 * parameters written in (MikroORM formats them in: an INSERT into users carries the email and the
 * password hash), and a driver's own message quotes values too ("Duplicate entry 'a@b.c' …").
 * What is kept: the error class, the driver's code/errno/sqlState, the message with every quoted
 * literal and number replaced by `?`, and the stack frames (never the stack's message line).
 */
export class SafeError {
  name = 'Error';
  message = '';
  code?: string | number;
  errno?: number;
  sqlState?: string;
  stack?: string[];
  cause?: SafeError;
}

/** A quoted literal starts after a non-word character (an apostrophe inside a word, "doesn't", is no quote). */
const QUOTED = /(?<!\w)(?:'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")/g;
/** A quote left open (a message cut off in the middle of a value) hides the rest. */
const OPEN_QUOTE = /(?<!\w)['"][^'"]*$/;
const NUMBER = /(?<![\w$])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w$])/gi;
/** Long runs without spaces that look like tokens, hashes or encoded secrets. */
const OPAQUE = /[A-Za-z0-9+/=_$.,:-]{40,}/g;

/** The text with every literal value removed (SQL text stays readable: `values (?, ?)`). */
export function stripLiterals(text: string): string {
  return text.replace(QUOTED, '?').replace(OPEN_QUOTE, '?').replace(OPAQUE, '?').replace(NUMBER, '?');
}

/** The loggable form of anything thrown (the logger applies it to every Error it is given). */
export function safeError(error: unknown, depth = 0): SafeError {
  const out = new SafeError();
  if (!(error instanceof Error)) {
    out.name = typeof error;
    out.message = stripLiterals(String(error));
    return out;
  }
  const e = error as Error & { code?: unknown; errno?: unknown; sqlState?: unknown; cause?: unknown };
  out.name = e.constructor?.name && e.constructor.name !== 'Object' ? e.constructor.name : e.name;
  out.message = stripLiterals(e.message);
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  if (typeof e.errno === 'number') out.errno = e.errno;
  if (typeof e.sqlState === 'string') out.sqlState = e.sqlState;
  const frames = (e.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  if (frames.length) out.stack = frames.slice(0, 15).map((line) => line.trim());
  if (e.cause !== undefined && depth < 2) out.cause = safeError(e.cause, depth + 1);
  return out;
}
