import type { ParseArgsConfig } from 'node:util';

/** The options a command takes, as `node:util` parseArgs reads them. */
export type Options = NonNullable<ParseArgsConfig['options']>;

/** A command's arguments once parsed: option values by name, and the words after it. */
export interface Parsed {
  values: Readonly<Record<string, string | boolean | undefined>>;
  positionals: readonly string[];
}

/**
 * What a command answers: an exit code, or the message of a bad argument, which `modt`
 * prints with a pointer to `--help` and exits 2 on.
 */
export type Outcome = number | string;

/** One `modt` command: its help, its options, and what it does. */
export interface Command {
  name: string;
  /** One line for `modt --help`. */
  summary: string;
  /** The command's own `--help`: its usage lines first, then what it does. */
  help: string;
  options: Options;
  run(parsed: Parsed): Promise<Outcome>;
}

/** An option's text value, when it was given. */
export function text(parsed: Parsed, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Whether a boolean option was given. */
export function flag(parsed: Parsed, name: string): boolean {
  return parsed.values[name] === true;
}

/** A positive whole number from an option's text, or the message of why it is not one. */
export function positiveInt(option: string, raw: string): number | string {
  const value = Number(raw);
  if (/^\d+$/.test(raw) && Number.isSafeInteger(value) && value > 0) return value;
  return `${option}: expected a positive integer, got '${raw}'`;
}
