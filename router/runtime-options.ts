import { ModtFailure, ErrorCodes, DEFAULT_MAX_PAYLOAD_BYTES } from '../protocol/index.ts';
import { DEFAULT_MAX_PACKET_BYTES } from './unit-runner.ts';
import { checkLogLevel } from './logger.ts';
import { readPositiveInt, readUrl, type Env } from './settings.ts';

/** The settings every unit process shares, checked once at start. */
export interface RuntimeOptions {
  mqttUrl: URL;
  clientId?: string;
  maxPayloadBytes: number;
  maxPacketBytes: number;
}

export const DEFAULT_MQTT_URL = 'mqtt://127.0.0.1:1883';

export function readRuntimeOptions(env: Env): RuntimeOptions {
  checkLogLevel(env);
  const clientId = env.MODT_CLIENT_ID || undefined;
  if (clientId !== undefined && !/^[\w.:-]{1,64}$/.test(clientId)) {
    const message = `MODT_CLIENT_ID: expected 1-64 letters, digits or ._:-, got '${clientId}'`;
    throw new ModtFailure(ErrorCodes.SETTING_INVALID, message);
  }
  return {
    mqttUrl: readUrl(env, 'MODT_MQTT_URL', DEFAULT_MQTT_URL, ['mqtt', 'mqtts']),
    clientId,
    maxPayloadBytes: readPositiveInt(env, 'MODT_MAX_PAYLOAD_BYTES', DEFAULT_MAX_PAYLOAD_BYTES),
    maxPacketBytes: readPositiveInt(env, 'MODT_MAX_PACKET_BYTES', DEFAULT_MAX_PACKET_BYTES),
  };
}
