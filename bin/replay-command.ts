import {
  deliver,
  functionsFolder,
  openHistoryStore,
  readUnitSettings,
  subscriptionOf,
  type AnyUnit,
  type Delivery,
  type HistoryEntry,
  type Output,
} from '../router/index.ts';
import { flag, text, type Command } from './command.ts';
import { loadCommandUnits } from './load-units.ts';
import {
  QUERY_HELP,
  QUERY_OPTIONS,
  SCAN_LIMIT,
  bytesOf,
  queryHistory,
  readQuery,
} from './history-filter.ts';
import { contentLine, summarize } from './message-line.ts';

/** `modt replay`: recorded messages through one unit's handler, with no broker. */
export const replayCommand: Command = {
  name: 'replay',
  summary: "recorded messages through a unit's handler: what it would publish or refuse",
  help: `modt replay --unit NAME [--since TIME] [--until TIME] [--topic FILTER] [--session ID]
            [--user ID] [--limit N] [--json]

  Feeds the recorded messages that the unit subscribes to, oldest first, through its
  handler as the router would (strict decoding, the unit's schema, the handler with the
  record's time as now, the checks on what it returns), and prints what it would publish
  and record, or why it would refuse the message. Nothing reaches the broker or the
  store. The unit comes from functions/ (or MODT_FUNCTIONS_DIR), its settings from the
  environment, as when it runs.

      --unit NAME                  the unit, by its name
${QUERY_HELP} (default 1000)
      --json                       one JSON object per message: the record and the outcome
`,
  options: { ...QUERY_OPTIONS, unit: { type: 'string' }, json: { type: 'boolean' } },

  async run(parsed) {
    const name = text(parsed, 'unit');
    if (name === undefined) return 'replay: expected --unit NAME';
    const query = readQuery(parsed, 1000);
    if (typeof query === 'string') return query;

    const units = await loadCommandUnits(functionsFolder(process.env), 'replay');
    const unit = units.find((u) => u.name === name);
    if (unit === undefined) {
      return `--unit: no unit named '${name}'; there are ${units.map((u) => u.name).join(', ')}`;
    }

    const store = openHistoryStore(process.env);
    let entries: HistoryEntry[];
    try {
      // Every record that matches, so that --limit counts those the unit reads.
      entries = await queryHistory(store, { ...query, limit: SCAN_LIMIT });
    } finally {
      await store.close();
    }
    const reads = entries.filter((entry) => subscriptionOf(unit, entry.topic) !== undefined);
    const taken = reads.slice(-query.limit);
    const counts = replay(unit, taken, flag(parsed, 'json'));
    const summary = `replayed ${taken.length} of ${entries.length} records through ${unit.name}: ` +
      `${counts.handled} handled, ${counts.refused} refused`;
    process.stderr.write(`${summary}\n`);
    return 0;
  },
};

function replay(unit: AnyUnit, entries: readonly HistoryEntry[], json: boolean) {
  const settings = readUnitSettings(unit.settings ?? {}, process.env);
  const counts = { handled: 0, refused: 0 };
  for (const entry of entries) {
    const bytes = bytesOf(entry);
    const context = { now: new Date(entry.received_at), redelivered: entry.redelivered === true };
    const outcome = deliver(unit, entry.topic, bytes, { ...context, settings });
    counts[outcome.refused ? 'refused' : 'handled'] += 1;

    if (json) {
      process.stdout.write(`${JSON.stringify({ record: entry, ...outcomeJson(outcome) })}\n`);
      continue;
    }
    const line = contentLine(entry.received_at, entry.topic, bytes, entry.redelivered);
    process.stdout.write(`${line}\n`);
    for (const line of outcomeLines(outcome)) process.stdout.write(`    ${line}\n`);
  }
  return counts;
}

function outcomeLines(outcome: Delivery): string[] {
  if (outcome.refused) return [`refused ${outcome.refused.code}: ${outcome.refused.message}`];
  const lines = outcome.outputs.map((output) => `would ${describe(output)}`);
  for (const { output, error } of outcome.dropped) {
    lines.push(`would drop ${describe(output)}: ${error.code}: ${error.message}`);
  }
  return lines.length > 0 ? lines : ['answers nothing'];
}

function describe(output: Output): string {
  if (output.kind === 'record') {
    const { topic, json, error } = output.record;
    return `record ${topic}${json ? '' : ` [${error ?? 'not JSON'}]`}`;
  }
  return `publish ${output.topic}  ${summarize(output.payload)}`;
}

function outcomeJson(outcome: Delivery) {
  if (outcome.refused) return { refused: outcome.refused };
  const dropped = outcome.dropped.map(({ output, error }) => ({ output, refused: error }));
  return { outputs: outcome.outputs, dropped };
}
