import { deadLetterTopic } from '../protocol/index.ts';
import { GATEWAY_ACCOUNT, GATEWAY_READS, GATEWAY_WRITES } from '../gateway/bus-topics.ts';
import type { AnyUnit } from '../router/index.ts';

/** One broker account and exactly the topics it may read and write. */
export interface Grant {
  account: string;
  reads: readonly string[];
  writes: readonly string[];
}

/**
 * The grants of a deployment, derived from the declarations alone: the gateway's, then each
 * unit's `subscribe` (reads) and `publishes` (writes), so adding a unit file is all it takes.
 * Each account may also write its own dead-letter topic, `modt/dead/<account>`.
 */
export function grantsOf(units: readonly AnyUnit[]): Grant[] {
  const gateway: Grant = {
    account: GATEWAY_ACCOUNT,
    reads: GATEWAY_READS,
    writes: [...GATEWAY_WRITES, deadLetterTopic(GATEWAY_ACCOUNT)],
  };
  const fromUnits = [...units]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((unit) => ({
      account: unit.name,
      reads: Object.keys(unit.subscribe),
      writes: [...unit.publishes, deadLetterTopic(unit.name)],
    }));
  const names = new Set<string>();
  for (const grant of [gateway, ...fromUnits]) {
    if (names.has(grant.account)) throw new Error(`two units are named '${grant.account}'`);
    names.add(grant.account);
  }
  return [gateway, ...fromUnits];
}
