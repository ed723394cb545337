import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SessionRegistry } from './session-registry.ts';

const identity = { userId: 'demo', role: 'user' };

test('a session cookie secret carries at least 128 random bits', () => {
  const registry = new SessionRegistry({ maxSessions: 10, idleMs: 1000 });
  const secrets = new Set(Array.from({ length: 50 }, () => registry.create(0).secret));
  assert.equal(secrets.size, 50);
  for (const secret of secrets) assert.ok(Buffer.from(secret, 'base64url').length >= 16);
});

test('each login gets a fresh UUID v4 session_id, different from the cookie secret', () => {
  const registry = new SessionRegistry({ maxSessions: 10, idleMs: 1000 });
  const session = registry.create(0);
  const first = registry.beginLogin(session, identity, 1).sessionId;
  const second = registry.beginLogin(session, identity, 2).sessionId;
  assert.match(first, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(first, second);
  assert.notEqual(first, session.secret);
  assert.equal(registry.byLogin(first), undefined);
  assert.equal(registry.byLogin(second), session);
});

test('past the session cap the least recently seen session without a socket is evicted', () => {
  const registry = new SessionRegistry<object>({ maxSessions: 3, idleMs: 60_000 });
  const [a, b, c] = [registry.create(0), registry.create(1), registry.create(2)];
  a.sockets.add({});
  registry.touch(b.secret, 3);
  registry.create(4);

  assert.equal(registry.size, 3);
  assert.equal(registry.touch(a.secret, 5), a, 'a holds a socket');
  assert.equal(registry.touch(b.secret, 5), b, 'b was seen recently');
  assert.equal(registry.touch(c.secret, 5), undefined, 'c was the oldest without a socket');
});

test('a sweep forgets idle sessions without sockets, and their logins', () => {
  const registry = new SessionRegistry<object>({ maxSessions: 10, idleMs: 1000 });
  const idle = registry.create(0);
  const login = registry.beginLogin(idle, identity, 0);
  const open = registry.create(0);
  open.sockets.add({});
  const fresh = registry.create(1500);

  assert.equal(registry.sweep(2000), 1);
  assert.equal(registry.byLogin(login.sessionId), undefined);
  assert.equal(registry.touch(open.secret, 2000), open);
  assert.equal(registry.touch(fresh.secret, 2000), fresh);
});

test('an unknown or missing cookie finds no session', () => {
  const registry = new SessionRegistry({ maxSessions: 10, idleMs: 1000 });
  registry.create(0);
  assert.equal(registry.touch(undefined, 1), undefined);
  assert.equal(registry.touch('not-a-secret', 1), undefined);
});
