#!/usr/bin/env -S node --import tsx
import { parseArgs } from 'node:util';
import { ModtFailure } from '../protocol/index.ts';
import { deployCommand, secretsCommand } from './deploy-command.ts';
import { historyCommand } from './history-command.ts';
import { addUser, listUsers } from './users-command.ts';

const HELP = `modt: MoDT's command line

  modt history [--limit N] [--json]
      The recent conversation from the history store: Redis when MODT_REDIS_URL is set,
      else the file MODT_HISTORY_FILE (default .modt/history.jsonl).
  modt users add <username> [--role ROLE] [--file PATH]
      Adds or replaces a user; the password is read from standard input or a prompt,
      never from an argument. PATH defaults to MODT_USERS_FILE, then users.json.
  modt users list [--file PATH]
  modt deploy [--check]
      Writes docker-compose.yml and deploy/mosquitto/acl from the units in functions/;
      with --check, only says whether they are current (exit 1 if not).
  modt secrets --dir DIR
      Makes or completes a deployment's secrets folder (keep it outside the repository):
      a broker account per unit and the gateway, Mosquitto's password file, the users file.
`;

async function main(argv: string[]): Promise<number | string> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      limit: { type: 'string', default: '50' },
      json: { type: 'boolean', default: false },
      role: { type: 'string', default: 'user' },
      file: { type: 'string' },
      dir: { type: 'string' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, sub, name] = positionals;
  if (values.help || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === undefined) {
    process.stdout.write(HELP);
    return 2;
  }

  const usersFile = values.file ?? process.env.MODT_USERS_FILE ?? 'users.json';
  switch (command) {
    case 'history': {
      const limit = Number(values.limit);
      if (!Number.isSafeInteger(limit) || limit <= 0) {
        return `--limit: expected a positive integer, got '${values.limit}'`;
      }
      return historyCommand(limit, values.json);
    }
    case 'users':
      if (sub === 'list') return listUsers(usersFile);
      if (sub !== 'add') return `users: expected add or list, got '${sub ?? ''}'`;
      if (!name) return 'users add: expected a username';
      return addUser(usersFile, name, values.role);
    case 'deploy':
      return deployCommand(values.check);
    case 'secrets':
      if (!values.dir) return 'secrets: expected --dir DIR, a folder outside the repository';
      return secretsCommand(values.dir);
    default:
      return `unknown command '${command}'`;
  }
}

main(process.argv.slice(2)).then(
  (result) => {
    if (typeof result === 'string') {
      process.stderr.write(`modt: ${result}\nRun 'modt --help' for usage.\n`);
      process.exit(2);
    }
    process.exit(result);
  },
  (err: Error) => {
    const code = err instanceof ModtFailure ? `${err.code}: ` : '';
    process.stderr.write(`modt: ${code}${err.message}\n`);
    process.exit(1);
  },
);
