import { ErrorCodes, ModtFailure } from '../../protocol/index.ts';
import type { Env } from '../settings.ts';
import type { HistoryStore } from './store.ts';

/**
 * What open-store.ts becomes in the bundle of a unit that returns no records: build.mjs puts
 * this file in its place there, so that neither store, nor ioredis, ships with that unit.
 * The router opens a store only for a unit with `records: true`, so this is never called.
 */
export function openHistoryStore(_env: Env): HistoryStore {
  const message = 'this bundle holds no history store: its unit does not declare records';
  throw new ModtFailure(ErrorCodes.STORE_FAILED, message);
}
