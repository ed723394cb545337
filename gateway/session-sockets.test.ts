import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SessionSockets } from './session-sockets.ts';

test('a session holds one socket, then a second, in the order they opened', () => {
  const sockets = new SessionSockets<object>();
  const [page, tab] = [{}, {}];
  assert.equal(sockets.size, 0);
  assert.deepEqual([...sockets], []);

  sockets.add(page);
  assert.equal(sockets.size, 1);
  assert.deepEqual([...sockets], [page]);

  sockets.add(tab);
  assert.equal(sockets.size, 2);
  assert.deepEqual([...sockets], [page, tab]);
  assert.ok(sockets.has(page) && sockets.has(tab));
});

test('a socket added twice is held once', () => {
  const sockets = new SessionSockets<object>();
  const page = {};
  sockets.add(page).add(page);
  assert.equal(sockets.size, 1);
  assert.deepEqual([...sockets], [page]);
});

const removals: { name: string; open: number; close: number[]; left: number[] }[] = [
  { name: 'the only socket', open: 1, close: [0], left: [] },
  { name: 'the first of two', open: 2, close: [0], left: [1] },
  { name: 'the second of two', open: 2, close: [1], left: [0] },
  { name: 'both of two', open: 2, close: [1, 0], left: [] },
  { name: 'the middle of three', open: 3, close: [1], left: [0, 2] },
];
for (const { name, open, close, left } of removals) {
  test(`closing ${name} leaves only the others`, () => {
    const all = Array.from({ length: open }, () => ({}));
    const sockets = new SessionSockets<object>();
    for (const socket of all) sockets.add(socket);

    for (const i of close) assert.equal(sockets.delete(all[i]!), true);
    assert.deepEqual([...sockets], left.map((i) => all[i]));
    assert.equal(sockets.size, left.length);
    for (const i of close) assert.equal(sockets.has(all[i]!), false);
  });
}

test('deleting a socket the session never held changes nothing', () => {
  const sockets = new SessionSockets<object>();
  const page = {};
  assert.equal(sockets.delete({}), false);
  sockets.add(page);
  assert.equal(sockets.delete({}), false);
  assert.deepEqual([...sockets], [page]);
});

test('a socket closed while the sockets are visited is not visited', () => {
  const sockets = new SessionSockets<object>();
  const [first, second, third] = [{}, {}, {}];
  for (const socket of [first, second, third]) sockets.add(socket);

  const visited: object[] = [];
  for (const socket of sockets) {
    visited.push(socket);
    if (socket === first) sockets.delete(second);
  }
  assert.deepEqual(visited, [first, third]);
});
