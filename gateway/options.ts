import { ErrorCodes, ModtFailure, DEFAULT_MAX_PAYLOAD_BYTES } from '../protocol/index.ts';
import {
  DEFAULT_MQTT_URL,
  checkLogLevel,
  readPort,
  readPositiveInt,
  readUrl,
  type Env,
} from '../router/index.ts';
import { TrustedProxies } from './client-address.ts';
import { MIN_METRICS_TOKEN_CHARS } from './metrics-token.ts';
import type { GatewayOptions } from './gateway.ts';
import { DEFAULT_MAX_SOCKETS_PER_SESSION } from './socket-route.ts';
import type { UserStore } from './user-store.ts';

export const DEFAULT_PORT = 8080;

/** The gateway's settings from the environment, checked once, each with its default. */
export function readGatewayOptions(env: Env, users: UserStore): GatewayOptions {
  checkLogLevel(env);
  const port = readPort(env, 'PORT', DEFAULT_PORT);
  const fallbackUrl = `http://localhost:${port || DEFAULT_PORT}`;
  const publicUrl = readUrl(env, 'MODT_PUBLIC_URL', fallbackUrl, ['http', 'https']);

  return {
    host: env.MODT_HOST || '0.0.0.0',
    port,
    publicUrl,
    redirectOrigins: readRedirectOrigins(env),
    trustedProxies: readTrustedProxies(env),
    mqttUrl: readUrl(env, 'MODT_MQTT_URL', DEFAULT_MQTT_URL, ['mqtt', 'mqtts']),
    clientId: env.MODT_GATEWAY_CLIENT_ID || 'modt-gateway',
    users,
    pendingTtlMs: readPositiveInt(env, 'MODT_PENDING_TTL_MS', 10_000),
    answerTtlMs: readPositiveInt(env, 'MODT_ANSWER_TTL_MS', 30_000),
    noAnswerNoticeMs: readPositiveInt(env, 'MODT_NO_ANSWER_NOTICE_MS', 10_000),
    sessionIdleMs: readPositiveInt(env, 'MODT_SESSION_IDLE_MS', 30 * 60_000),
    sessionMaxMs: readPositiveInt(env, 'MODT_SESSION_MAX_MS', 12 * 60 * 60_000),
    maxSessions: readPositiveInt(env, 'MODT_MAX_SESSIONS', 100_000),
    maxSocketsPerSession: readPositiveInt(
      env,
      'MODT_MAX_SOCKETS_PER_SESSION',
      DEFAULT_MAX_SOCKETS_PER_SESSION,
    ),
    loginMaxPerIp: readPositiveInt(env, 'MODT_LOGIN_MAX_PER_IP', 30),
    loginMaxPerUser: readPositiveInt(env, 'MODT_LOGIN_MAX_PER_USER', 10),
    loginWindowMs: readPositiveInt(env, 'MODT_LOGIN_WINDOW_MS', 15 * 60_000),
    maxPayloadBytes: readPositiveInt(env, 'MODT_MAX_PAYLOAD_BYTES', DEFAULT_MAX_PAYLOAD_BYTES),
    publishTimeoutMs: readPositiveInt(env, 'MODT_PUBLISH_TIMEOUT_MS', 5000),
    metricsToken: readMetricsToken(env),
  };
}

/** `MODT_METRICS_TOKEN`: none by default (`/metrics` open, for the proxy to keep private). */
function readMetricsToken(env: Env): string | undefined {
  const token = env.MODT_METRICS_TOKEN;
  if (token === undefined || token === '') return undefined;
  // Where the offending character is, not what it is: the line must not carry the secret.
  const at = token.search(/[^\x21-\x7e]/);
  if (at === -1 && token.length >= MIN_METRICS_TOKEN_CHARS) return token;
  const expected = `expected at least ${MIN_METRICS_TOKEN_CHARS} visible ASCII characters`;
  const where = `a space, control or non-ASCII character at position ${at + 1} of ${token.length}`;
  const got = at === -1 ? `${token.length} characters` : where;
  const message = `MODT_METRICS_TOKEN: ${expected}, got ${got}`;
  throw new ModtFailure(ErrorCodes.SETTING_INVALID, message);
}

function listOf(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
}

function readRedirectOrigins(env: Env): string[] {
  const origins = listOf(env.MODT_REDIRECT_ORIGINS);
  for (const origin of origins) {
    if (URL.canParse(origin) && /^https?:$/.test(new URL(origin).protocol)) continue;
    const expected = 'expected comma-separated http(s) origins';
    const message = `MODT_REDIRECT_ORIGINS: ${expected}, got '${origin}'`;
    throw new ModtFailure(ErrorCodes.SETTING_INVALID, message);
  }
  return origins;
}

/**
 * `MODT_TRUSTED_PROXIES`: the direct peers (addresses or CIDR ranges) whose X-Forwarded-For
 * and X-Forwarded-Proto are believed. None by default: behind no proxy, the headers are a
 * client's own words and are ignored.
 */
function readTrustedProxies(env: Env): string[] {
  const entries = listOf(env.MODT_TRUSTED_PROXIES);
  const bad = entries.find((entry) => 'code' in TrustedProxies.parse([entry]));
  if (bad === undefined) return entries;
  const expected = 'expected comma-separated IP addresses or CIDR ranges';
  const message = `MODT_TRUSTED_PROXIES: ${expected}, got '${bad}'`;
  throw new ModtFailure(ErrorCodes.SETTING_INVALID, message);
}
