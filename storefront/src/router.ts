import { useEffect, useState } from 'react';

/**
 * The page's routes live in the URL's hash (#/product/3), so the server serves one HTML file at
 * /storefront and a reload or a shared link lands on the same view. Four routes do not need a
 * router library.
 */
export type Route =
  | { name: 'products'; after: string | null }
  | { name: 'product'; id: string }
  | { name: 'cart' }
  | { name: 'orders' }
  | { name: 'signin' };

function parseRoute(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'product' && parts[1]) return { name: 'product', id: decodeURIComponent(parts[1]) };
  if (parts[0] === 'cart') return { name: 'cart' };
  if (parts[0] === 'orders') return { name: 'orders' };
  if (parts[0] === 'signin') return { name: 'signin' };
  return { name: 'products', after: new URLSearchParams(query).get('after') };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function navigate(hash: string): void {
  window.location.hash = hash;
}
