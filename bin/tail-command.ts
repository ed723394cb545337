import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { ErrorCodes, ModtFailure, Topics } from '../protocol/index.ts';
import { DEFAULT_MQTT_URL, isValidFilter, readUrl, redact } from '../router/index.ts';
import { positiveInt, text, type Command } from './command.ts';
import { messageLine } from './message-line.ts';

/** `modt tail`: the live conversation, one line a message. */
export const tailCommand: Command = {
  name: 'tail',
  summary: 'the live conversation on the bus, one readable line per message',
  help: `modt tail [FILTER] [--count N]

  Follows the broker at MODT_MQTT_URL (default ${DEFAULT_MQTT_URL}) on FILTER (default
  modt/#) and prints each message as it comes: the time, the topic and its key fields
  (user_id, session_id, app_name, redirect_url...), or, when the protocol's strict decoding
  and the topic's schema refuse it, the error code a unit would drop it with. The account
  in the URL must be allowed to read FILTER (in a deployment: the monitor's).

      --count N      stop after N messages (for scripts and tests)
`,
  options: { count: { type: 'string' } },

  async run(parsed) {
    const filter = parsed.positionals[0] ?? Topics.all;
    if (!isValidFilter(filter)) {
      return `tail: expected an MQTT topic filter such as modt/#, got '${filter}'`;
    }
    if (parsed.positionals.length > 1) {
      return `tail: expected one filter, got ${parsed.positionals.length}`;
    }
    const rawCount = text(parsed, 'count');
    const count = rawCount === undefined ? Infinity : positiveInt('--count', rawCount);
    if (typeof count === 'string') return count;

    const url = readUrl(process.env, 'MODT_MQTT_URL', DEFAULT_MQTT_URL, ['mqtt', 'mqtts']);
    return follow(url, filter, count);
  },
};

async function follow(url: URL, filter: string, count: number): Promise<number> {
  const client = await mqtt
    .connectAsync(url.href, {
      clientId: `modt-tail-${randomUUID().slice(0, 8)}`,
      clean: true,
      protocolVersion: 4,
      connectTimeout: 5000,
      reconnectPeriod: 1000,
    }, false)
    .catch((err: Error) => {
      const message = `cannot reach the broker at ${redact(url)}: ${err.message}`;
      throw new ModtFailure(ErrorCodes.BROKER_UNAVAILABLE, message);
    });

  let seen = 0;
  const done = new Promise<void>((resolve) => {
    client.on('message', (topic, payload) => {
      if (seen >= count) return;
      seen += 1;
      process.stdout.write(`${messageLine(new Date().toISOString(), topic, payload)}\n`);
      if (seen >= count) resolve();
    });
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  client.on('offline', () => process.stderr.write('modt tail: broker connection lost, retrying\n'));

  await client.subscribeAsync(filter, { qos: 1 });
  process.stderr.write(`modt tail: following ${filter} on ${redact(url)}\n`);
  await done;
  await client.endAsync();
  return 0;
}
