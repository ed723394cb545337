import { freePort } from './free-port.ts';
import { Gateway, UserStore, hashPassword, type GatewayOptions } from '../../gateway/index.ts';

/**
 * Test users carry a cheap scrypt cost: the hash format records it, the code path is the
 * real one.
 */
export const TEST_COST = { logN: 10, r: 8, p: 1 } as const;

export async function testUsers(users: { username: string; password: string; role: string }[]) {
  const records = [];
  for (const user of users) {
    records.push({ ...user, password: await hashPassword(user.password, TEST_COST) });
  }
  return new UserStore(records);
}

/** A real gateway on a free port of 127.0.0.1, on the given broker. */
export async function startTestGateway(mqttUrl: string, overrides: Partial<GatewayOptions> = {}) {
  const demo = { username: 'demo', password: 'demo', role: 'user' };
  const users = overrides.users ?? (await testUsers([demo]));
  // The public URL names the port, so the port is chosen before the gateway listens.
  const port = overrides.port ?? (await freePort());
  const gateway = new Gateway({
    host: '127.0.0.1',
    port,
    publicUrl: new URL(`http://127.0.0.1:${port}/`),
    redirectOrigins: [],
    trustedProxies: [],
    mqttUrl: new URL(mqttUrl),
    clientId: `modt-gateway-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    users,
    pendingTtlMs: 10_000,
    answerTtlMs: 30_000,
    noAnswerNoticeMs: 10_000,
    sessionIdleMs: 60_000,
    sessionMaxMs: 60 * 60_000,
    maxSessions: 1000,
    // Far above what one test file does: a suite that tests the limits sets its own.
    loginMaxPerIp: 10_000,
    loginMaxPerUser: 10_000,
    loginWindowMs: 60_000,
    maxPayloadBytes: 64 * 1024,
    publishTimeoutMs: 5000,
    ...overrides,
  });
  try {
    await gateway.listen();
    await gateway.waitBus(10_000);
  } catch (err) {
    await gateway.stop();
    throw err;
  }
  return gateway;
}

/**
 * A test's own gateway on a clock the test moves (`clock.now`), stopped when the test ends;
 * `base` is its address.
 */
export async function startClockedGateway(
  t: { after(fn: () => unknown): void },
  mqttUrl: string,
  overrides: Partial<GatewayOptions> = {},
) {
  const clock = { now: Date.now() };
  const gateway = await startTestGateway(mqttUrl, { clock: () => clock.now, ...overrides });
  t.after(() => gateway.stop());
  return { gateway, clock, base: `http://127.0.0.1:${gateway.port}` };
}
