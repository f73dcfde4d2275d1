import fs from 'node:fs';
import path from 'node:path';

/**
 * The storefront page (storefront/, React + Apollo Client), served from the bundle that
 * `npm run build` writes to dist/storefront (scripts/build-storefront.ts): three files and a
 * source map, all from this process, so the page works with no internet.
 */
const FILES = new Map<string, string>([
  ['index.html', 'text/html'],
  ['app.js', 'text/javascript'],
  ['app.css', 'text/css'],
  ['app.js.map', 'application/json'],
  ['app.css.map', 'application/json'],
  ['app.js.LEGAL.txt', 'text/plain'],
]);

/** The repository (or image) root: the first folder above this file with a package.json (src/http or dist/src/http). */
function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

const BUNDLE_DIR = path.join(packageRoot(), 'dist', 'storefront');
const cache = new Map<string, Buffer>();

export type StorefrontFile = { body: Buffer; type: string } | 'not-found' | 'not-built';

/**
 * The file for `/storefront/<name>` ('' is the page), 'not-found' for any other name, or
 * 'not-built' when the bundle is missing (the server was started without `npm run build`).
 */
export function storefrontFile(name: string): StorefrontFile {
  const file = name === '' ? 'index.html' : name;
  const type = FILES.get(file);
  if (!type) return 'not-found';
  let body = cache.get(file);
  if (!body) {
    const full = path.join(BUNDLE_DIR, file);
    if (!fs.existsSync(full)) return file === 'index.html' || file === 'app.js' ? 'not-built' : 'not-found';
    body = fs.readFileSync(full);
    cache.set(file, body);
  }
  return { body, type };
}
