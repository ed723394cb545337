import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Script, runInNewContext } from 'node:vm';
import { describe, test } from 'node:test';
import * as esbuild from 'esbuild';
import type { HistoryEntry } from '../../router/index.ts';
import { loginRecords, withIds } from '../../test/support/index.ts';
import { conversationKit, type ConversationKit } from './conversation.ts';
import { historyEventKit } from './history-events.ts';
import { loginStoryKit } from './login-stories.ts';
import { KITS_SOURCE, MONITOR_SCRIPT } from './monitor-script.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const AT = Date.UTC(2026, 11, 3, 10, 0, 0);
const FILTER = { topic: '', user: '', session: '' };
const OPTIONS = { now: AT + 60_000, page: 0, rowsPerPage: 50, maxStories: 20, maxSteps: 8 };

/** Some answered and some unanswered logins, as stored entries. */
function someLogins(): HistoryEntry[] {
  const records = [];
  for (let i = 0; i < 30; i++) {
    const answered = i % 4 !== 0;
    const script = answered ? { readyAfterMs: i, pushedAfterMs: i + 1 } : {};
    records.push(...loginRecords({ at: AT + i * 100, userId: `user-${i % 3}`, ...script }));
  }
  return withIds(records);
}
const ENTRIES = someLogins();

/** What a conversation kit shows of the entries, as JSON (comparable across realms). */
function viewWith(kit: ConversationKit): string {
  const conversation = new kit.Conversation({ maxHeld: 1000, answerTtlMs: 30_000 });
  conversation.reset(ENTRIES, false);
  return JSON.stringify(conversation.view(FILTER, OPTIONS));
}

/** The kits of a page script's source, run in a context with nothing but JavaScript's own. */
function kitOfSource(source: string): ConversationKit {
  return runInNewContext(`${source}\nkit;`, {}) as ConversationKit;
}

describe('the monitor page script', () => {
  const expected = viewWith(conversationKit(historyEventKit(), loginStoryKit()));

  test('it is JavaScript that compiles', () => {
    assert.doesNotThrow(() => new Script(MONITOR_SCRIPT, { filename: 'monitor.js' }));
  });

  test('its kits run alone, from their source, and show what the modules show', () => {
    assert.equal(viewWith(kitOfSource(KITS_SOURCE)), expected);
  });

  test('its kits still run alone as esbuild minifies them for dist/', async () => {
    const built = await esbuild.build({
      stdin: {
        contents: "export { KITS_SOURCE } from './gateway/monitor/monitor-script.ts';",
        resolveDir: ROOT,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      write: false,
      logLevel: 'silent',
    });
    const module = { exports: {} as { KITS_SOURCE?: string } };
    runInNewContext(built.outputFiles[0]!.text, { module, exports: module.exports });
    assert.equal(typeof module.exports.KITS_SOURCE, 'string');
    assert.equal(viewWith(kitOfSource(module.exports.KITS_SOURCE!)), expected);
  });
});
