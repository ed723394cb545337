import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes } from '../protocol/index.ts';
import { allowedOriginsOf, checkRedirect } from './redirect-policy.ts';

const allowed = allowedOriginsOf(new URL('https://gateway.test/'), ['https://apps.test:8443']);

const urls: { url: string; pushed: boolean }[] = [
  { url: 'https://gateway.test/apps/dummy-app/', pushed: true },
  { url: 'https://GATEWAY.test:443/x?y#z', pushed: true },
  { url: 'https://apps.test:8443/welcome', pushed: true },
  { url: 'https://apps.test/welcome', pushed: false },
  { url: 'http://gateway.test/', pushed: false },
  { url: 'https://gateway.test.evil.example/', pushed: false },
  { url: 'https://user:pw@gateway.test/', pushed: false },
  { url: 'javascript:alert(1)', pushed: false },
  { url: 'data:text/html,<script>alert(1)</script>', pushed: false },
  { url: 'ftp://gateway.test/', pushed: false },
  { url: '//gateway.test/', pushed: false },
  { url: '/apps/dummy-app/', pushed: false },
  { url: 'https://gateway.test/@evil.example/', pushed: true },
  { url: 'https://gateway.test@evil.example/', pushed: false },
  { url: 'https://gateway.test:8443/', pushed: false },
  { url: 'https://gateway.test./', pushed: false },
  // A backslash is a slash to a browser in an http(s) URL: this is gateway.test's path.
  { url: 'https://gateway.test\\@evil.example/', pushed: true },
  { url: 'https://gateway.test/\t\nx', pushed: true },
  { url: 'https://apps.test:8443/..%2f..%2fx', pushed: true },
  { url: 'https://apps.test:84430/', pushed: false },
];
for (const { url, pushed } of urls) {
  test(`a redirect_url ${url} is ${pushed ? '' : 'not '}pushed`, () => {
    const refused = checkRedirect(url, allowed);
    if (pushed) return assert.equal(refused, null);
    assert.equal(refused?.code, ErrorCodes.REDIRECT_NOT_ALLOWED);
  });
}

test('the shortcut for an allowed origin and a slash answers as the full parse does', () => {
  // Every URL here starts with an allowed origin or a near miss of one; the answer of the
  // policy is held against `new URL`'s reading of the same text.
  const stems = ['https://gateway.test', 'https://apps.test:8443', 'http://gateway.test',
    'https://gateway.tes', 'https://gateway.testx', 'https://apps.test:844', 'null'];
  const tails = ['/', '/x', '/@evil.example', '@evil.example/', ':443/', '\\@evil/', '/\u0000',
    '/\ud800', '?q', '#f', '.', '/a b', ':8443/', '//x', '/%00'];
  for (const stem of stems) {
    for (const tail of tails) {
      const url = stem + tail;
      let parsed: URL | undefined;
      try { parsed = new URL(url); } catch { parsed = undefined; }
      const expected = parsed !== undefined && !parsed.username && !parsed.password &&
        (parsed.protocol === 'http:' || parsed.protocol === 'https:') && allowed.has(parsed.origin);
      assert.equal(checkRedirect(url, allowed) === null, expected, JSON.stringify(url));
    }
  }
});
