import { ErrorCodes, modtError, type ModtError } from '../protocol/index.ts';
import { publishPacketBytes } from './output-size.ts';
import { isValidTopicName, topicMatches } from './topic-filter.ts';
import type { AnyUnit, PublishOutput } from './unit.ts';

/**
 * The bytes a publish output goes out as, or why the router drops it: a topic the unit does
 * not declare in `publishes`, a payload that is not JSON, or a packet over the broker's limit.
 */
export function prepareOutput(
  unit: AnyUnit,
  output: PublishOutput,
  maxPacketBytes: number,
): { body: Buffer } | ModtError {
  const { topic } = output;
  if (!isValidTopicName(topic) || !unit.publishes.some((f: string) => topicMatches(f, topic))) {
    const message = `output to '${topic}', which the unit does not declare in publishes`;
    return modtError(ErrorCodes.OUTPUT_UNDECLARED, message);
  }

  let text: string | undefined;
  try {
    text = JSON.stringify(output.payload);
  } catch (err) {
    const message = `output payload is not JSON: ${(err as Error).message}`;
    return modtError(ErrorCodes.OUTPUT_INVALID, message);
  }
  if (text === undefined) return modtError(ErrorCodes.OUTPUT_INVALID, 'output payload is not JSON');

  const body = Buffer.from(text, 'utf8');
  const size = publishPacketBytes(topic, body, output.qos);
  if (size > maxPacketBytes) {
    const message =
      `output to '${topic}' encodes to ${size} bytes, over the packet limit ${maxPacketBytes}`;
    return modtError(ErrorCodes.OUTPUT_TOO_LARGE, message);
  }
  return { body };
}
