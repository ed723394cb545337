/**
 * One message as the monitor received it: the audit trail, so a payload that is not valid
 * JSON (or not even UTF-8) is kept too, as base64, with the reason it was refused.
 */
export interface HistoryRecord {
  /** ISO 8601 receive time. */
  received_at: string;
  topic: string;
  /** The payload as UTF-8 text, or base64 of the raw bytes when they are not UTF-8. */
  payload: string;
  encoding: 'utf8' | 'base64';
  /** Whether the payload is strict JSON. */
  json: boolean;
  /** The catalog code of why it is not, when it is not. */
  error?: string;
  /**
   * Set when this record may already be in the store once, as at-least-once delivery allows:
   * the broker redelivered the message (MQTT DUP), or a write of it failed with its outcome
   * unknown and was made again. A reader that wants each message once skips a redelivered
   * record equal in topic and payload to an earlier one.
   */
  redelivered?: boolean;
}

/** A record as read back from a store, with the store's id for it. */
export interface HistoryEntry extends HistoryRecord {
  id: string;
}
