import assert from 'node:assert/strict';
import { test } from 'node:test';
import net from 'node:net';
import { ErrorCodes } from '../protocol/index.ts';
import { checkPortFree, settlePort } from './free-port.ts';

test('PORT=0 becomes a port the kernel picked, which the default public URL then names',
  async () => {
  const env = await settlePort({ PORT: '0', MODT_HOST: '127.0.0.1' });
  assert.ok(Number(env.PORT) > 0, env.PORT);
  assert.equal(env.MODT_HOST, '127.0.0.1');
});

const kept: Record<string, string>[] = [
  {},
  { PORT: '8081' },
  { PORT: '0', MODT_PUBLIC_URL: 'https://login.example.com/' },
];
for (const env of kept) {
  test(`the settings ${JSON.stringify(env)} are kept as they are`, async () => {
    assert.deepEqual(await settlePort(env), env);
  });
}

const badHosts = ['nowhere.invalid', '300.1.1.1', '192.0.2.1'];
for (const host of badHosts) {
  test(`a MODT_HOST of ${host} is refused by name, not taken for a port in use`, async () => {
    for (const env of [{ PORT: '0', MODT_HOST: host }, { PORT: '8089', MODT_HOST: host }]) {
      const check = env.PORT === '0' ? settlePort(env) : checkPortFree(env);
      await assert.rejects(check, (err: Error & { code?: string }) => {
        assert.equal(err.code, ErrorCodes.SETTING_INVALID);
        assert.match(err.message, new RegExp(`^MODT_HOST: expected an address .*'${host}'`));
        return true;
      });
    }
  });
}

test('a port that is taken is PORT_IN_USE, naming PORT', async (t) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  t.after(() => server.close());
  const { port } = server.address() as net.AddressInfo;
  await assert.rejects(checkPortFree({ PORT: String(port), MODT_HOST: '127.0.0.1' }), {
    code: ErrorCodes.PORT_IN_USE,
    message: new RegExp(`^port ${port} on 127.0.0.1 is taken or not ours: set PORT`),
  });
});
