import { randomUUID } from 'node:crypto';
import type { HistoryEntry, HistoryRecord } from '../../router/index.ts';

/** A record as the monitor keeps it, of a JSON payload received at `at` (ms). */
export function jsonRecord(topic: string, payload: unknown, at: number): HistoryRecord {
  return {
    received_at: new Date(at).toISOString(),
    topic,
    payload: JSON.stringify(payload),
    encoding: 'utf8',
    json: true,
  };
}

export interface LoginScript {
  sessionId?: string;
  userId?: string;
  role?: string;
  /** When the login was received, ms. */
  at?: number;
  appName?: string;
  /** Receive delays after the login; a step left out did not happen. */
  readyAfterMs?: number;
  pushedAfterMs?: number;
}

/**
 * The records of one login as the monitor would keep them: its `modt/auth/success`, and
 * the ready and the push when the script has them, each `…AfterMs` after the login.
 */
export function loginRecords(script: LoginScript = {}): HistoryRecord[] {
  const sessionId = script.sessionId ?? randomUUID();
  const at = script.at ?? Date.UTC(2026, 11, 3, 10, 0, 0);
  const appName = script.appName ?? 'dummy-app';
  const url = `http://127.0.0.1:8080/apps/${appName}/`;
  const login = {
    user_id: script.userId ?? 'demo',
    session_id: sessionId,
    role: script.role ?? 'user',
    timestamp: new Date(at).toISOString(),
  };
  const records = [jsonRecord('modt/auth/success', login, at)];
  if (script.readyAfterMs !== undefined) {
    const ready = { session_id: sessionId, redirect_url: url, app_name: appName };
    records.push(jsonRecord('modt/app/ready', ready, at + script.readyAfterMs));
  }
  if (script.pushedAfterMs !== undefined) {
    const push = {
      session_id: sessionId,
      app_name: appName,
      redirect_url: url,
      latency_ms: script.pushedAfterMs,
    };
    const pushed = { pushes: [push], timestamp: new Date(at + script.pushedAfterMs).toISOString() };
    records.push(jsonRecord('modt/gateway/pushed', pushed, at + script.pushedAfterMs));
  }
  return records;
}

/** Records with store ids, `<first>-0`, `<first + 1>-0`, …, as a store would give them. */
export function withIds(records: readonly HistoryRecord[], first = 1_000): HistoryEntry[] {
  return records.map((record, i) => ({ id: `${first + i}-0`, ...record }));
}
