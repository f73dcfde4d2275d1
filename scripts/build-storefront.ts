/**
 * Bundles the storefront (storefront/src, React + Apollo Client) with esbuild into
 * dist/storefront: index.html, app.js, app.css. Everything the page needs is in those files, so
 * it loads with no internet. `npm run build` runs it after tsc; the server serves the folder at
 * /storefront (src/http/storefront.ts). Types are checked by tsc -p storefront/tsconfig.json,
 * not here: esbuild only strips them.
 */
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const source = path.join(root, 'storefront');
  const outdir = path.join(root, 'dist', 'storefront');
  fs.rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: [
      { in: path.join(source, 'src', 'main.tsx'), out: 'app' },
    ],
    outdir,
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'iife',
    target: ['es2020'],
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'linked',
    logLevel: 'warning',
  });
  fs.copyFileSync(path.join(source, 'index.html'), path.join(outdir, 'index.html'));
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
