export { RAW, defineUnit, publish, record } from './unit.ts';
export type {
  AnyUnit,
  Output,
  PublishOutput,
  RecordOutput,
  Subscriptions,
  UnitContext,
  UnitDefinition,
} from './unit.ts';
export { UnitRunner, DEFAULT_MAX_PACKET_BYTES, type Drop, type UnitRunnerOptions } from './unit-runner.ts';
export { MqttLink, redact, type MqttLinkOptions, type LinkProblem } from './mqtt-link.ts';
export { topicMatches, isValidFilter, isValidTopicName } from './topic-filter.ts';
export { publishPacketBytes } from './output-size.ts';
export { readRuntimeOptions, DEFAULT_MQTT_URL, type RuntimeOptions } from './runtime-options.ts';
export { envNameOf, readUnitSettings, readPort, readPositiveInt, readUrl, type Env } from './settings.ts';
export { startUnit } from './start-unit.ts';
export { contextFor, deliver } from './testing.ts';
export { DeadLetterBox, DEFAULT_DEAD_LETTER_LIMITS, type DeadLetterLimits } from './dead-letters.ts';
export { runUnitMain } from './main.ts';
export { loadUnits, unitFiles } from './discover.ts';
export { createLogger, type Logger } from './logger.ts';
export {
  FileStore,
  RedisStreamStore,
  openHistoryStore,
  DEFAULT_HISTORY_FILE,
  DEFAULT_STREAM,
  type HistoryEntry,
  type HistoryRecord,
  type HistoryStore,
} from './history/index.ts';
