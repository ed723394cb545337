import { ErrorCodes, ModtFailure, DEFAULT_MAX_PAYLOAD_BYTES } from '../protocol/index.ts';
import { DEFAULT_MQTT_URL, readPort, readPositiveInt, readUrl, type Env } from '../router/index.ts';
import type { GatewayOptions } from './gateway.ts';
import type { UserStore } from './user-store.ts';

export const DEFAULT_PORT = 8080;

/** The gateway's settings from the environment, checked once, each with its default. */
export function readGatewayOptions(env: Env, users: UserStore): GatewayOptions {
  const port = readPort(env, 'PORT', DEFAULT_PORT);
  const publicUrl = readUrl(env, 'MODT_PUBLIC_URL', `http://localhost:${port || DEFAULT_PORT}`, ['http', 'https']);
  const redirectOrigins = (env.MODT_REDIRECT_ORIGINS ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const origin of redirectOrigins) {
    if (!URL.canParse(origin) || !/^https?:$/.test(new URL(origin).protocol)) {
      const message = `MODT_REDIRECT_ORIGINS: expected comma-separated http(s) origins, got '${origin}'`;
      throw new ModtFailure(ErrorCodes.SETTING_INVALID, message);
    }
  }

  return {
    host: env.MODT_HOST || '0.0.0.0',
    port,
    publicUrl,
    redirectOrigins,
    mqttUrl: readUrl(env, 'MODT_MQTT_URL', DEFAULT_MQTT_URL, ['mqtt', 'mqtts']),
    clientId: env.MODT_GATEWAY_CLIENT_ID || 'modt-gateway',
    users,
    pendingTtlMs: readPositiveInt(env, 'MODT_PENDING_TTL_MS', 10_000),
    answerTtlMs: readPositiveInt(env, 'MODT_ANSWER_TTL_MS', 30_000),
    sessionIdleMs: readPositiveInt(env, 'MODT_SESSION_IDLE_MS', 30 * 60_000),
    maxSessions: readPositiveInt(env, 'MODT_MAX_SESSIONS', 100_000),
    maxPayloadBytes: readPositiveInt(env, 'MODT_MAX_PAYLOAD_BYTES', DEFAULT_MAX_PAYLOAD_BYTES),
    publishTimeoutMs: readPositiveInt(env, 'MODT_PUBLISH_TIMEOUT_MS', 5000),
  };
}
