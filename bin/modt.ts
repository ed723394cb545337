#!/usr/bin/env -S node --import tsx
import { parseArgs } from 'node:util';
import { ModtFailure } from '../protocol/index.ts';
import { asyncApiCommand } from './asyncapi-command.ts';
import type { Command, Outcome } from './command.ts';
import { deployCommand, secretsCommand } from './deploy-command.ts';
import { historyCommand } from './history-command.ts';
import { newCommand } from './new-command.ts';
import { replayCommand } from './replay-command.ts';
import { tailCommand } from './tail-command.ts';
import { usersCommand } from './users-command.ts';

const COMMANDS: readonly Command[] = [
  newCommand,
  tailCommand,
  historyCommand,
  replayCommand,
  usersCommand,
  asyncApiCommand,
  deployCommand,
  secretsCommand,
];

const OVERVIEW = `modt: MoDT's command line (npm run modt -- <command>)

${COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}

  modt <command> --help says more. Also: npm start (the whole stack in one process),
  npm run dev (the same, reloading a unit when its file changes), npm test.
`;

/** Runs one command line; a string is a bad argument, said with where to find usage. */
async function main(argv: readonly string[]): Promise<{ outcome: Outcome; command?: string }> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stdout.write(OVERVIEW);
    return { outcome: 2 };
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    const command = COMMANDS.find((c) => c.name === rest[0]);
    if (rest[0] !== undefined && command === undefined) {
      return { outcome: `help: unknown command '${rest[0]}'` };
    }
    process.stdout.write(command?.help ?? OVERVIEW);
    return { outcome: 0 };
  }

  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) return { outcome: `unknown command '${name}'` };
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    return { outcome: `${name}: ${argumentError(err as Error, command)}`, command: name };
  }
  if (parsed.values.help) {
    process.stdout.write(command.help);
    return { outcome: 0 };
  }
  return { outcome: await command.run(parsed), command: name };
}

/** What parseArgs refused, said shortly; an unknown option with the options there are. */
function argumentError(err: Error & { code?: string }, command: Command): string {
  const unknown = /^Unknown option '([^']+)'/.exec(err.message);
  if (err.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || unknown === null) return err.message;
  const known = [...Object.keys(command.options), 'help'].map((o) => `--${o}`).join(', ');
  return `unknown option '${unknown[1]}'; expected one of ${known}`;
}

main(process.argv.slice(2)).then(
  ({ outcome, command }) => {
    if (typeof outcome === 'string') {
      const help = command ? `modt ${command} --help` : 'modt --help';
      process.stderr.write(`modt: ${outcome}\nRun '${help}' for usage.\n`);
      process.exit(2);
    }
    process.exit(outcome);
  },
  (err: Error) => {
    const code = err instanceof ModtFailure ? `${err.code}: ` : '';
    process.stderr.write(`modt: ${code}${err.message}\n`);
    process.exit(1);
  },
);
