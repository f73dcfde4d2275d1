/**
 * Apollo Client runs its development checks (the "Cache data may be lost" warnings among them)
 * only when `globalThis.__DEV__` is true as it loads, or under the "development" export
 * condition, which jest does not set. Imported first by the suite, before @apollo/client.
 */
(globalThis as { __DEV__?: boolean }).__DEV__ = true;
