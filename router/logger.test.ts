import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, test } from 'node:test';
import { ErrorCodes } from '../protocol/index.ts';
import { createLogger } from './logger.ts';

/** A destination that keeps each JSON line the logger writes. */
function lines() {
  const kept: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) kept.push(JSON.parse(line));
      done();
    },
  });
  return { kept, stream };
}

const saved = process.env.MODT_LOG_LEVEL;
afterEach(() => {
  if (saved === undefined) delete process.env.MODT_LOG_LEVEL;
  else process.env.MODT_LOG_LEVEL = saved;
});

test('an unknown MODT_LOG_LEVEL is named in a warning and logging goes on at info', () => {
  process.env.MODT_LOG_LEVEL = 'verbose';
  const { kept, stream } = lines();
  const log = createLogger('test-unit', stream);
  log.info('after');
  log.debug('not at info');
  assert.equal(kept.length, 2);
  assert.equal(kept[0]!.code, ErrorCodes.SETTING_INVALID);
  assert.match(String(kept[0]!.reason), /MODT_LOG_LEVEL: expected one of .*got 'verbose'/);
  assert.equal(kept[1]!.msg, 'after');
});

test('a known MODT_LOG_LEVEL is taken as it is, without a warning', () => {
  process.env.MODT_LOG_LEVEL = 'debug';
  const { kept, stream } = lines();
  createLogger('test-unit', stream).debug('shown');
  assert.deepEqual(kept.map((l) => l.msg), ['shown']);
});
