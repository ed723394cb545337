/** A small seeded PRNG (mulberry32): the same seed gives the same stream of inputs. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

type Mutation = (text: string, random: () => number) => Buffer;

const pick = <T>(items: readonly T[], random: () => number): T =>
  items[Math.floor(random() * items.length)]!;

/** Ways to spoil a valid payload, each close to something seen in the field. */
const MUTATIONS: readonly Mutation[] = [
  (t, r) => {
    const bytes = Buffer.from(t);
    bytes[Math.floor(r() * bytes.length)] = Math.floor(r() * 256);
    return bytes;
  },
  (t, r) => Buffer.from(t.slice(0, Math.floor(r() * t.length))),
  (t) => Buffer.from(t.replaceAll('"', "'")),
  (t) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(t)]),
  (t) => Buffer.from(`${t.slice(0, -1)},}`),
  (t) => Buffer.from(`{"session_id":"x",${t.slice(1)}`),
  (t) => Buffer.from(`{"__proto__":{"x":1},${t.slice(1)}`),
  (t) => Buffer.from(`[${t}]`),
  (t) => Buffer.from(t.replace(/"session_id":"[^"]*"/, '"session_id":12')),
  (t) => Buffer.from(t.replace(/"[a-z_]+":"[^"]*",?/, '')),
  (t) => Buffer.from(t.replace(/:"[^"]*"/, ':""')),
  (t) => Buffer.from(t.replace(/:"[^"]*"/, ':NaN')),
  (t) => Buffer.from(t.replace(/"([a-z_]+)":/, '$1:')),
  (t) => Buffer.from(t.replace(/"$|"}$/, '"\\ud800"}')),
  () => Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`),
  (_t, r) =>
    Buffer.from(Array.from({ length: 1 + Math.floor(r() * 64) }, () => Math.floor(r() * 256))),
  (t) => Buffer.from(t.replace(/}$/, `,"pad":"${'x'.repeat(70_000)}"}`)),
  () => Buffer.alloc(0),
];

/** A seeded stream of inputs: about `validShare` of them valid, the rest mutated. */
export function fuzzInputs(
  seed: number,
  count: number,
  valid: (i: number) => object,
  validShare = 0.2,
): { bytes: Buffer; valid: boolean }[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const text = JSON.stringify(valid(i));
    if (random() < validShare) return { bytes: Buffer.from(text), valid: true };
    return { bytes: pick(MUTATIONS, random)(text, random), valid: false };
  });
}
