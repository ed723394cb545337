import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stopStack } from './stop-stack.ts';

test('the stack stops taking logins, then the units, the gateway, history, broker', async () => {
  const steps: string[] = [];
  const step = (name: string) => async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    steps.push(name);
  };
  await stopStack({
    gateway: { stopTaking: () => void steps.push('no more logins'), stop: step('gateway') },
    units: { stopAll: step('units') },
    history: { close: step('history') },
    broker: { close: step('broker') },
  });
  assert.deepEqual(steps, ['no more logins', 'units', 'gateway', 'history', 'broker']);
});

test('a stack that failed half-way through its start stops what it started', async () => {
  const steps: string[] = [];
  await stopStack({ broker: { close: async () => void steps.push('broker') } });
  assert.deepEqual(steps, ['broker']);
});
