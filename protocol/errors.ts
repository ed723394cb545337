/**
 * The catalog of MoDT error codes. Code matches on `code`, never on message text; each
 * message names the thing, the value received and what was expected.
 */
export const ErrorCodes = {
  /** The payload is larger than the configured limit. */
  PAYLOAD_TOO_LARGE: 'MODT_ERR_PAYLOAD_TOO_LARGE',
  /** The payload bytes are not valid UTF-8 (PROTOCOL.md, "Rules every unit keeps"). */
  PAYLOAD_NOT_UTF8: 'MODT_ERR_PAYLOAD_NOT_UTF8',
  /** The payload starts with a byte-order mark, which strict JSON text does not have. */
  PAYLOAD_BOM: 'MODT_ERR_PAYLOAD_BOM',
  /** The payload is not strict JSON (what `JSON.parse` refuses). */
  PAYLOAD_NOT_JSON: 'MODT_ERR_PAYLOAD_NOT_JSON',
  /** A string in the payload holds a lone UTF-16 surrogate, which is no Unicode text. */
  PAYLOAD_LONE_SURROGATE: 'MODT_ERR_PAYLOAD_LONE_SURROGATE',
  /** The payload has one key twice in an object; `JSON.parse` would keep only the last. */
  PAYLOAD_DUPLICATE_KEY: 'MODT_ERR_PAYLOAD_DUPLICATE_KEY',
  /** The payload has a `__proto__`, `constructor` or `prototype` key. */
  PAYLOAD_FORBIDDEN_KEY: 'MODT_ERR_PAYLOAD_FORBIDDEN_KEY',
  /** The payload nests objects and arrays deeper than the limit. */
  PAYLOAD_TOO_DEEP: 'MODT_ERR_PAYLOAD_TOO_DEEP',
  /** The payload is JSON but misses a required key or has one of the wrong type. */
  PAYLOAD_INVALID: 'MODT_ERR_PAYLOAD_INVALID',
  /** A handler threw instead of returning its outputs. */
  HANDLER_FAILED: 'MODT_ERR_HANDLER_FAILED',
  /** A handler returned something that is not a list of outputs. */
  OUTPUT_INVALID: 'MODT_ERR_OUTPUT_INVALID',
  /** An output would encode to an MQTT packet over the broker's packet limit. */
  OUTPUT_TOO_LARGE: 'MODT_ERR_OUTPUT_TOO_LARGE',
  /** A unit publishes to a topic it has not declared. */
  OUTPUT_UNDECLARED: 'MODT_ERR_OUTPUT_UNDECLARED',
  /** An app/ready or app/display names a session_id that no browser awaits. */
  SESSION_UNKNOWN: 'MODT_ERR_SESSION_UNKNOWN',
  /** A `modt/app/display/<app>` whose `app_name` is not that app: one app posing as another. */
  APP_NAME_MISMATCH: 'MODT_ERR_APP_NAME_MISMATCH',
  /** A second answer to a login that was already answered (PROTOCOL.md: first valid wins). */
  ANSWER_DUPLICATE: 'MODT_ERR_ANSWER_DUPLICATE',
  /** An answer that came after the login's useful life (field case C04). */
  ANSWER_TOO_LATE: 'MODT_ERR_ANSWER_TOO_LATE',
  /** A redirect_url neither same-origin with the gateway nor on the allow list. */
  REDIRECT_NOT_ALLOWED: 'MODT_ERR_REDIRECT_NOT_ALLOWED',
  /** A login form without its session's form token (CSRF), or with another one. */
  LOGIN_TOKEN_INVALID: 'MODT_ERR_LOGIN_TOKEN_INVALID',
  /** A wrong username or password, or a form without them: one code for all, on purpose. */
  LOGIN_FAILED: 'MODT_ERR_LOGIN_FAILED',
  /** A login or socket without a live session cookie: the login page was not opened first. */
  SESSION_MISSING: 'MODT_ERR_SESSION_MISSING',
  /** A browser request whose `Origin` is not the gateway's public one (MODT_PUBLIC_URL). */
  ORIGIN_NOT_ALLOWED: 'MODT_ERR_ORIGIN_NOT_ALLOWED',
  /** A login while the gateway is stopping: it takes none, so none is left unanswered. */
  GATEWAY_STOPPING: 'MODT_ERR_GATEWAY_STOPPING',
  /** Too many login attempts from one client address or for one username in a window. */
  LOGIN_THROTTLED: 'MODT_ERR_LOGIN_THROTTLED',
  /** A browser socket sent more messages than its budget allows. */
  SOCKET_FLOODED: 'MODT_ERR_SOCKET_FLOODED',
  /** A session opened more browser sockets than it may hold at once. */
  SOCKETS_EXCEEDED: 'MODT_ERR_SOCKETS_EXCEEDED',
  /** A browser session outlived its idle or absolute limit. */
  SESSION_EXPIRED: 'MODT_ERR_SESSION_EXPIRED',
  /** A unit file that does not load, or whose definition the runtime cannot run. */
  UNIT_INVALID: 'MODT_ERR_UNIT_INVALID',
  /** A setting from the environment has a value that cannot be used. */
  SETTING_INVALID: 'MODT_ERR_SETTING_INVALID',
  /** A port to listen on is taken. */
  PORT_IN_USE: 'MODT_ERR_PORT_IN_USE',
  /** The native uWebSockets.js binding could not be loaded. */
  UWS_NATIVE_MISSING: 'MODT_ERR_UWS_NATIVE_MISSING',
  /** The users file cannot be read or is malformed. */
  USERS_FILE_INVALID: 'MODT_ERR_USERS_FILE_INVALID',
  /** The broker refused or could not be reached. */
  BROKER_UNAVAILABLE: 'MODT_ERR_BROKER_UNAVAILABLE',
  /** The history store could not take a record. */
  STORE_FAILED: 'MODT_ERR_STORE_FAILED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** An error as a value: what pure code returns instead of throwing. */
export interface ModtError {
  code: ErrorCode;
  message: string;
}

/** An Error that carries a catalog code, for the edges that do throw (start-up). */
export class ModtFailure extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ModtFailure';
    this.code = code;
  }
}

export function modtError(code: ErrorCode, message: string): ModtError {
  return { code, message };
}
