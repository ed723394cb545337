import { ErrorCodes, modtError, type ModtError } from '../protocol/index.ts';
import type { AnyUnit, Output, UnitContext } from './unit.ts';

/**
 * Calls a unit's handler the way the router does: a throw, or anything but a list of
 * outputs, becomes an error value (`MODT_ERR_HANDLER_FAILED`, `MODT_ERR_OUTPUT_INVALID`).
 */
export function callHandler(
  unit: AnyUnit,
  topic: string,
  payload: unknown,
  context: UnitContext,
): Output[] | ModtError {
  let outputs: unknown;
  try {
    outputs = unit.handle(topic, payload as never, context);
  } catch (err) {
    return modtError(ErrorCodes.HANDLER_FAILED, `handler threw: ${(err as Error)?.message ?? err}`);
  }
  if (!Array.isArray(outputs) || !outputs.every(isOutput)) {
    return modtError(ErrorCodes.OUTPUT_INVALID, 'handler returned something other than outputs[]');
  }
  return outputs;
}

function isOutput(value: unknown): value is Output {
  if (value === null || typeof value !== 'object') return false;
  const output = value as Partial<Output>;
  if (output.kind === 'record') return typeof output.record === 'object' && output.record !== null;
  if (output.kind !== 'publish') return false;
  return typeof output.topic === 'string' && [0, 1, 2].includes(output.qos as number);
}
