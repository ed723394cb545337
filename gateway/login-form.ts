import { ErrorCodes, type ModtError } from '../protocol/index.ts';

/** What a login form carries: the credentials and the session's form token. */
export interface LoginForm {
  /** The `csrf` field, checked against the session before anything else is read. */
  csrf: string | undefined;
  /** Undefined when the username or password is missing or too long. */
  credentials: { username: string; password: string } | undefined;
}

/** A body that is no login form at all, with the HTTP status that says why. */
export interface FormRefusal extends ModtError {
  status: '400 Bad Request' | '415 Unsupported Media Type';
}

const FIELDS = ['csrf', 'username', 'password'] as const;
const MAX_USERNAME_CHARS = 64;
const MAX_PASSWORD_CHARS = 1024;
const FORM_TYPE = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
/** Enough of a refused Content-Type to recognise it in a log line. */
const MAX_QUOTED_TYPE_CHARS = 100;

/**
 * Reads a login form, urlencoded (what the page and a plain form send) or JSON. A body of
 * another type, or JSON that is no object, is refused with the reason, so a client is not
 * told its form token is wrong when its form could not be read at all.
 */
export function parseLoginForm(body: Buffer, contentType: string): LoginForm | FormRefusal {
  const fields = fieldsOf(body, contentType);
  if ('code' in fields) return fields;

  const username = fields.get('username');
  const password = fields.get('password');
  const csrf = fields.get('csrf') ?? undefined;
  if (!username || !password) return { csrf, credentials: undefined };
  if (username.length > MAX_USERNAME_CHARS || password.length > MAX_PASSWORD_CHARS) {
    return { csrf, credentials: undefined };
  }
  return { csrf, credentials: { username, password } };
}

/** The media type of a Content-Type, without parameters; case-insensitive (RFC 9110 §8.3.1). */
function mediaTypeOf(contentType: string): string {
  return contentType.split(';', 1)[0]!.trim().toLowerCase();
}

function fieldsOf(body: Buffer, contentType: string): URLSearchParams | FormRefusal {
  const type = mediaTypeOf(contentType);
  if (type === FORM_TYPE) return new URLSearchParams(body.toString('utf8'));
  if (type !== JSON_TYPE) {
    const got = contentType === '' ? 'none' : `'${contentType.slice(0, MAX_QUOTED_TYPE_CHARS)}'`;
    const message = `a login form is ${FORM_TYPE} or ${JSON_TYPE}, got Content-Type ${got}`;
    return { status: '415 Unsupported Media Type', code: ErrorCodes.PAYLOAD_INVALID, message };
  }

  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    const message = 'a JSON login form is not strict JSON';
    return { status: '400 Bad Request', code: ErrorCodes.PAYLOAD_NOT_JSON, message };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const message = 'a JSON login form is an object of csrf, username and password';
    return { status: '400 Bad Request', code: ErrorCodes.PAYLOAD_INVALID, message };
  }
  const fields = new URLSearchParams();
  for (const key of FIELDS) {
    const field = (value as Record<string, unknown>)[key];
    if (typeof field === 'string') fields.set(key, field);
  }
  return fields;
}
