import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { LoginDocument } from './generated/auth';
import { expectData, withServer } from './kit';

/**
 * docker-compose.yml cannot run here (no Docker): this starts the server with the app service's
 * environment as Compose would resolve it, on the suite's database, and checks what a user of
 * `docker compose up` gets.
 */
function composeAppEnvironment(shell: Record<string, string>): Record<string, string> {
  const compose = parse(fs.readFileSync(path.join(__dirname, '..', 'docker-compose.yml'), 'utf8')) as {
    services: { app: { environment: Record<string, string> } };
  };
  // Compose's interpolation: ${NAME:-default} and ${NAME:?message}, from the shell's variables.
  const resolve = (value: string) =>
    String(value).replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_m, name: string, kind?: string, rest?: string) => {
      if (shell[name]) return shell[name];
      if (kind === '?') throw new Error(`compose would refuse to start: ${rest}`);
      return rest ?? '';
    });
  return Object.fromEntries(Object.entries(compose.services.app.environment).map(([key, value]) => [key, resolve(value)]));
}

describe('docker compose', () => {
  const secrets = { JWT_SECRET: 'j'.repeat(48), TOTP_ENCRYPTION_KEY: 't'.repeat(48) };

  it('does not seed unless asked', () => {
    expect(composeAppEnvironment(secrets)).toMatchObject({ NODE_ENV: 'production', SEED_DEMO_DATA: '0' });
  });

  it('`SEED_DEMO_DATA=1 docker compose up` starts with the demo accounts of the README', async () => {
    const env = composeAppEnvironment({ ...secrets, SEED_DEMO_DATA: '1' });
    // The suite's own database and port instead of the compose network's; the rest as compose sets it.
    const { DATABASE_URL: _url, PORT: _port, ...rest } = env;
    await withServer({ env: { ...rest, LOG_LEVEL: 'silent' } }, async (server) => {
      const login = expectData(await server.client.request(LoginDocument, { input: { email: 'buyer@example.com', password: 'buyer-password-1' } }));
      expect(login.login.user.id).toBeDefined();
    });
  });
});
