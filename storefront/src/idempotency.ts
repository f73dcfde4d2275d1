import { useCallback, useRef, useState } from 'react';
import { isRetryable } from './errors';

/** 32 hex characters from the browser's CSPRNG (crypto.randomUUID needs a secure context; this does not). */
function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const RETRY_DELAYS_MS = [300, 1000, 2000];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs an order-creating action with an idempotency key made once per click. While it is in
 * flight a further click does nothing (the button is disabled, and a ref guards the clicks React
 * has not re-rendered for yet). A network failure or SERVICE_UNAVAILABLE resends the SAME key
 * (the server returns the order if the first attempt committed), a bounded number of times; if
 * the outcome is still unknown the key is kept, so the buyer's next click on the same purchase
 * retries it rather than buying again. A definite answer (the order, or a refusal) ends the key.
 */
export function useIdempotentAction<T>(action: (idempotencyKey: string) => Promise<T>) {
  const [pending, setPending] = useState(false);
  const inFlight = useRef(false);
  /** The key of an attempt whose outcome is unknown, and the action (its input) it was for. */
  const unsettled = useRef<{ key: string; action: typeof action } | null>(null);

  const run = useCallback(async (): Promise<T | undefined> => {
    if (inFlight.current) return undefined;
    inFlight.current = true;
    setPending(true);
    // The same purchase again reuses its key; another one (say, a new quantity) gets a new key,
    // which the server would otherwise refuse as IDEMPOTENCY_KEY_REUSED.
    const key = unsettled.current?.action === action ? unsettled.current.key : newIdempotencyKey();
    unsettled.current = { key, action };
    try {
      for (let attempt = 0; ; attempt += 1) {
        try {
          const result = await action(key);
          unsettled.current = null;
          return result;
        } catch (error) {
          if (!isRetryable(error)) {
            unsettled.current = null;
            throw error;
          }
          if (attempt >= RETRY_DELAYS_MS.length) throw error; // outcome unknown: keep the key
          await sleep(RETRY_DELAYS_MS[attempt]);
        }
      }
    } finally {
      inFlight.current = false;
      setPending(false);
    }
  }, [action]);

  return { run, pending };
}
