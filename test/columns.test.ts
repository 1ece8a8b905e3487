// src/output/columns.ts prints big count/sum maps without a string per
// number: keys and values are written as digits into one buffer, sorted by a
// composite number (value × 2^b + key) when every entry allows it. Both must
// give exactly the lines that String() and a comparator sort give; the
// examples here cover both sort paths and the edges of exact doubles. (The
// differential against bpftrace is test/mapprint.test.ts.)
import { describe, expect, it } from 'vitest';
import { compositeKeys, formatColumnsText, MapColumns } from '../src/output/columns';

function reference(c: MapColumns): string {
  const order = [...c.keys.keys()].sort((a, b) => c.values[a] - c.values[b] || c.keys[a] - c.keys[b]);
  return order.map((i) => `${c.name}[${c.keys[i]}]: ${c.values[i]}\n`).join('');
}

/** A deterministic generator (xorshift), so a failure replays. */
function numbers(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function columns(n: number, key: () => number, value: () => number): MapColumns {
  const keys = new Float64Array(n);
  const values = new Float64Array(n);
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    let k = key();
    while (seen.has(k)) k = key();
    seen.add(k);
    keys[i] = k;
    values[i] = value();
  }
  return { name: '@m', keys, values };
}

describe('columnar map text (src/output/columns.ts)', () => {
  const r = numbers(12345);
  const cases: [string, MapColumns, boolean][] = [
    ['small counts, many ties', columns(5000, () => Math.floor(r() * 100000), () => 1 + Math.floor(r() * 5)), true],
    ['one entry, zero', { name: '@', keys: Float64Array.of(0), values: Float64Array.of(0) }, true],
    ['keys and values of every digit count', columns(3000, () => Math.floor(10 ** (r() * 12)), () => Math.floor(10 ** (r() * 3))), true],
    // value × 2^b + key past 2^53: the comparator path.
    ['values near 2^53', columns(2000, () => Math.floor(r() * 100000), () => Number.MAX_SAFE_INTEGER - Math.floor(r() * 1e6)), false],
    ['keys near 2^52', columns(2000, () => 2 ** 52 - Math.floor(r() * 1e9), () => Math.floor(r() * 3)), false],
    // Signed sums: the comparator path, with a minus sign.
    ['negative sums', columns(2000, () => Math.floor(r() * 50000), () => Math.floor((r() - 0.5) * 2e15)), false],
  ];
  for (const [title, c, composite] of cases) {
    it(`${title}: the lines of String() in value, then key order`, () => {
      expect(compositeKeys(c) !== undefined).toBe(composite);
      expect(formatColumnsText(c)).toBe(reference(c));
    });
  }
});
