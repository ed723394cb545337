import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageBudget } from './message-budget.ts';

test('a socket may send its budget in a window, and no more', () => {
  const budget = new MessageBudget(3, 10_000, 0);
  assert.deepEqual([1, 2, 3, 4].map((at) => budget.take(at)), [true, true, true, false]);
});

test('the budget is whole again when the window ends', () => {
  const budget = new MessageBudget(2, 10_000, 0);
  budget.take(0);
  budget.take(0);
  assert.equal(budget.take(9999), false);
  assert.equal(budget.take(10_000), true);
});
