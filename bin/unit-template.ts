/**
 * The first version of a new unit and of its test, for `modt new`: on each login it shows
 * that user a page (on its own `modt/app/display/<name>`, served by the gateway at
 * `/apps/<name>/`). It sends
 * no redirect, so it does not race the app that does; the walk-through in README.md adds
 * one.
 */
export function unitSource(name: string): string {
  return `import { AuthSuccess, Topics, appDisplayTopic } from '../protocol/index.ts';
import { defineUnit, publish } from '../router/index.ts';

/**
 * On each login, a page for that user, which the gateway serves to the browser that
 * signed in at /apps/${name}/.
 * (Say here what the unit is for.)
 */
export default defineUnit({
  name: '${name}',
  subscribe: { [Topics.authSuccess]: AuthSuccess },
  publishes: [appDisplayTopic('${name}')],

  handle(_topic, login, { unit, now }) {
    const page = {
      session_id: login.session_id,
      app_name: unit,
      title: \`Hello, \${login.user_id}\`,
      items: [{ label: 'Signed in at', value: now.toISOString() }],
    };
    return [publish(appDisplayTopic(unit), page)];
  },
});
`;
}

export function testSource(name: string): string {
  return `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes, Topics, type AuthSuccess } from '../protocol/index.ts';
import { deliver } from '../router/index.ts';
import unit from './${name}.ts';

const login: AuthSuccess = {
  user_id: 'alice',
  session_id: '6f1c2a4e-3b5d-4c7e-9f80-1a2b3c4d5e6f',
  role: 'user',
  timestamp: '2026-12-03T10:07:04.000Z',
};
const now = new Date('2026-12-03T10:07:05.000Z');

test('a login gets a page for its session', () => {
  const { outputs, dropped, refused } = deliver(unit, Topics.authSuccess, login, { now });
  assert.equal(refused, undefined);
  assert.deepEqual(dropped, []);
  assert.deepEqual(outputs, [
    {
      kind: 'publish',
      topic: 'modt/app/display/${name}',
      payload: {
        session_id: login.session_id,
        app_name: '${name}',
        title: 'Hello, alice',
        items: [{ label: 'Signed in at', value: '2026-12-03T10:07:05.000Z' }],
      },
      qos: 1,
      retain: false,
    },
  ]);
});

test('a login without a session_id is refused before the handler runs', () => {
  const { session_id: _, ...incomplete } = login;
  const { refused } = deliver(unit, Topics.authSuccess, incomplete);
  assert.equal(refused?.code, ErrorCodes.PAYLOAD_INVALID);
});

test('a payload that is not strict JSON is refused', () => {
  const { refused } = deliver(unit, Topics.authSuccess, "{'user_id': 'alice'}");
  assert.equal(refused?.code, ErrorCodes.PAYLOAD_NOT_JSON);
});
`;
}
