import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCodes, type ModtError } from '../protocol/index.ts';
import { RedirectDispatcher } from './redirect-dispatcher.ts';
import { SessionRegistry } from './session-registry.ts';

const ORIGIN = 'http://gateway.test';

/** A socket that records what it was sent, or refuses every frame when `closed`. */
class FakeSocket {
  frames: string[] = [];
  closed = false;
}

function setup(options: { pendingTtlMs?: number; answerTtlMs?: number } = {}) {
  const registry = new SessionRegistry<FakeSocket>({
    maxSessions: 100,
    idleMs: 60_000,
    maxAgeMs: 3_600_000,
  });
  const dispatcher = new RedirectDispatcher<FakeSocket>(
    registry,
    {
      allowedOrigins: new Set([ORIGIN, 'https://app.test']),
      answerTtlMs: options.answerTtlMs ?? 30_000,
      pendingTtlMs: options.pendingTtlMs ?? 10_000,
    },
    (socket, frame) => {
      if (socket.closed) return false;
      socket.frames.push(frame);
      return true;
    },
  );
  const session = registry.create(0);
  const login = registry.beginLogin(session, { userId: 'demo', role: 'user' }, 1000);
  const ready = (url = `${ORIGIN}/apps/a/`, appName = 'a') => ({
    session_id: login.sessionId,
    redirect_url: url,
    app_name: appName,
  });
  return { registry, dispatcher, session, login, ready };
}

function redirectsIn(socket: FakeSocket): string[] {
  return socket.frames.map((f) => JSON.parse(f).url);
}

describe('RedirectDispatcher', () => {
  test('a ready for a session with an open socket is pushed at once', () => {
    const { dispatcher, session, ready } = setup();
    const socket = new FakeSocket();
    session.sockets.add(socket);

    const result = dispatcher.onReady(ready(), 1200);
    assert.ok(!('code' in result));
    assert.equal(result.push?.latencyMs, 200);
    assert.deepEqual(redirectsIn(socket), [`${ORIGIN}/apps/a/`]);
    assert.deepEqual(JSON.parse(socket.frames[0]!), {
      type: 'redirect',
      id: 1,
      url: `${ORIGIN}/apps/a/`,
      app_name: 'a',
    });
  });

  test('a ready before any socket is held and sent when one opens', () => {
    const { dispatcher, session, ready } = setup();
    assert.deepEqual(dispatcher.onReady(ready(), 1100), { held: true });

    const socket = new FakeSocket();
    session.sockets.add(socket);
    assert.equal(dispatcher.onSocketOpen(session, 1500)?.url, `${ORIGIN}/apps/a/`);
    assert.deepEqual(redirectsIn(socket), [`${ORIGIN}/apps/a/`]);
    assert.ok(session.pending, 'pending until the page acknowledges it');
    dispatcher.onAck(session, JSON.parse(socket.frames[0]!).id);
    assert.equal(session.pending, undefined);
  });

  test('a late acknowledgement of an earlier redirect leaves the current one pending', () => {
    const { dispatcher, registry, session, ready } = setup();
    const socket = new FakeSocket();
    session.sockets.add(socket);
    dispatcher.onReady(ready(), 1100);
    const first = JSON.parse(socket.frames[0]!).id;
    // The browser signs in again before the first page's acknowledgement arrives.
    const again = registry.beginLogin(session, { userId: 'demo', role: 'user' }, 1200);
    dispatcher.onReady({ ...ready(`${ORIGIN}/apps/b/`, 'b'), session_id: again.sessionId }, 1300);
    const second = JSON.parse(socket.frames[1]!).id;
    assert.notEqual(second, first);

    dispatcher.onAck(session, first);
    assert.equal(session.pending?.url, `${ORIGIN}/apps/b/`);
    dispatcher.onAck(session, second);
    assert.equal(session.pending, undefined);
  });

  test('a held redirect past the pending limit is not sent', () => {
    const { dispatcher, session, ready } = setup({ pendingTtlMs: 500 });
    dispatcher.onReady(ready(), 1100);
    const socket = new FakeSocket();
    session.sockets.add(socket);
    assert.equal(dispatcher.onSocketOpen(session, 1700), undefined);
    assert.deepEqual(socket.frames, []);
  });

  test('a redirect that no socket took stays pending for the next one (C06)', () => {
    const { dispatcher, session, ready } = setup();
    const dying = new FakeSocket();
    dying.closed = true;
    session.sockets.add(dying);
    assert.deepEqual(dispatcher.onReady(ready(), 1100), { held: true });

    session.sockets.delete(dying);
    const fresh = new FakeSocket();
    session.sockets.add(fresh);
    dispatcher.onSocketOpen(session, 1200);
    assert.deepEqual(redirectsIn(fresh), [`${ORIGIN}/apps/a/`]);
  });

  test('every open socket of the session gets the redirect (two tabs)', () => {
    const { dispatcher, session, ready } = setup();
    const tabs = [new FakeSocket(), new FakeSocket()];
    for (const tab of tabs) session.sockets.add(tab);
    dispatcher.onReady(ready(), 1100);
    assert.deepEqual(tabs.map(redirectsIn), [[`${ORIGIN}/apps/a/`], [`${ORIGIN}/apps/a/`]]);
  });

  const refusals: {
    name: string;
    ready: (
      r: ReturnType<typeof setup>,
    ) => Parameters<RedirectDispatcher<FakeSocket>['onReady']>[0];
    at?: number;
    code: ModtError['code'];
  }[] = [
    {
      name: 'an unknown session_id',
      ready: (s) => ({ ...s.ready(), session_id: crypto.randomUUID() }),
      code: ErrorCodes.SESSION_UNKNOWN,
    },
    {
      name: 'an answer after the answer limit (C04)',
      ready: (s) => s.ready(),
      at: 40_000,
      code: ErrorCodes.ANSWER_TOO_LATE,
    },
    {
      name: 'a foreign origin',
      ready: (s) => s.ready('https://evil.test/'),
      code: ErrorCodes.REDIRECT_NOT_ALLOWED,
    },
    {
      name: 'a javascript: URL',
      ready: (s) => s.ready('javascript:alert(1)'),
      code: ErrorCodes.REDIRECT_NOT_ALLOWED,
    },
    {
      name: 'a data: URL',
      ready: (s) => s.ready('data:text/html,hi'),
      code: ErrorCodes.REDIRECT_NOT_ALLOWED,
    },
    {
      name: 'a URL with credentials',
      ready: (s) => s.ready(`http://user:pw@gateway.test/`),
      code: ErrorCodes.REDIRECT_NOT_ALLOWED,
    },
    {
      name: 'a look-alike origin',
      ready: (s) => s.ready('http://gateway.test.evil/'),
      code: ErrorCodes.REDIRECT_NOT_ALLOWED,
    },
  ];
  for (const { name, ready, at, code } of refusals) {
    test(`a ready with ${name} is refused with ${code}`, () => {
      const s = setup();
      const socket = new FakeSocket();
      s.session.sockets.add(socket);
      const result = s.dispatcher.onReady(ready(s), at ?? 1100);
      assert.equal('code' in result && result.code, code);
      assert.deepEqual(socket.frames, []);
    });
  }

  test('a ready to an origin on the allow list is pushed', () => {
    const { dispatcher, session, ready } = setup();
    const socket = new FakeSocket();
    session.sockets.add(socket);
    dispatcher.onReady(ready('https://app.test/welcome'), 1100);
    assert.deepEqual(redirectsIn(socket), ['https://app.test/welcome']);
  });

  test('the first valid answer wins and a second is refused as a duplicate', () => {
    const { dispatcher, session, ready } = setup();
    const socket = new FakeSocket();
    session.sockets.add(socket);
    dispatcher.onReady(ready(`${ORIGIN}/one`, 'one'), 1100);
    const second = dispatcher.onReady(ready(`${ORIGIN}/two`, 'two'), 1200);
    assert.equal('code' in second && second.code, ErrorCodes.ANSWER_DUPLICATE);
    assert.deepEqual(redirectsIn(socket), [`${ORIGIN}/one`]);
  });

  test('a refused answer does not use up the login: a valid one after it is pushed', () => {
    const { dispatcher, session, ready } = setup();
    const socket = new FakeSocket();
    session.sockets.add(socket);
    dispatcher.onReady(ready('https://evil.test/'), 1100);
    dispatcher.onReady(ready(), 1200);
    assert.deepEqual(redirectsIn(socket), [`${ORIGIN}/apps/a/`]);
  });

  test('a new login makes the old session_id worth nothing', () => {
    const { dispatcher, registry, session, ready } = setup();
    const old = ready();
    registry.beginLogin(session, { userId: 'demo', role: 'user' }, 2000);
    const result = dispatcher.onReady(old, 2100);
    assert.equal('code' in result && result.code, ErrorCodes.SESSION_UNKNOWN);
  });

  test('a ready for a session past its absolute limit is not pushed', () => {
    const { dispatcher, session, ready } = setup();
    const socket = new FakeSocket();
    session.sockets.add(socket);
    const result = dispatcher.onReady(ready(), 3_600_000);
    assert.equal('code' in result && result.code, ErrorCodes.SESSION_UNKNOWN);
    assert.deepEqual(socket.frames, []);
  });

  test('a login no app answered has its open sockets told, and still takes an answer', () => {
    const { dispatcher, session, login, ready } = setup({ answerTtlMs: 30_000 });
    const socket = new FakeSocket();
    session.sockets.add(socket);

    const told = dispatcher.onNoAnswer(login.sessionId, 11_000);
    const expected = { sessionId: login.sessionId, userId: 'demo', waitedMs: 10_000, sockets: 1 };
    assert.deepEqual(told, expected);
    assert.deepEqual(JSON.parse(socket.frames[0]!), {
      type: 'no-answer',
      waited_ms: 10_000,
      waiting: true,
    });
    const late = dispatcher.onReady(ready(), 12_000);
    assert.ok(!('code' in late) && late.push);
    assert.equal(JSON.parse(socket.frames[1]!).type, 'redirect');
  });

  test('no notice is sent for a login answered, replaced by a newer one, or unknown', () => {
    const answered = setup();
    answered.dispatcher.onReady(answered.ready(), 1100);
    assert.equal(answered.dispatcher.onNoAnswer(answered.login.sessionId, 11_000), undefined);

    const replaced = setup();
    const identity = { userId: 'demo', role: 'user' };
    replaced.registry.beginLogin(replaced.session, identity, 2000);
    assert.equal(replaced.dispatcher.onNoAnswer(replaced.login.sessionId, 11_000), undefined);

    const { dispatcher } = setup();
    assert.equal(dispatcher.onNoAnswer(crypto.randomUUID(), 11_000), undefined);
  });

  test('a notice past the answer limit says no answer will be pushed any more', () => {
    const { dispatcher, session, login } = setup({ answerTtlMs: 5000 });
    const socket = new FakeSocket();
    session.sockets.add(socket);
    dispatcher.onNoAnswer(login.sessionId, 7000);
    assert.equal(JSON.parse(socket.frames[0]!).waiting, false);
  });

  test('a display is kept for its login and refused for an unknown one', () => {
    const { dispatcher, login } = setup();
    const display = { session_id: login.sessionId, app_name: 'a', title: 'Hi', items: [] };
    assert.equal(dispatcher.onDisplay('a', display, 1100), null);
    assert.equal(login.displays.get('a'), display);
    const stranger = { ...display, session_id: crypto.randomUUID() };
    assert.equal(dispatcher.onDisplay('a', stranger, 1100)?.code, ErrorCodes.SESSION_UNKNOWN);
  });

  test('a display whose app_name is not the app of its topic is refused and kept nowhere', () => {
    const { dispatcher, login } = setup();
    const own = { session_id: login.sessionId, app_name: 'a', title: 'Mine', items: [] };
    dispatcher.onDisplay('a', own, 1100);

    const forged = { ...own, title: 'Forged' };
    const refused = dispatcher.onDisplay('b', forged, 1200);
    assert.equal(refused?.code, ErrorCodes.APP_NAME_MISMATCH);
    assert.match(refused?.message ?? '', /app_name 'a'.*expected 'b'/);
    assert.equal(login.displays.get('a'), own);
    assert.equal(login.displays.has('b'), false);
  });

  test('C06 a redirect sent into a dying socket is sent again to the next one until ' +
    'acknowledged', () => {
    const { dispatcher, session, ready } = setup();
    const dying = new FakeSocket();
    session.sockets.add(dying);
    const first = dispatcher.onReady(ready(), 1100);
    assert.ok(!('code' in first) && first.push && !first.push.resend);

    session.sockets.delete(dying);
    const next = new FakeSocket();
    session.sockets.add(next);
    assert.equal(dispatcher.onSocketOpen(session, 1200)?.resend, true);
    assert.deepEqual(redirectsIn(next), [`${ORIGIN}/apps/a/`]);

    dispatcher.onAck(session, JSON.parse(next.frames[0]!).id);
    const later = new FakeSocket();
    session.sockets.add(later);
    assert.equal(dispatcher.onSocketOpen(session, 1300), undefined);
    assert.deepEqual(later.frames, []);
  });
});
