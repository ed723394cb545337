import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthSuccess, Topics, appDisplayTopic } from '../protocol/index.ts';
import { defineUnit } from '../router/index.ts';
import { grantsOf } from './grants.ts';

/** An app unit named `name` that declares `publishes`. */
function app(name: string, publishes: string[]) {
  return defineUnit({
    name,
    subscribe: { [Topics.authSuccess]: AuthSuccess },
    publishes,
    handle: () => [],
  });
}

describe('grantsOf', () => {
  test('an app may write its own display topic, and the gateway reads every app’s', () => {
    const [gateway, own] = grantsOf([app('shop', [appDisplayTopic('shop'), Topics.appReady])]);
    assert.ok(gateway?.reads.includes('modt/app/display/+'));
    assert.deepEqual(own?.writes, ['modt/app/display/shop', 'modt/app/ready', 'modt/dead/shop']);
  });

  const foreign: [publishes: string, why: string][] = [
    ['modt/app/display/dummy-app', 'another app’s display topic'],
    ['modt/app/display/+', 'every app’s display topic'],
    ['modt/app/display/#', 'every app’s display topic'],
    ['modt/app/#', 'a wildcard over the display topics'],
    ['modt/#', 'a wildcard over the display topics'],
    ['modt/+/display/dummy-app', 'a wildcard naming another app’s'],
    ['modt/app/display', 'the old shared display topic'],
  ];
  for (const [topic, why] of foreign) {
    test(`an app that declares ${topic} (${why}) gets no grants`, () => {
      assert.throws(
        () => grantsOf([app('shop', [topic])]),
        (err: Error) => {
          assert.equal(
            err.message,
            `unit 'shop' declares '${topic}' in publishes: an app may write its own display ` +
              "topic only, expected 'modt/app/display/shop'",
          );
          return true;
        },
      );
    });
  }

  test('topics beside the display topics are granted as declared', () => {
    const [, grant] = grantsOf([app('shop', ['shop/orders', 'modt/app/ready'])]);
    assert.deepEqual(grant?.writes, ['shop/orders', 'modt/app/ready', 'modt/dead/shop']);
  });
});
