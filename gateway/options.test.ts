import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes } from '../protocol/index.ts';
import { readGatewayOptions } from './options.ts';
import { UserStore } from './user-store.ts';

const users = new UserStore([]);

test('the limits of issue 3 have their defaults when nothing is set', () => {
  const options = readGatewayOptions({}, users);
  assert.equal(options.sessionIdleMs, 30 * 60_000);
  assert.equal(options.sessionMaxMs, 12 * 60 * 60_000);
  assert.equal(options.loginMaxPerIp, 30);
  assert.equal(options.loginMaxPerUser, 10);
  assert.equal(options.loginWindowMs, 15 * 60_000);
  assert.equal(options.maxSocketsPerSession, 16);
  assert.deepEqual(options.trustedProxies, []);
});

test('a login unanswered for 10 s has its page told, unless MODT_NO_ANSWER_NOTICE_MS says', () => {
  assert.equal(readGatewayOptions({}, users).noAnswerNoticeMs, 10_000);
  const env = { MODT_NO_ANSWER_NOTICE_MS: '2500' };
  assert.equal(readGatewayOptions(env, users).noAnswerNoticeMs, 2500);
});

test('each limit is read from its variable', () => {
  const options = readGatewayOptions(
    {
      MODT_SESSION_MAX_MS: '60000',
      MODT_LOGIN_MAX_PER_IP: '7',
      MODT_LOGIN_MAX_PER_USER: '3',
      MODT_LOGIN_WINDOW_MS: '5000',
      MODT_MAX_SOCKETS_PER_SESSION: '4',
      MODT_TRUSTED_PROXIES: ' 10.0.0.1, 172.16.0.0/12 ,fd00::/8',
    },
    users,
  );
  assert.equal(options.sessionMaxMs, 60_000);
  assert.equal(options.loginMaxPerIp, 7);
  assert.equal(options.loginMaxPerUser, 3);
  assert.equal(options.loginWindowMs, 5000);
  assert.equal(options.maxSocketsPerSession, 4);
  assert.deepEqual(options.trustedProxies, ['10.0.0.1', '172.16.0.0/12', 'fd00::/8']);
});

const bad: { name: string; value: string }[] = [
  { name: 'MODT_SESSION_MAX_MS', value: '0' },
  { name: 'MODT_LOGIN_MAX_PER_IP', value: 'many' },
  { name: 'MODT_LOGIN_MAX_PER_USER', value: '-1' },
  { name: 'MODT_LOGIN_WINDOW_MS', value: '1.5' },
  { name: 'MODT_NO_ANSWER_NOTICE_MS', value: '0' },
  { name: 'MODT_MAX_SOCKETS_PER_SESSION', value: '0' },
  { name: 'MODT_MAX_SOCKETS_PER_SESSION', value: 'a few' },
  { name: 'MODT_TRUSTED_PROXIES', value: '10.0.0.1,proxy.internal' },
  { name: 'MODT_TRUSTED_PROXIES', value: '10.0.0.0/40' },
];
for (const { name, value } of bad) {
  test(`a bad ${name} (${value}) stops start-up with a line naming it`, () => {
    assert.throws(() => readGatewayOptions({ [name]: value }, users), (err: Error) => {
      assert.equal((err as Error & { code?: string }).code, ErrorCodes.SETTING_INVALID);
      assert.match(err.message, new RegExp(`^${name}: expected`));
      return true;
    });
  });
}

test('a bad trusted proxy entry is named in the line', () => {
  const env = { MODT_TRUSTED_PROXIES: '10.0.0.1,proxy.internal' };
  assert.throws(() => readGatewayOptions(env, users), /got 'proxy\.internal'$/);
});
