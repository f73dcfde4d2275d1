/**
 * The signed-in buyer's token: in memory, and in localStorage so that a reload keeps the session.
 * Listeners (the Apollo client's WebSocket, the React tree) hear every change.
 */
const STORAGE_KEY = 'flashsale.storefront.token';

type Listener = (token: string | null) => void;

let current: string | null = readStored();
const listeners = new Set<Listener>();

function readStored(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled (private mode): the session lives in memory only
  }
}

export function getToken(): string | null {
  return current;
}

export function setToken(token: string | null): void {
  current = token;
  try {
    if (token) window.localStorage.setItem(STORAGE_KEY, token);
    else window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    /* memory only */
  }
  for (const listener of listeners) listener(token);
}

export function onTokenChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
