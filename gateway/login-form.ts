/** What a login form carries: the credentials and the session's form token. */
export interface LoginForm {
  /** The `csrf` field, checked against the session before anything else is read. */
  csrf: string | undefined;
  /** Undefined when the username or password is missing or too long. */
  credentials: { username: string; password: string } | undefined;
}

const FIELDS = ['csrf', 'username', 'password'] as const;
const MAX_USERNAME_CHARS = 64;
const MAX_PASSWORD_CHARS = 1024;

/**
 * Reads a login form, urlencoded (what the page and a plain form send) or JSON. Null when
 * the body is neither.
 */
export function parseLoginForm(body: Buffer, contentType: string): LoginForm | null {
  const fields = fieldsOf(body, contentType);
  if (fields === null) return null;

  const username = fields.get('username');
  const password = fields.get('password');
  const csrf = fields.get('csrf') ?? undefined;
  if (!username || !password) return { csrf, credentials: undefined };
  if (username.length > MAX_USERNAME_CHARS || password.length > MAX_PASSWORD_CHARS) {
    return { csrf, credentials: undefined };
  }
  return { csrf, credentials: { username, password } };
}

function fieldsOf(body: Buffer, contentType: string): URLSearchParams | null {
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    return new URLSearchParams(body.toString('utf8'));
  }
  if (!contentType.startsWith('application/json')) return null;

  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const fields = new URLSearchParams();
  for (const key of FIELDS) {
    const field = (value as Record<string, unknown>)[key];
    if (typeof field === 'string') fields.set(key, field);
  }
  return fields;
}
