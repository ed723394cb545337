import { BlockList, isIP } from 'node:net';
import { ErrorCodes, modtError, type ModtError } from '../protocol/index.ts';

/**
 * The proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` the gateway believes: single
 * addresses and CIDR ranges (`MODT_TRUSTED_PROXIES`). Empty by default, so the headers of a
 * client that talks to the gateway directly are ignored and cannot forge its address.
 */
export class TrustedProxies {
  #list = new BlockList();
  #size = 0;

  /** The list from its entries, or the first entry that is neither an address nor a range. */
  static parse(entries: readonly string[]): TrustedProxies | ModtError {
    const proxies = new TrustedProxies();
    for (const entry of entries) {
      if (!proxies.#add(entry)) {
        const message = `'${entry}' is neither an IP address nor a CIDR range`;
        return modtError(ErrorCodes.SETTING_INVALID, message);
      }
    }
    return proxies;
  }

  get size(): number {
    return this.#size;
  }

  trusts(address: string): boolean {
    if (this.#size === 0) return false;
    const kind = isIP(address);
    if (kind === 0) return false;
    return this.#list.check(address, kind === 4 ? 'ipv4' : 'ipv6');
  }

  #add(entry: string): boolean {
    const [address = '', prefix, extra] = entry.split('/');
    const kind = isIP(address);
    if (kind === 0 || extra !== undefined) return false;
    const type = kind === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) {
      this.#list.addAddress(address, type);
    } else {
      const bits = Number(prefix);
      if (!/^\d{1,3}$/.test(prefix) || bits > (kind === 4 ? 32 : 128)) return false;
      this.#list.addSubnet(address, bits, type);
    }
    this.#size += 1;
    return true;
  }
}

/**
 * An address in one spelling, so one client keys one counter: IPv6 compressed and lower
 * case, an IPv4-mapped IPv6 address as plain IPv4. uWebSockets.js writes IPv6 in full
 * (`0000:…:0001`). Undefined for anything that is not an IP address.
 */
export function canonicalAddress(text: string): string | undefined {
  const kind = isIP(text);
  if (kind === 4) return text;
  if (kind !== 6) return undefined;
  const compressed = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (mapped === null) return compressed;
  const high = parseInt(mapped[1]!, 16);
  const low = parseInt(mapped[2]!, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/**
 * The address a request comes from. `X-Forwarded-For` counts only when the direct peer is a
 * trusted proxy, and only as far as trusted proxies go: read from the right, the first hop
 * that is not a trusted proxy is the client; what lies left of it the client wrote itself.
 */
export function clientAddressOf(
  peer: string,
  forwardedFor: string,
  proxies: TrustedProxies,
): string {
  let client = canonicalAddress(peer) ?? peer;
  if (!proxies.trusts(client)) return client;

  const hops = forwardedFor.split(',').map((hop) => hop.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    const hop = canonicalAddress(hops[i]!);
    if (hop === undefined) return client;
    client = hop;
    if (!proxies.trusts(hop)) return hop;
  }
  return client;
}

/**
 * Whether the browser reached us over https, by `X-Forwarded-Proto` from a trusted peer (its
 * last value, the one that peer wrote). The gateway itself speaks plain HTTP.
 */
export function forwardedHttps(peer: string, forwardedProto: string, proxies: TrustedProxies) {
  if (!proxies.trusts(canonicalAddress(peer) ?? peer)) return false;
  const last = forwardedProto.split(',').at(-1)?.trim().toLowerCase();
  return last === 'https';
}
