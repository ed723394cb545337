import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes } from '../protocol/index.ts';
import {
  TrustedProxies,
  canonicalAddress,
  clientAddressOf,
  forwardedHttps,
} from './client-address.ts';

function proxiesOf(entries: string[]): TrustedProxies {
  const proxies = TrustedProxies.parse(entries);
  if ('code' in proxies) throw new Error(proxies.message);
  return proxies;
}

const spellings: { text: string; canonical: string | undefined }[] = [
  { text: '203.0.113.7', canonical: '203.0.113.7' },
  { text: '0000:0000:0000:0000:0000:0000:0000:0001', canonical: '::1' },
  { text: '2001:DB8:0:0:0:0:0:1', canonical: '2001:db8::1' },
  { text: '0000:0000:0000:0000:0000:ffff:cb00:7107', canonical: '203.0.113.7' },
  { text: '::ffff:203.0.113.7', canonical: '203.0.113.7' },
  { text: 'unknown', canonical: undefined },
  { text: '203.0.113.7:443', canonical: undefined },
  { text: '', canonical: undefined },
];
for (const { text, canonical } of spellings) {
  test(`the address '${text}' is spelt ${canonical ?? 'as no address'}`, () => {
    assert.equal(canonicalAddress(text), canonical);
  });
}

const entries: { entry: string; valid: boolean }[] = [
  { entry: '10.0.0.1', valid: true },
  { entry: '172.16.0.0/12', valid: true },
  { entry: 'fd00::/8', valid: true },
  { entry: '::1', valid: true },
  { entry: '10.0.0.0/33', valid: false },
  { entry: '10.0.0.0/', valid: false },
  { entry: '10.0.0.0/8/8', valid: false },
  { entry: 'proxy.internal', valid: false },
];
for (const { entry, valid } of entries) {
  test(`'${entry}' is ${valid ? 'a' : 'not a'} trusted proxy entry`, () => {
    const parsed = TrustedProxies.parse([entry]);
    if (valid) return assert.ok(parsed instanceof TrustedProxies);
    assert.equal('code' in parsed && parsed.code, ErrorCodes.SETTING_INVALID);
  });
}

const none = proxiesOf([]);
const edge = proxiesOf(['10.0.0.0/8', '::1']);
const requests: {
  name: string;
  peer: string;
  forwardedFor: string;
  proxies: TrustedProxies;
  client: string;
}[] = [
  {
    name: 'X-Forwarded-For from a peer when no proxy is trusted is ignored',
    peer: '198.51.100.9',
    forwardedFor: '203.0.113.7',
    proxies: none,
    client: '198.51.100.9',
  },
  {
    name: 'X-Forwarded-For from an untrusted peer is ignored',
    peer: '198.51.100.9',
    forwardedFor: '203.0.113.7',
    proxies: edge,
    client: '198.51.100.9',
  },
  {
    name: 'a trusted peer names the client',
    peer: '10.0.0.2',
    forwardedFor: '203.0.113.7',
    proxies: edge,
    client: '203.0.113.7',
  },
  {
    name: 'what the client wrote left of the trusted chain is not believed',
    peer: '10.0.0.2',
    forwardedFor: '1.1.1.1, 203.0.113.7, 10.0.0.3',
    proxies: edge,
    client: '203.0.113.7',
  },
  {
    name: 'a trusted IPv6 peer in full spelling names the client',
    peer: '0000:0000:0000:0000:0000:0000:0000:0001',
    forwardedFor: '2001:db8::7',
    proxies: edge,
    client: '2001:db8::7',
  },
  {
    name: 'a trusted peer without the header is the client',
    peer: '10.0.0.2',
    forwardedFor: '',
    proxies: edge,
    client: '10.0.0.2',
  },
  {
    name: 'a hop that is no address stops the walk at the last trusted hop',
    peer: '10.0.0.2',
    forwardedFor: '203.0.113.7, garbage, 10.0.0.3',
    proxies: edge,
    client: '10.0.0.3',
  },
];
for (const { name, peer, forwardedFor, proxies, client } of requests) {
  test(name, () => {
    assert.equal(clientAddressOf(peer, forwardedFor, proxies), client);
  });
}

const schemes: { peer: string; proto: string; proxies: TrustedProxies; https: boolean }[] = [
  { peer: '10.0.0.2', proto: 'https', proxies: edge, https: true },
  { peer: '10.0.0.2', proto: 'HTTPS', proxies: edge, https: true },
  { peer: '10.0.0.2', proto: 'http', proxies: edge, https: false },
  { peer: '10.0.0.2', proto: 'http, https', proxies: edge, https: true },
  { peer: '10.0.0.2', proto: '', proxies: edge, https: false },
  { peer: '198.51.100.9', proto: 'https', proxies: edge, https: false },
  { peer: '10.0.0.2', proto: 'https', proxies: none, https: false },
];
for (const { peer, proto, proxies, https } of schemes) {
  const trusted = proxies.trusts(peer) ? 'trusted' : 'untrusted';
  const scheme = https ? 'https' : 'no https';
  test(`X-Forwarded-Proto '${proto}' from an ${trusted} peer means ${scheme}`, () => {
    assert.equal(forwardedHttps(peer, proto, proxies), https);
  });
}
