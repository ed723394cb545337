export { AsyncQueue, queueEvents, DEFAULT_WAIT_MS } from './async-queue.ts';
export { freePort, onFreePort, canConnect } from './free-port.ts';
export { startServerProcess, LISTEN_TIMEOUT_MS, type ServerProcess } from './server-process.ts';
export { startMosquitto, MOSQUITTO, type Mosquitto, type MosquittoOptions } from './mosquitto.ts';
export { startRedis, REDIS_SERVER, type RedisServer, type RedisOptions } from './redis.ts';
export { startBundle, DIST, type BundleProcess } from './bundle-process.ts';
export {
  collect,
  connectClient,
  publishJson,
  publishRaw,
  type Collector,
  type Message,
} from './mqtt-client.ts';
// The gateway and stack helpers, written alongside gateway/ and stack/.
export * from './browser-client.ts';
export * from './chromium.ts';
export * from './gateway.ts';
export * from './stack-process.ts';
export { allRecords, recordsUntil } from './records.ts';
export { runModt, startModt, type ModtProcess, type ModtResult } from './modt-process.ts';
export { seededRandom, fuzzInputs } from './fuzz.ts';
export { gatewayScene, type GatewayScene } from './gateway-scene.ts';
export * from './history-fixtures.ts';
export * from './unit-folder.ts';
