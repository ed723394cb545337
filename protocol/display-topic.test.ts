import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Topics, appDisplayTopic, displayAppOf } from './index.ts';

test('an app’s display topic is modt/app/display/<app> and matches the family’s filter', () => {
  assert.equal(appDisplayTopic('dummy-app'), 'modt/app/display/dummy-app');
  assert.equal(Topics.appDisplays, 'modt/app/display/+');
});

const topics: [topic: string, app: string | undefined][] = [
  ['modt/app/display/dummy-app', 'dummy-app'],
  ['modt/app/display/x', 'x'],
  ['modt/app/display', undefined],
  ['modt/app/display/', undefined],
  ['modt/app/display/a/b', undefined],
  ['modt/app/ready', undefined],
  ['other/modt/app/display/a', undefined],
];
for (const [topic, app] of topics) {
  test(`the app of ${topic} is ${app ?? 'none'}`, () => {
    assert.equal(displayAppOf(topic), app);
  });
}
