import { openHistoryStore, type HistoryEntry } from '../router/index.ts';

/** `modt history`: the newest records of the store the environment names, oldest first. */
export async function historyCommand(limit: number, json: boolean): Promise<number> {
  const store = openHistoryStore(process.env);
  try {
    for (const entry of await store.recent(limit)) {
      process.stdout.write(`${json ? JSON.stringify(entry) : row(entry)}\n`);
    }
  } finally {
    await store.close();
  }
  return 0;
}

function row(entry: HistoryEntry): string {
  const payload = entry.payload.length > 100 ? `${entry.payload.slice(0, 97)}...` : entry.payload;
  const base64 = entry.encoding === 'base64' ? ', base64' : '';
  const mark = entry.json ? '' : ` [${entry.error ?? 'not JSON'}${base64}]`;
  return `${entry.received_at}  ${entry.topic.padEnd(20)} ${payload}${mark}`;
}
