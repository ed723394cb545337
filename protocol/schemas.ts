// A namespace import, not TypeBox's `Type` object, lets esbuild leave out the builders no
// schema uses (BENCHMARKS.md, unit start).
import * as Type from '@sinclair/typebox';
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

/** The topics of the standard redirect flow (PROTOCOL.md) and the display an app shows. */
export const Topics = {
  authSuccess: 'modt/auth/success',
  appReady: 'modt/app/ready',
  /** Where apps show their pages, one topic each: `modt/app/display/<app_name>`. */
  appDisplays: 'modt/app/display/+',
  /** The gateway announces each redirect it pushed, so the history shows the login's end. */
  redirectPushed: 'modt/gateway/pushed',
  /** Where a unit announces what it refused: `modt/dead/<unit>`. */
  deadLetters: 'modt/dead/+',
  all: 'modt/#',
} as const;

/**
 * The display topic of one app. Only that app's broker account may write it (the ACL), and
 * the gateway keeps a page only from the topic of the app its `app_name` names: an app
 * cannot show a page as another.
 */
export function appDisplayTopic(app: string): string {
  return `modt/app/display/${app}`;
}

/** The app a display topic belongs to, or undefined for a topic that is no display's. */
export function displayAppOf(topic: string): string | undefined {
  const prefix = 'modt/app/display/';
  if (!topic.startsWith(prefix)) return undefined;
  const app = topic.slice(prefix.length);
  return app === '' || app.includes('/') ? undefined : app;
}

/** The dead-letter topic of one unit (or the gateway). */
export function deadLetterTopic(unit: string): string {
  return `modt/dead/${unit}`;
}

const UUID_PATTERN =
  '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const ISO_TIMESTAMP_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$';
const HTTP_URL_PATTERN = '^[hH][tT][tT][pP][sS]?://[^\\s/?#]+([/?#]\\S*)?$';

/** `[0-9a-fA-F]{n}` and `\S{n}`, written out. */
const hex = (n: number) => '[0-9a-fA-F]'.repeat(n);
const nonBlanks = (n: number) => '\\S'.repeat(n);

/**
 * The patterns a check runs in place of the ones the schemas publish (asyncapi.yaml) and errors
 * quote. Each matches the same strings, and V8's irregexp runs it faster: it takes a repeat one
 * turn at a time, so fewer turns cost less (`x{8}` takes about three times as long on a UUID as
 * `x` written out eight times), and no group captures, as a check reads none (BENCHMARKS.md,
 * strict input). schemas.test.ts holds each pair to matching the same strings.
 */
export const FASTER_PATTERNS: ReadonlyMap<string, string> = new Map([
  [UUID_PATTERN, `^${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}$`],
  [
    ISO_TIMESTAMP_PATTERN,
    '^\\d\\d\\d\\d-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?:Z|[+-]\\d\\d:\\d\\d)$',
  ],
  // After `://`, the published pattern asks for one run of non-blanks whose first character is
  // no `/`, `?` or `#`. The run after that character goes eight at a time, then four, two, one.
  [
    HTTP_URL_PATTERN,
    '^[hH][tT][tT][pP][sS]?://[^\\s/?#]' +
      `(?:${nonBlanks(8)})*(?:${nonBlanks(4)})?(?:${nonBlanks(2)})?\\S?$`,
  ],
]);

const uuid = Type.String({ pattern: UUID_PATTERN, description: 'a UUID' });

const isoTimestamp = Type.String({
  pattern: ISO_TIMESTAMP_PATTERN,
  description: 'an ISO 8601 date and time',
});

const absoluteHttpUrl = Type.String({
  pattern: HTTP_URL_PATTERN,
  maxLength: 2048,
  description: 'an absolute http or https URL',
});

const name = Type.String({ minLength: 1, maxLength: 200 });

/** `modt/auth/success` (PROTOCOL.md). Extra keys are allowed and passed through. */
export const AuthSuccess = Type.Object({
  user_id: name,
  session_id: uuid,
  role: name,
  timestamp: isoTimestamp,
});
export type AuthSuccess = Static<typeof AuthSuccess>;

/** `modt/app/ready` (PROTOCOL.md): key names are strict. */
export const AppReady = Type.Object({
  session_id: uuid,
  redirect_url: absoluteHttpUrl,
  app_name: name,
});
export type AppReady = Static<typeof AppReady>;

/**
 * `modt/app/display/<app_name>`: what an app unit shows the user of one login, as plain
 * labelled text that the gateway renders (escaped) at `/apps/<app_name>/` for that browser
 * only. Units run no HTTP server; this is how their page reaches the browser. `app_name`
 * must be the topic's last level, or the gateway refuses it.
 */
export const AppDisplay = Type.Object({
  session_id: uuid,
  app_name: name,
  title: Type.String({ maxLength: 200 }),
  items: Type.Array(
    Type.Object({
      label: Type.String({ maxLength: 200 }),
      value: Type.String({ maxLength: 2000 }),
    }),
    { maxItems: 100 },
  ),
});
export type AppDisplay = Static<typeof AppDisplay>;

/** The most redirects one `modt/gateway/pushed` message announces. */
export const MAX_ANNOUNCED_PUSHES = 100;

/** One redirect the gateway pushed. `latency_ms` counts from the login, on the gateway's clock. */
export const PushedRedirect = Type.Object({
  session_id: uuid,
  app_name: name,
  redirect_url: absoluteHttpUrl,
  latency_ms: Type.Integer({ minimum: 0 }),
});
export type PushedRedirect = Static<typeof PushedRedirect>;

/**
 * `modt/gateway/pushed`: the redirects the gateway pushed down its browsers' sockets within
 * 10 ms of the first of them, each its login's first, so the history holds every login's
 * end. One message for those pushes, not one each: under load an announcement per push cost
 * the gateway about a quarter of its CPU per push (BENCHMARKS.md, targeted pushes).
 * `timestamp` is when it announced them, within 10 ms of each push.
 */
export const RedirectPushed = Type.Object({
  pushes: Type.Array(PushedRedirect, { minItems: 1, maxItems: MAX_ANNOUNCED_PUSHES }),
  timestamp: isoTimestamp,
});
export type RedirectPushed = Static<typeof RedirectPushed>;

/**
 * `modt/dead/<unit>`: a message a unit refused, so the history answers "why was there no
 * redirect?". The excerpt is bounded; bytes that are not UTF-8 come as base64.
 */
export const DeadLetter = Type.Object({
  unit: name,
  topic: Type.String({ maxLength: 65535 }),
  code: Type.String({ pattern: '^MODT_ERR_[A-Z0-9_]+$' }),
  reason: Type.String({ maxLength: 1000 }),
  excerpt: Type.String({ maxLength: 400 }),
  excerpt_encoding: Type.Union([Type.Literal('utf8'), Type.Literal('base64')]),
  bytes: Type.Integer({ minimum: 0 }),
  timestamp: isoTimestamp,
});
export type DeadLetter = Static<typeof DeadLetter>;

/** Every schema of the protocol by topic, compiled once for all who check payloads. */
export const schemaByTopic = {
  [Topics.authSuccess]: AuthSuccess,
  [Topics.appReady]: AppReady,
  [Topics.appDisplays]: AppDisplay,
  [Topics.redirectPushed]: RedirectPushed,
  [Topics.deadLetters]: DeadLetter,
} as const;

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

/**
 * The compiled check of a schema; compiled on first use and kept. It runs FASTER_PATTERNS in
 * place of the patterns they stand for, so it is the check of a copy of `schema`: what a value
 * lacks is best asked of `schema` itself (TypeBox's `Errors`), in the words it publishes.
 */
export function checkerOf<T extends TSchema>(schema: T): TypeCheck<T> {
  let check = compiled.get(schema);
  if (check === undefined) {
    check = TypeCompiler.Compile(withFasterPatterns(schema));
    compiled.set(schema, check);
  }
  return check as TypeCheck<T>;
}

/** A copy of `schema` whose string patterns are those of FASTER_PATTERNS where it has one. */
function withFasterPatterns<T extends TSchema>(schema: T): T {
  const copy = Type.CloneType(schema);
  replacePatterns(copy);
  return copy;
}

function replacePatterns(node: unknown): void {
  if (typeof node !== 'object' || node === null) return;
  if (Type.KindGuard.IsString(node) && node.pattern !== undefined) {
    node.pattern = FASTER_PATTERNS.get(node.pattern) ?? node.pattern;
  }
  for (const child of Object.values(node)) replacePatterns(child);
}
