// Text of a big map of scalars with one integer key, straight from columns of
// numbers: no Value objects and no BigInt per entry. A 100k-key count map
// printed through the general path (MapSnapshot, BigInt sort parts) spent
// most of its time in BigInt comparisons and garbage collection. Same
// output as formatMapText: sorted by value, then by key, both ascending.

/** One integer key and one scalar per entry, every number exact (below 2^53). */
export interface MapColumns {
  name: string;
  keys: Float64Array;
  values: Float64Array;
}

/** Entry order of formatMapText: value ascending, equal values by key ascending. */
export function sortedOrder(c: MapColumns): Uint32Array {
  const n = c.keys.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const { keys, values } = c;
  order.sort((a, b) => values[a] - values[b] || keys[a] - keys[b]);
  return order;
}

/**
 * value × 2^b + key for every entry (b: the largest key's bit length) when all
 * of them are exact doubles and no value is negative: sorted as plain numbers
 * they are in formatMapText's order. A typed array's sort without a comparator
 * takes ~5 ms for 100k entries, the comparator sort of sortedOrder ~30 ms.
 */
export function compositeKeys(c: MapColumns): { composite: Float64Array; scale: number } | undefined {
  const { keys, values } = c;
  let maxKey = 0;
  let maxValue = 0;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] > maxKey) maxKey = keys[i];
    if (values[i] > maxValue) maxValue = values[i];
    else if (values[i] < 0) return undefined;
  }
  let scale = 1;
  while (scale <= maxKey) scale *= 2;
  if (maxValue * scale + maxKey > Number.MAX_SAFE_INTEGER) return undefined;
  const composite = new Float64Array(keys.length);
  for (let i = 0; i < keys.length; i++) composite[i] = values[i] * scale + keys[i];
  return { composite, scale };
}

/**
 * Writes integers as decimal text into one byte buffer: turning 100k keys and
 * values into JS strings and concatenating them took ~70 ms, the digits ~15.
 */
class DecimalWriter {
  private readonly buf: Buffer;
  private at = 0;

  constructor(bytes: number) {
    this.buf = Buffer.allocUnsafe(bytes);
  }

  /** A few bytes: a loop (Buffer#copy costs a call into C++ each time). */
  bytes(text: Uint8Array): void {
    for (let i = 0; i < text.length; i++) this.buf[this.at++] = text[i];
  }

  byte(b: number): void {
    this.buf[this.at++] = b;
  }

  /** An integer below 2^53 in magnitude, as String() prints it. */
  integer(x: number): void {
    if (x < 0) {
      this.buf[this.at++] = 0x2d; // '-'
      x = -x;
    }
    let digits = 1;
    for (let y = x; y >= 10; y = Math.floor(y / 10)) digits++;
    const end = this.at + digits;
    for (let p = end - 1; p >= this.at; p--) {
      const q = Math.floor(x / 10);
      this.buf[p] = 0x30 + (x - q * 10);
      x = q;
    }
    this.at = end;
  }

  text(): string {
    return this.buf.toString('latin1', 0, this.at);
  }
}

/** The map's lines as formatMapText prints them (a count/sum map with one integer key). */
export function formatColumnsText(c: MapColumns): string {
  const prefix = Buffer.from(c.name + '[', 'latin1');
  const separator = Buffer.from(']: ', 'latin1');
  // A line: the prefix, ≤ 16 key digits, "]: ", a sign and ≤ 16 value digits, "\n".
  const out = new DecimalWriter(c.keys.length * (prefix.length + 40));
  const line = (key: number, value: number) => {
    out.bytes(prefix);
    out.integer(key);
    out.bytes(separator);
    out.integer(value);
    out.byte(0x0a);
  };
  const sortable = compositeKeys(c);
  if (sortable) {
    const { composite, scale } = sortable;
    composite.sort();
    for (let i = 0; i < composite.length; i++) {
      // Not %: a double's remainder is a slow fmod; scale is a power of two, so this is exact.
      const value = Math.floor(composite[i] / scale);
      line(composite[i] - value * scale, value);
    }
  } else {
    const order = sortedOrder(c);
    for (let i = 0; i < order.length; i++) line(c.keys[order[i]], c.values[order[i]]);
  }
  return out.text();
}
