import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/env';
import { TEST_DB, useServer, withServer } from '../kit';

/**
 * The storefront's build artefacts and how the server serves them (no browser: see
 * storefront.test.ts for the page itself). The generated types and the typecheck do not depend on
 * the database, so they run in the sqlite project only.
 */
const root = path.join(__dirname, '..', '..');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
const itOnce = TEST_DB === 'sqlite' ? it : it.skip;

describe('storefront sources', () => {
  itOnce('storefront/src/gql is what codegen makes from schema.graphql and storefront/src/operations (run `npm run codegen:storefront`)', () => {
    expect(() => execFileSync(bin('graphql-codegen'), ['--config', 'storefront/codegen.ts', '--check'], { cwd: root, stdio: 'pipe' })).not.toThrow();
  });

  itOnce('the storefront typechecks against its generated types (tsc -p storefront/tsconfig.json)', () => {
    let output = '';
    try {
      execFileSync(bin('tsc'), ['-p', 'storefront/tsconfig.json'], { cwd: root, stdio: 'pipe' });
    } catch (error) {
      output = String((error as { stdout?: Buffer }).stdout ?? error);
    }
    expect(output).toBe('');
  });
});

describe('STOREFRONT', () => {
  it('is on by default outside production, off in production unless STOREFRONT=1, and refuses other values', () => {
    const prod = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), TOTP_ENCRYPTION_KEY: 'y'.repeat(40) };
    expect(loadConfig({}).config.storefront).toBe(true);
    expect(loadConfig({ STOREFRONT: '0' }).config.storefront).toBe(false);
    expect(loadConfig(prod).config.storefront).toBe(false);
    expect(loadConfig({ ...prod, STOREFRONT: '1' }).config.storefront).toBe(true);
    expect(() => loadConfig({ STOREFRONT: 'maybe' })).toThrow('STOREFRONT must be 1/true/yes/on or 0/false/no/off (got "maybe")');
  });
});

describe('GET /storefront', () => {
  const server = useServer();

  it('serves the page and the bundle that npm run build made, with the security headers', async () => {
    const page = await fetch(`${server.url}/storefront`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    expect(html).toContain('<script src="/storefront/app.js"></script>');
    expect(await (await fetch(`${server.url}/storefront/`)).text()).toBe(html);

    const script = await fetch(`${server.url}/storefront/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toBe(fs.readFileSync(path.join(root, 'dist', 'storefront', 'app.js'), 'utf8'));
    expect((await fetch(`${server.url}/storefront/app.css`)).status).toBe(200);
  });

  it('answers 404 for anything else under /storefront, path tricks included', async () => {
    for (const name of ['nope.js', '..%2Fpackage.json', '../package.json', 'constructor', 'app.js/x']) {
      expect((await fetch(`${server.url}/storefront/${name}`)).status).toBe(404);
    }
  });

  it('is not served with STOREFRONT=0', async () => {
    await withServer({ env: { STOREFRONT: '0' } }, async (off) => {
      expect((await fetch(`${off.url}/storefront`)).status).toBe(404);
      expect((await fetch(`${off.url}/storefront/app.js`)).status).toBe(404);
    });
  });
});
