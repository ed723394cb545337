import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMosquitto, type Mosquitto } from '../../test/support/index.ts';
import { ROOT } from './child.ts';

export const SHIPPED_MOSQUITTO_CONF = join(ROOT, 'deploy', 'mosquitto', 'mosquitto.conf');

/** The lines of the shipped Mosquitto configuration that bear on speed and queueing. */
export function shippedTuning(): string[] {
  return readFileSync(SHIPPED_MOSQUITTO_CONF, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) =>
      /^(set_tcp_nodelay|max_queued_messages|max_inflight_messages|max_packet_size)\s/.test(line),
    );
}

/**
 * A Mosquitto of the bench's own, on a free loopback port, tuned as the shipped
 * configuration is; `extra` lines come last and win (the Nagle guard's default run).
 */
export function startBenchBroker(extra: readonly string[] = []): Promise<Mosquitto> {
  return startMosquitto({ extraConfig: [...shippedTuning(), ...extra] });
}
