import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeadLetter, ErrorCodes, decodePayload } from './index.ts';

test('a dead letter may carry every code of the catalog, digits and all', () => {
  for (const code of Object.values(ErrorCodes)) {
    const letter = {
      unit: 'gateway',
      topic: 'modt/app/ready',
      code,
      reason: 'why',
      excerpt: '',
      excerpt_encoding: 'utf8',
      bytes: 0,
      timestamp: '2026-12-03T00:00:00.000Z',
    };
    const decoded = decodePayload(Buffer.from(JSON.stringify(letter)), DeadLetter, 4096);
    assert.ok(decoded.ok, `${code}: ${decoded.ok ? '' : decoded.error.message}`);
  }
});
