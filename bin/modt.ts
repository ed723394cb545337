#!/usr/bin/env -S node --import tsx
import { parseArgs } from 'node:util';
import { ModtFailure } from '../protocol/index.ts';
import { openHistoryStore, type HistoryEntry } from '../router/index.ts';
import { putUser, readUsersFile } from '../gateway/index.ts';
import { readSecret } from './read-secret.ts';

const HELP = `modt: MoDT's command line

  modt history [--limit N] [--json]
      The recent conversation from the history store: Redis when MODT_REDIS_URL is set,
      else the file MODT_HISTORY_FILE (default .modt/history.jsonl).
  modt users add <username> [--role ROLE] [--file PATH]
      Adds or replaces a user; the password is read from standard input or a prompt,
      never from an argument. PATH defaults to MODT_USERS_FILE, then users.json.
  modt users list [--file PATH]
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      limit: { type: 'string', default: '50' },
      json: { type: 'boolean', default: false },
      role: { type: 'string', default: 'user' },
      file: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, sub, name] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined && !values.help ? 2 : 0;
  }

  if (command === 'history') {
    const limit = Number(values.limit);
    if (!Number.isSafeInteger(limit) || limit <= 0) return usage(`--limit: expected a positive integer, got '${values.limit}'`);
    const store = openHistoryStore(process.env);
    try {
      const entries = await store.recent(limit);
      for (const entry of entries) process.stdout.write(`${values.json ? JSON.stringify(entry) : row(entry)}\n`);
    } finally {
      await store.close();
    }
    return 0;
  }

  if (command === 'users') {
    const file = values.file ?? process.env.MODT_USERS_FILE ?? 'users.json';
    if (sub === 'list') {
      for (const user of await readUsersFile(file)) process.stdout.write(`${user.username}\t${user.role}\n`);
      return 0;
    }
    if (sub === 'add') {
      if (!name) return usage('users add: expected a username');
      const password = await readSecret(`password for ${name}: `);
      if (password.length === 0) return usage('users add: the password is empty');
      await putUser(file, { username: name, role: values.role, password });
      process.stdout.write(`${name} (${values.role}) saved in ${file}\n`);
      return 0;
    }
    return usage(`users: expected add or list, got '${sub ?? ''}'`);
  }

  return usage(`unknown command '${command}'`);
}

function row(entry: HistoryEntry): string {
  const payload = entry.payload.length > 100 ? `${entry.payload.slice(0, 97)}...` : entry.payload;
  const mark = entry.json ? '' : ` [${entry.error ?? 'not JSON'}${entry.encoding === 'base64' ? ', base64' : ''}]`;
  return `${entry.received_at}  ${entry.topic.padEnd(20)} ${payload}${mark}`;
}

function usage(message: string): number {
  process.stderr.write(`modt: ${message}\nRun 'modt --help' for usage.\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    const code = err instanceof ModtFailure ? `${err.code}: ` : '';
    process.stderr.write(`modt: ${code}${err.message}\n`);
    process.exit(1);
  },
);
