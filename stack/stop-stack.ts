/** What of the stack's parts stopping it needs; each may be missing if start-up failed. */
export interface StackParts {
  gateway?: { stopTaking(): void; stop(): Promise<void> };
  units?: { stopAll(): Promise<void> };
  history?: { close(): Promise<void> };
  broker?: { close(): Promise<void> };
}

/**
 * Stops the stack from the edge inwards: the gateway first stops taking logins, so none is
 * made that no unit is left to answer; then the units finish the message each holds, whose
 * answers still reach the browsers' open sockets; then the gateway closes those and its bus
 * link; the history store and the broker last, when nothing writes to them any more.
 */
export async function stopStack(parts: StackParts): Promise<void> {
  parts.gateway?.stopTaking();
  await parts.units?.stopAll();
  await parts.gateway?.stop();
  await parts.history?.close();
  await parts.broker?.close();
}
