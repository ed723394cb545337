import { openHistoryStore } from '../router/index.ts';
import { flag, type Command } from './command.ts';
import { QUERY_HELP, QUERY_OPTIONS, bytesOf, queryHistory, readQuery } from './history-filter.ts';
import { messageLine } from './message-line.ts';

/** `modt history`: the recorded conversation, oldest first, filtered. */
export const historyCommand: Command = {
  name: 'history',
  summary: 'the recorded conversation, filtered by time, topic, session or user',
  help: `modt history [--since TIME] [--until TIME] [--topic FILTER] [--session ID] [--user ID]
             [--limit N] [--json]

  The recorded conversation from the history store, oldest first: Redis when
  MODT_REDIS_URL is set, else the file MODT_HISTORY_FILE (default .modt/history.jsonl).
  Each line shows the time, the topic and the message's key fields, or why a reader
  would refuse it. With --json, each record as it is stored, one JSON object a line.

${QUERY_HELP} (default 50)
      --json                       JSON lines instead of the table
`,
  options: { ...QUERY_OPTIONS, json: { type: 'boolean' } },

  async run(parsed) {
    const query = readQuery(parsed, 50);
    if (typeof query === 'string') return query;

    const store = openHistoryStore(process.env);
    try {
      const entries = await queryHistory(store, query);
      // An empty answer says where it looked: the wrong store is the likely reason.
      if (entries.length === 0) process.stderr.write(`no records matched in ${store.location}\n`);
      for (const entry of entries) {
        const line = flag(parsed, 'json')
          ? JSON.stringify(entry)
          : messageLine(entry.received_at, entry.topic, bytesOf(entry), entry.redelivered);
        process.stdout.write(`${line}\n`);
      }
    } finally {
      await store.close();
    }
    return 0;
  },
};
