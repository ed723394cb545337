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
];
for (const { url, pushed } of urls) {
  test(`a redirect_url ${url} is ${pushed ? '' : 'not '}pushed`, () => {
    const refused = checkRedirect(url, allowed);
    if (pushed) return assert.equal(refused, null);
    assert.equal(refused?.code, ErrorCodes.REDIRECT_NOT_ALLOWED);
  });
}
