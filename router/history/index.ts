export type { HistoryEntry, HistoryRecord } from './record.ts';
export type { HistoryFollow, HistoryListener, HistoryStore } from './store.ts';
export { DEFAULT_HISTORY_FILE, FIRST_ID, compareIds, isHistoryId } from './store.ts';
export { FileStore } from './file-store.ts';
export { RedisStreamStore, DEFAULT_STREAM } from './redis-stream-store.ts';
// In the bundle of a unit without records, build.mjs puts no-store.ts in this one's place.
export { openHistoryStore } from './open-store.ts';
