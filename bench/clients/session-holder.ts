import { parseArgs } from 'node:util';
import { report, serveCommands } from '../support/ipc.ts';
import type { SessionClient } from './bench-browser.ts';
import { ClientFactory, inParallel, type Target } from './clients.ts';

/**
 * A client process that holds many browser sessions open (page, cookie, socket) and counts
 * what is pushed to them: the idle sessions of the login runs, the sessions whose memory is
 * measured, and the targets of the push runs. A pushed frame's URL carries the time it was
 * published (`t`, monoMs()) and its number (`n`), so latency and loss are read here.
 */
const { values } = parseArgs({
  options: { target: { type: 'string' }, base: { type: 'string' }, block: { type: 'string' } },
});
const factory = new ClientFactory(values.target as Target, values.base!, Number(values.block));
const sessions: SessionClient[] = [];
let pushLatencies: number[] = [];
let pushed = new Set<number>();
let frames = 0;

function onFrame(text: string, atMs: number): void {
  frames += 1;
  const url = (JSON.parse(text) as { url?: string }).url;
  if (url === undefined) return;
  const params = new URL(url).searchParams;
  const t = Number(params.get('t'));
  if (!Number.isFinite(t) || t === 0) return;
  pushLatencies.push(atMs - t);
  pushed.add(Number(params.get('n')));
}

async function open(count: number, concurrency: number) {
  const began = performance.now();
  const made: SessionClient[] = [];
  const result = await inParallel(count, concurrency, async () => {
    const client = await factory.make();
    client.onFrame = onFrame;
    await client.open();
    made.push(client);
  });
  sessions.push(...made);
  return { opened: made.length, held: sessions.length, ms: performance.now() - began, ...result };
}

/** Logs every held session in once (no app answers in the push runs: the login waits). */
async function loginAll(users: string[], password: string, concurrency: number) {
  const began = performance.now();
  let refused = 0;
  const result = await inParallel(sessions.length, concurrency, async (i) => {
    const status = await sessions[i]!.login(users[i % users.length]!, password);
    if (status !== 200) refused += 1;
  });
  return { ms: performance.now() - began, refused, ...result };
}

function takePushes() {
  const taken = { latencies: pushLatencies, distinct: pushed.size, frames };
  pushLatencies = [];
  pushed = new Set();
  frames = 0;
  return taken;
}

serveCommands(async (command) => {
  if (command.cmd === 'open')
    return open(command.count as number, (command.concurrency as number) ?? 16);
  if (command.cmd === 'login') {
    return loginAll(
      command.users as string[],
      command.password as string,
      (command.concurrency as number) ?? 32,
    );
  }
  if (command.cmd === 'pushes') return takePushes();
  if (command.cmd === 'peek') return { distinct: pushed.size };
  if (command.cmd === 'close') {
    for (const session of sessions.splice(0)) session.close();
    return {};
  }
  throw new Error(`unknown command ${command.cmd}`);
});
report('ready');
