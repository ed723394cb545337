// Makes docs/monitor.png: `node --import tsx scripts/monitor-screenshot.ts`. It runs what
// `npm start` runs on free ports, with a history that already holds a login nobody answered,
// one whose answer was refused and one answered twice, then signs in as demo and admin in
// headless Chromium and photographs /monitor.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes } from '../protocol/index.ts';
import { FileStore, type HistoryRecord } from '../router/index.ts';
import {
  freePort,
  jsonRecord,
  launchChromium,
  loginRecords,
  startStack,
} from '../test/support/index.ts';

const OUT = fileURLToPath(new URL('../docs/monitor.png', import.meta.url));

/** Three logins that did not go as planned, a minute or two ago. */
function troubledLogins(port: number): HistoryRecord[] {
  const now = Date.now();
  const refused = randomUUID();
  const url = `http://localhost:${port}/apps/dummy-app/`;
  const letter = {
    unit: 'gateway',
    topic: 'modt/app/ready',
    code: ErrorCodes.REDIRECT_NOT_ALLOWED,
    reason: 'redirect_url https://elsewhere.example/ is neither same-origin nor allowed',
    excerpt: JSON.stringify({ session_id: refused, redirect_url: 'https://elsewhere.example/' }),
    excerpt_encoding: 'utf8',
    bytes: 96,
    timestamp: new Date(now - 89_990).toISOString(),
  };
  const twice = randomUUID();
  const late = { session_id: twice, redirect_url: url, app_name: 'slow-app' };
  return [
    ...loginRecords({ userId: 'carol', at: now - 120_000 }),
    ...loginRecords({ sessionId: refused, userId: 'bob', at: now - 90_000, readyAfterMs: 7 }),
    jsonRecord('modt/dead/gateway', letter, now - 89_990),
    ...loginRecords({
      sessionId: twice, userId: 'alice', at: now - 60_000, readyAfterMs: 9, pushedAfterMs: 11,
    }),
    jsonRecord('modt/app/ready', late, now - 59_950),
  ];
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'modt-screenshot-'));
  const history = join(dir, 'history.jsonl');
  const port = await freePort();
  const seeded = new FileStore(history);
  await seeded.append(troubledLogins(port));
  await seeded.close();

  const stack = await startStack({
    PORT: String(port),
    MODT_BROKER_PORT: String(await freePort()),
    MODT_HISTORY_FILE: history,
  });
  const browser = await launchChromium();
  try {
    const base = `http://localhost:${port}/`;
    const password = /admin \/ ([A-Za-z0-9_-]+)/.exec(stack.output())?.[1] ?? '';
    const signIn = async (username: string, secret: string) => {
      const page = await (await browser.newContext({ viewport: { width: 1360, height: 900 } }))
        .newPage();
      await page.goto(base);
      await page.waitForSelector('body[data-socket="open"]', { state: 'attached' });
      await page.fill('input[name="username"]', username);
      await page.fill('input[name="password"]', secret);
      await Promise.all([page.waitForURL('**/apps/**'), page.click('button[type="submit"]')]);
      return page;
    };
    const admin = await signIn('admin', password);
    for (let i = 0; i < 2; i++) await (await signIn('demo', 'demo')).context().close();

    await admin.goto(new URL('/monitor', base).href);
    await admin.waitForSelector('#monitor[data-snapshot="shown"]', { state: 'attached' });
    await admin.waitForTimeout(500);
    await mkdir(join(OUT, '..'), { recursive: true });
    await admin.screenshot({ path: OUT, fullPage: true });
    console.log(`wrote ${OUT}`);
  } finally {
    await browser.close();
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
