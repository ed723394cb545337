import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { ErrorCodes } from '../protocol/index.ts';
import { RAW, UnitRunner, defineUnit, unitShapeProblem, type AnyUnit } from './index.ts';

const good = defineUnit({
  name: 'echo-app',
  subscribe: { 'modt/echo/+': RAW },
  publishes: ['modt/echo/out', 'modt/app/display/+'],
  records: false,
  settings: { greeting: 'hi' },
  handle: () => [],
});

const with_ = (change: Record<string, unknown>) => ({ ...good, ...change }) as AnyUnit;

test('a unit the runtime can run has no problem', () => {
  assert.equal(unitShapeProblem(good), undefined);
  assert.equal(unitShapeProblem(with_({ name: 'a' })), undefined);
  assert.equal(unitShapeProblem(with_({ records: undefined, settings: undefined })), undefined);
});

test('filters the monitor reads and schemas of every TypeBox kind are taken', () => {
  const subscribe = {
    'modt/#': RAW,
    '$SYS/broker/publish/messages/dropped': RAW,
    'modt/a': Type.Union([Type.Literal('x'), Type.Object({ n: Type.Integer() })]),
    'modt/b': Type.Array(Type.String()),
    'modt/c': Type.String({ format: 'uuid' }),
  };
  assert.equal(unitShapeProblem(with_({ subscribe })), undefined);
});

const bad: [what: string, change: Record<string, unknown>, problem: RegExp][] = [
  ['a name with a space', { name: 'echo app' }, /^name: expected lowercase kebab-case/],
  ['a name in capitals', { name: 'Echo' }, /^name: /],
  ['a name with an underscore', { name: 'echo_app' }, /^name: /],
  ['a name ending in a hyphen', { name: 'echo-' }, /^name: /],
  ['a name longer than 50', { name: 'a'.repeat(51) }, /^name: .*at most 50 characters/],
  ['no handler', { handle: undefined }, /^handle: expected a function/],
  ['no subscription', { subscribe: {} }, /^subscribe: expected at least one/],
  ['subscriptions as a list', { subscribe: ['modt/#'] }, /^subscribe: expected an object/],
  ['a # before the last level', { subscribe: { 'modt/#/x': RAW } }, /'modt\/#\/x' is no MQTT/],
  ['a + inside a level', { subscribe: { 'modt/a+/x': RAW } }, /'modt\/a\+\/x' is no MQTT/],
  ['a schema that is a number', { subscribe: { 'modt/x': 3 } }, /'modt\/x' expected a schema/],
  ['a plain JSON Schema', { subscribe: { 'modt/x': { type: 'object' } } },
    /^subscribe: 'modt\/x' expected a TypeBox schema or RAW: /],
  ['a schema of a kind TypeBox cannot check', { subscribe: { 'modt/x': Type.Unsafe({}) } },
    /^subscribe: 'modt\/x' expected a TypeBox schema or RAW: /],
  ['a shared subscription', { subscribe: { '$share/g/modt/#': RAW } },
    /^subscribe: '\$share\/g\/modt\/#' is a shared subscription/],
  ['publishes as a string', { publishes: 'modt/x' }, /^publishes: expected a list/],
  ['an empty publish topic', { publishes: [''] }, /^publishes: "" is no MQTT topic/],
  ['a # before the last level published', { publishes: ['a/#/b'] }, /"a\/#\/b" is no MQTT/],
  ['records as a string', { records: 'yes' }, /^records: expected true or false/],
  ['a setting default that is a number', { settings: { port: 80 } }, /'port' expected a default/],
];
for (const [what, change, problem] of bad) {
  test(`a unit with ${what} is refused, naming the key`, () => {
    assert.match(unitShapeProblem(with_(change)) ?? 'no problem', problem);
  });
}

test('a runner is not made for a unit it cannot run: MODT_ERR_UNIT_INVALID names the unit', () => {
  const options = { mqttUrl: new URL('mqtt://127.0.0.1:1'), settings: {} };
  assert.throws(
    () => new UnitRunner(with_({ subscribe: { 'modt/#/x': RAW } }), options),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, ErrorCodes.UNIT_INVALID);
      assert.match(err.message, /^unit echo-app: subscribe: 'modt\/#\/x' is no MQTT topic filter$/);
      return true;
    },
  );
});
