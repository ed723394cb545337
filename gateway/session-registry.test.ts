import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SessionRegistry, type SessionLimits } from './session-registry.ts';

const identity = { userId: 'demo', role: 'user' };

function registryOf<Socket = object>(limits: Partial<SessionLimits> = {}) {
  return new SessionRegistry<Socket>({
    maxSessions: 10,
    idleMs: 1000,
    maxAgeMs: 10_000,
    ...limits,
  });
}

test('a session cookie secret and form token carry at least 128 random bits', () => {
  const registry = registryOf();
  const sessions = Array.from({ length: 50 }, () => registry.create(0));
  for (const key of ['secret', 'csrf'] as const) {
    const values = new Set(sessions.map((session) => session[key]));
    assert.equal(values.size, 50);
    for (const value of values) assert.ok(Buffer.from(value, 'base64url').length >= 16);
  }
  assert.ok(sessions.every((session) => session.secret !== session.csrf));
});

test('each login gets a fresh UUID v4 session_id, different from the cookie secret', () => {
  const registry = registryOf();
  const session = registry.create(0);
  const first = registry.beginLogin(session, identity, 1).sessionId;
  const second = registry.beginLogin(session, identity, 2).sessionId;
  assert.match(first, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(first, second);
  assert.notEqual(first, session.secret);
  assert.equal(registry.byLogin(first, 2), undefined);
  assert.equal(registry.byLogin(second, 2), session);
});

test('an abandoned login finds nothing by its session_id; a newer login is left alone', () => {
  const registry = registryOf();
  const session = registry.create(0);
  const failed = registry.beginLogin(session, identity, 1);
  registry.abandonLogin(session, failed);
  assert.equal(registry.byLogin(failed.sessionId, 1), undefined);
  assert.equal(session.login, undefined);
  assert.equal(registry.touch(session.secret, 1), session, 'the browser keeps its session');

  const stale = registry.beginLogin(session, identity, 2);
  const current = registry.beginLogin(session, identity, 3);
  registry.abandonLogin(session, stale);
  assert.equal(registry.byLogin(current.sessionId, 3), session);
});

test('past the session cap the least recently seen session without a socket is evicted', () => {
  const registry = registryOf({ maxSessions: 3, idleMs: 60_000 });
  const [a, b, c] = [registry.create(0), registry.create(1), registry.create(2)];
  a.sockets.add({});
  registry.touch(b.secret, 3);
  registry.create(4);

  assert.equal(registry.size, 3);
  assert.equal(registry.touch(a.secret, 5), a, 'a holds a socket');
  assert.equal(registry.touch(b.secret, 5), b, 'b was seen recently');
  assert.equal(registry.touch(c.secret, 5), undefined, 'c was the oldest without a socket');
});

/** A session signed in at `at`, as a correct login leaves it. */
function signedIn(registry: SessionRegistry<object>, at: number) {
  const session = registry.create(at);
  registry.signIn(session, registry.beginLogin(session, identity, at), at);
  return session;
}

test('past the cap a session that never signed in goes before any signed-in one', () => {
  const registry = registryOf({ maxSessions: 4, idleMs: 60_000, maxAgeMs: 60_000 });
  const [a, b] = [signedIn(registry, 0), signedIn(registry, 1)];
  const anonymous = registry.create(2);
  const flood = Array.from({ length: 50 }, (_, i) => registry.create(3 + i));

  assert.equal(registry.size, 4);
  assert.equal(registry.touch(a.secret, 100), a, 'the signed-in session seen longest ago stays');
  assert.equal(registry.touch(b.secret, 100), b);
  assert.equal(registry.touch(anonymous.secret, 100), undefined);
  assert.deepEqual(flood.filter((s) => registry.holds(s, 100)), flood.slice(-2));
});

test('a new session at a cap of signed-in ones evicts one of them, not itself', () => {
  const registry = registryOf({ maxSessions: 3, idleMs: 60_000, maxAgeMs: 60_000 });
  const held = [signedIn(registry, 0), signedIn(registry, 1), signedIn(registry, 2)];
  const first = registry.create(3);
  const second = registry.create(4);

  assert.equal(registry.size, 3);
  assert.equal(registry.holds(held[0]!, 5), false, 'the least recently seen signed-in one');
  assert.equal(registry.holds(first, 5), false, 'then the older of the two that never signed in');
  assert.ok([held[1]!, held[2]!, second].every((s) => registry.holds(s, 5)));
});

test('anonymous sessions with sockets are passed over, and signed-in ones go only after', () => {
  const registry = registryOf({ maxSessions: 3, idleMs: 60_000, maxAgeMs: 60_000 });
  const tabbed = [registry.create(0), registry.create(1)];
  for (const session of tabbed) session.sockets.add({});
  const user = signedIn(registry, 2);
  for (let at = 3; at < 10; at += 1) registry.create(at);

  assert.ok(tabbed.every((s) => registry.holds(s, 10)), 'a session with a socket stays');
  assert.equal(registry.holds(user, 10), false, 'no anonymous session without a socket was left');
  assert.equal(registry.size, 3);
});

test('a session signed in stays signed-in for eviction through a later failed login', () => {
  const registry = registryOf({ maxSessions: 2, idleMs: 60_000, maxAgeMs: 60_000 });
  const user = signedIn(registry, 0);
  registry.abandonLogin(user, registry.beginLogin(user, identity, 1));
  for (let at = 2; at < 10; at += 1) registry.create(at);
  assert.equal(registry.touch(user.secret, 10), user);
});

test('of several cookie secrets the first that names a live session finds it', () => {
  const registry = registryOf();
  const expired = registry.create(0);
  const live = registry.create(900);
  const other = registry.create(900);
  const secrets = ['bogus', '', expired.secret, live.secret, other.secret];
  assert.equal(registry.touch(secrets, 1500), live);
  assert.equal(registry.touch(['bogus', 'stale'], 1500), undefined);
  assert.equal(registry.touch([], 1500), undefined);
});

test('a sweep forgets idle sessions without sockets, and their logins', () => {
  const registry = registryOf();
  const idle = registry.create(0);
  const login = registry.beginLogin(idle, identity, 0);
  const open = registry.create(0);
  open.sockets.add({});
  const fresh = registry.create(1500);

  assert.equal(registry.sweep(2000), 1);
  assert.equal(registry.byLogin(login.sessionId, 2000), undefined);
  assert.equal(registry.touch(open.secret, 2000), open);
  assert.equal(registry.touch(fresh.secret, 2000), fresh);
});

test('a sweep forgets a session past its absolute limit even while it holds a socket', () => {
  const registry = registryOf({ idleMs: 60_000, maxAgeMs: 5000 });
  const open = registry.create(0);
  open.sockets.add({});
  const young = registry.create(1000);

  assert.equal(registry.sweep(5000), 1);
  assert.equal(registry.holds(open, 5000), false);
  assert.equal(registry.holds(young, 5000), true);
});

const lookups: { name: string; at: number; socket: boolean; found: boolean }[] = [
  { name: 'an idle session without a socket', at: 1000, socket: false, found: false },
  { name: 'a session just short of idle', at: 999, socket: false, found: true },
  { name: 'an idle session that holds a socket', at: 5000, socket: true, found: true },
  { name: 'a session at its absolute limit with a socket', at: 10_000, socket: true, found: false },
];
for (const { name, at, socket, found } of lookups) {
  test(`every lookup enforces the limits: ${name} is ${found ? '' : 'not '}found`, () => {
    const registry = registryOf();
    const session = registry.create(0);
    const login = registry.beginLogin(session, identity, 0);
    if (socket) session.sockets.add({});

    const byLogin = registry.byLogin(login.sessionId, at);
    const bySecret = registry.touch(session.secret, at);
    assert.equal(byLogin, found ? session : undefined);
    assert.equal(bySecret, found ? session : undefined);
  });
}

test('the idle limit counts from the last sign of the browser, not from creation', () => {
  const registry = registryOf();
  const session = registry.create(0);
  registry.touch(session.secret, 900);
  registry.seen(session, 1800);
  assert.equal(registry.touch(session.secret, 2700), session);
});

test('signing in gives a session a new secret; the old one finds nothing', () => {
  const registry = registryOf();
  const session = registry.create(0);
  const login = registry.beginLogin(session, identity, 0);
  const socket = {};
  session.sockets.add(socket);
  const old = session.secret;
  const csrf = session.csrf;

  registry.signIn(session, login, 9000);
  assert.equal(login.signedIn, true);
  assert.notEqual(session.secret, old);
  assert.equal(registry.touch(old, 9000), undefined);
  assert.equal(registry.touch(session.secret, 9000), session);
  assert.equal(registry.byLogin(login.sessionId, 9000), session);
  assert.ok(session.sockets.has(socket), 'its sockets stay with it');
  assert.equal(session.csrf, csrf, 'the page keeps a valid form token');
  assert.equal(registry.size, 1);
});

test('a session signed in gets a fresh absolute lifetime', () => {
  const registry = registryOf({ idleMs: 60_000 });
  const session = registry.create(0);
  registry.signIn(session, registry.beginLogin(session, identity, 0), 9000);
  assert.equal(registry.touch(session.secret, 12_000), session);
  assert.equal(registry.touch(session.secret, 19_000), undefined);
});

test('an unknown or missing cookie finds no session', () => {
  const registry = registryOf();
  registry.create(0);
  assert.equal(registry.touch(undefined, 1), undefined);
  assert.equal(registry.touch('not-a-secret', 1), undefined);
});

test('a session forgotten with its socket open is handed over once, to close it', () => {
  const registry = registryOf({ idleMs: 60_000, maxAgeMs: 5000 });
  const [open, idle] = [registry.create(0), registry.create(0)];
  open.sockets.add({});

  assert.equal(registry.sweep(5000), 2);
  assert.deepEqual(registry.takeEnded(), [open]);
  assert.deepEqual(registry.takeEnded(), []);
});

test('a session that expires at a lookup is handed over too', () => {
  const registry = registryOf({ maxAgeMs: 5000 });
  const session = registry.create(0);
  session.sockets.add({});

  assert.equal(registry.touch(session.secret, 5000), undefined);
  assert.deepEqual(registry.takeEnded(), [session]);
});

test('a live or signed-in session is not handed over', () => {
  const registry = registryOf();
  const session = registry.create(0);
  session.sockets.add({});
  registry.signIn(session, registry.beginLogin(session, identity, 0), 500);
  registry.sweep(900);
  assert.deepEqual(registry.takeEnded(), []);
  assert.deepEqual([...registry.sessions()], [session]);
});

test('session times are kept as small integers, whatever the clock reads', () => {
  const registry = registryOf();
  const start = Date.now();
  const session = registry.create(start);
  registry.touch(session.secret, start + 250);
  assert.deepEqual([session.createdAt, session.lastSeenAt], [0, 250]);
});
