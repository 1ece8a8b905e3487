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

/** The map's lines as formatMapText prints them (a count/sum map with one integer key). */
export function formatColumnsText(c: MapColumns): string {
  const order = sortedOrder(c);
  const prefix = c.name + '[';
  // Joined in pieces: one huge += chain builds a deep rope that is slow to flatten.
  const pieces: string[] = [];
  let chunk = '';
  for (let i = 0; i < order.length; i++) {
    const j = order[i];
    chunk += prefix + c.keys[j] + ']: ' + c.values[j] + '\n';
    if ((i & 1023) === 1023) {
      pieces.push(chunk);
      chunk = '';
    }
  }
  pieces.push(chunk);
  return pieces.join('');
}
