import { LoginDocument, MeDocument, RegisterDocument } from '../generated/auth';
import { errorCode, expectData } from '../helpers/client';
import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('register → login → me', () => {
  it('round-trips an account through the API', async () => {
    const reg = expectData(
      await server.client.request(RegisterDocument, { input: { email: 'Ana@Example.com', password: 'correct horse', name: 'Ana' } }),
    );
    expect(reg.register.user).toMatchObject({ email: 'ana@example.com', name: 'Ana', role: 'CUSTOMER', totpEnabled: false });

    const login = expectData(await server.client.request(LoginDocument, { input: { email: 'ana@example.com', password: 'correct horse' } }));
    const me = expectData(await server.client.withToken(login.login.token).request(MeDocument));
    expect(me.me).toMatchObject({ id: reg.register.user.id, email: 'ana@example.com' });
  });

  it('refuses a wrong password with INVALID_CREDENTIALS', async () => {
    const res = await server.client.request(LoginDocument, { input: { email: 'ana@example.com', password: 'wrong horse!' } });
    expect(errorCode(res)).toBe('INVALID_CREDENTIALS');
  });
});
