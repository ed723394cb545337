export { RAW, defineUnit, publish, record } from './unit.ts';
export { unitShapeProblem, MAX_UNIT_NAME_CHARS } from './unit-shape.ts';
export type {
  AnyUnit,
  Output,
  PublishOutput,
  RecordOutput,
  Subscriptions,
  UnitContext,
  UnitDefinition,
} from './unit.ts';
export {
  UnitRunner,
  DEFAULT_MAX_PACKET_BYTES,
  type Drop,
  type Handled,
  type Received,
  type UnitRunnerOptions,
} from './unit-runner.ts';
export {
  MetricsRegistry,
  Counter,
  Gauge,
  Histogram,
  DEFAULT_BUCKETS,
  METRICS_CONTENT_TYPE,
  type Labels,
} from './metrics.ts';
export { observeRunner } from './runner-metrics.ts';
export { MqttLink, redact, type MqttLinkOptions, type LinkProblem } from './mqtt-link.ts';
export { topicMatches, isValidFilter, isValidTopicName } from './topic-filter.ts';
export { publishPacketBytes } from './output-size.ts';
export { readRuntimeOptions, DEFAULT_MQTT_URL, type RuntimeOptions } from './runtime-options.ts';
export {
  envNameOf,
  readUnitSettings,
  readPort,
  readPositiveInt,
  readUrl,
  type Env,
} from './settings.ts';
export { startUnit } from './start-unit.ts';
export {
  contextFor,
  deliver,
  subscriptionOf,
  type Delivery,
  type DroppedOutput,
} from './testing.ts';
export {
  DeadLetterBox,
  DEFAULT_DEAD_LETTER_LIMITS,
  type DeadLetterLimits,
} from './dead-letters.ts';
export { runUnitMain } from './main.ts';
export {
  FUNCTIONS_DIR,
  functionsFolder,
  importUnit,
  loadUnits,
  unitFiles,
} from './discover.ts';
export { checkLogLevel, createLogger, type Logger, type LogDestination } from './logger.ts';
export {
  FileStore,
  RedisStreamStore,
  openHistoryStore,
  DEFAULT_HISTORY_FILE,
  DEFAULT_STREAM,
  FIRST_ID,
  compareIds,
  isHistoryId,
  type HistoryEntry,
  type HistoryFollow,
  type HistoryListener,
  type HistoryRecord,
  type HistoryStore,
} from './history/index.ts';
