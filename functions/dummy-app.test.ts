import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AppDisplay,
  AppReady,
  ErrorCodes,
  Topics,
  appDisplayTopic,
  checkValue,
  type AuthSuccess,
} from '../protocol/index.ts';
import { deliver, type PublishOutput } from '../router/index.ts';
import dummyApp from './dummy-app.ts';

const login: AuthSuccess = {
  user_id: 'alice',
  session_id: '6f1c2a4e-3b5d-4c7e-9f80-1a2b3c4d5e6f',
  role: 'admin',
  timestamp: '2026-12-03T10:07:04.000Z',
};

const NOW = new Date('2026-12-03T10:07:05.250Z');

/** What the router would publish for the login, the app's public URL set to `publicUrl`. */
function answer(publicUrl = 'https://modt.example'): PublishOutput[] {
  const { outputs, dropped, refused } = deliver(dummyApp, Topics.authSuccess, login, {
    now: NOW,
    settings: { publicUrl },
  });
  assert.equal(refused, undefined);
  assert.deepEqual(dropped, [], 'the router sends every output');
  return outputs as PublishOutput[];
}

describe('dummy-app', () => {
  test('answers a login with a display publish, then a ready publish', () => {
    const outputs = answer();
    assert.deepEqual(
      outputs.map((o) => [o.kind, o.topic, o.qos, o.retain]),
      [
        ['publish', 'modt/app/display/dummy-app', 1, false],
        ['publish', Topics.appReady, 1, false],
      ],
    );
  });

  test('the ready holds exactly session_id, redirect_url and app_name', () => {
    const ready = answer()[1]?.payload;
    assert.deepEqual(ready, {
      session_id: login.session_id,
      redirect_url: 'https://modt.example/apps/dummy-app/',
      app_name: 'dummy-app',
    });
    assert.ok(checkValue(ready, AppReady).ok);
  });

  const urls: [publicUrl: string, redirectUrl: string][] = [
    ['http://localhost:8080', 'http://localhost:8080/apps/dummy-app/'],
    ['http://localhost:8080/', 'http://localhost:8080/apps/dummy-app/'],
    ['https://modt.example:8443', 'https://modt.example:8443/apps/dummy-app/'],
    ['https://MODT.example', 'https://modt.example/apps/dummy-app/'],
    ['http://127.0.0.1:3000/login?next=x', 'http://127.0.0.1:3000/apps/dummy-app/'],
  ];

  for (const [publicUrl, redirectUrl] of urls) {
    test(`the redirect_url for publicUrl ${publicUrl} is ${redirectUrl}`, () => {
      const ready = answer(publicUrl)[1]?.payload as { redirect_url: string };
      assert.equal(ready.redirect_url, redirectUrl);
    });
  }

  test('the display is for the session of the login and shows the context’s time', () => {
    const display = answer()[0]?.payload;
    assert.ok(checkValue(display, AppDisplay).ok);
    assert.deepEqual(display, {
      session_id: login.session_id,
      app_name: 'dummy-app',
      title: 'Welcome, alice',
      items: [
        { label: 'User', value: 'alice' },
        { label: 'Role', value: 'admin' },
        { label: 'Logged in at', value: login.timestamp },
        { label: 'Ready at', value: NOW.toISOString() },
      ],
    });
  });

  test('the same login and clock give the same outputs', () => {
    assert.deepEqual(answer(), answer());
  });

  test('publishes only to the topics it declares', () => {
    for (const output of answer()) assert.ok(dummyApp.publishes.includes(output.topic));
  });

  test('declares its own display topic and no other app’s', () => {
    const displays = dummyApp.publishes.filter((t) => t.startsWith('modt/app/display'));
    assert.deepEqual(displays, [appDisplayTopic('dummy-app')]);
  });

  const { PAYLOAD_INVALID, PAYLOAD_NOT_JSON, PAYLOAD_DUPLICATE_KEY } = ErrorCodes;
  const refusals: [name: string, payload: object | string, code: string][] = [
    ['a login without session_id', { ...login, session_id: undefined }, PAYLOAD_INVALID],
    ['a login whose session_id is no UUID', { ...login, session_id: 'x' }, PAYLOAD_INVALID],
    ['a login in single quotes', "{'user_id': 'alice'}", PAYLOAD_NOT_JSON],
    ['a login with a key twice', '{"user_id":"a","user_id":"b"}', PAYLOAD_DUPLICATE_KEY],
  ];
  for (const [name, payload, code] of refusals) {
    test(`${name} is refused with ${code} before the handler runs`, () => {
      assert.equal(deliver(dummyApp, Topics.authSuccess, payload).refused?.code, code);
    });
  }
});
