import assert from 'node:assert/strict';
import { test } from 'node:test';
import { settlePort } from './free-port.ts';

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
