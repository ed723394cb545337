import { appDisplayTopic, deadLetterTopic } from '../protocol/index.ts';
import { topicMatches, type AnyUnit } from '../router/index.ts';
import { GATEWAY_ACCOUNT, GATEWAY_READS, GATEWAY_WRITES } from '../gateway/bus-topics.ts';

/** One broker account and exactly the topics it may read and write. */
export interface Grant {
  account: string;
  reads: readonly string[];
  writes: readonly string[];
}

/**
 * The grants of a deployment, derived from the declarations alone: the gateway's, then each
 * unit's `subscribe` (reads) and `publishes` (writes), so adding a unit file is all it takes.
 * Each account may also write its own dead-letter topic, `modt/dead/<account>`. A unit may
 * write no display topic but its own, `modt/app/display/<unit>`: one that declares another
 * app's, a wildcard over them or the old shared `modt/app/display` stops the generation.
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
      writes: [...checkedWrites(unit), deadLetterTopic(unit.name)],
    }));
  const names = new Set<string>();
  for (const grant of [gateway, ...fromUnits]) {
    if (names.has(grant.account)) throw new Error(`two units are named '${grant.account}'`);
    names.add(grant.account);
  }
  return [gateway, ...fromUnits];
}

/** A unit's `publishes`, once none of them lets it write another app's display topic. */
function checkedWrites(unit: AnyUnit): readonly string[] {
  const own = appDisplayTopic(unit.name);
  const foreign = unit.publishes.find((topic) => writesForeignDisplay(topic, own));
  if (foreign === undefined) return unit.publishes;
  const expected = `an app may write its own display topic only, expected '${own}'`;
  throw new Error(`unit '${unit.name}' declares '${foreign}' in publishes: ${expected}`);
}

/**
 * Whether a topic or filter of `publishes` covers a display topic other than `own`: the old
 * shared one, another app's, or a wildcard over them. The sample is no unit's name (those
 * are kebab-case), so it stands for any other app.
 */
function writesForeignDisplay(topic: string, own: string): boolean {
  if (topic === own) return false;
  if (topic === 'modt/app/display') return true;
  const last = topic.slice(topic.lastIndexOf('/') + 1);
  const others = [appDisplayTopic('Another_App'), appDisplayTopic(last)];
  return others.some((other) => other !== own && topicMatches(topic, other));
}
