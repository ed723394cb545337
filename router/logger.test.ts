import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, test } from 'node:test';
import { ErrorCodes } from '../protocol/index.ts';
import { checkLogLevel, createLogger } from './logger.ts';

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

test('under an unknown MODT_LOG_LEVEL a logger writes at info, for the line that refuses it',
  () => {
    process.env.MODT_LOG_LEVEL = 'verbose';
    const { kept, stream } = lines();
    const log = createLogger('test-unit', stream);
    assert.throws(() => checkLogLevel(process.env), (err: Error & { code?: string }) => {
      assert.equal(err.code, ErrorCodes.SETTING_INVALID);
      assert.match(err.message, /^MODT_LOG_LEVEL: expected one of .*got 'verbose'$/);
      return true;
    });
    log.fatal('refused');
    log.debug('not at info');
    assert.deepEqual(kept.map((l) => l.msg), ['refused']);
  });

test('a known MODT_LOG_LEVEL is taken as it is, without a warning', () => {
  process.env.MODT_LOG_LEVEL = 'debug';
  const { kept, stream } = lines();
  createLogger('test-unit', stream).debug('shown');
  assert.deepEqual(kept.map((l) => l.msg), ['shown']);
});
