/**
 * Text-mode formatting of values and maps, byte-for-byte compatible with
 * bpftrace 0.17 (see docs/compat.md for the deliberate divergences).
 * All strings are byte strings (see value.ts).
 */
import { AggValue, MapEntry, MapSnapshot, Value, intValue } from './value';

// ---------------------------------------------------------------------------
// Primitive renderings

const HEX = '0123456789abcdef';
/** `%r` rendering of each byte: printable ASCII (32..126) kept, others \xNN. */
const R_TABLE: string[] = [];
/** `%rx` rendering: every byte \xNN. */
const RX_TABLE: string[] = [];
/** `%rh` rendering: NN. */
const RH_TABLE: string[] = [];
for (let b = 0; b < 256; b++) {
  const hh = HEX[b >> 4] + HEX[b & 15];
  RH_TABLE.push(hh);
  RX_TABLE.push('\\x' + hh);
  R_TABLE.push(b >= 32 && b <= 126 ? String.fromCharCode(b) : '\\x' + hh);
}

/**
 * Render a buffer like bpftrace's hex_format_buffer:
 *  'r'  — printable ASCII kept, others `\xNN` (also the map key/value form),
 *  'rx' — every byte `\xNN`,
 *  'rh' — `NN NN …` space separated.
 */
export function formatBuffer(bytes: Uint8Array, mode: 'r' | 'rx' | 'rh' = 'r'): string {
  const n = bytes.length;
  if (n === 0) return '';
  const table = mode === 'r' ? R_TABLE : mode === 'rx' ? RX_TABLE : RH_TABLE;
  const parts = new Array<string>(n);
  for (let i = 0; i < n; i++) parts[i] = table[bytes[i]];
  return parts.join(mode === 'rh' ? ' ' : '');
}

/**
 * Stack text: '' for an empty stack, otherwise "\n" followed by one line per
 * frame (each terminated by "\n"), indented by `indent` spaces (8 for values,
 * printf %s and print(); 4 for map keys).  perf mode uses a TAB instead.
 */
export function formatStack(v: { frames: string[]; mode?: string }, indent: number): string {
  const frames = v.frames;
  if (frames.length === 0) return '';
  const pad = v.mode === 'perf' ? '\t' : v.mode === 'raw' ? '' : indent === 8 ? '        ' : ' '.repeat(indent);
  return '\n' + pad + frames.join('\n' + pad) + '\n';
}

function formatInt(v: { value: bigint; signed: boolean; bits: number; pointer?: boolean }, div: bigint): string {
  const x = intValue(v);
  if (v.pointer) return '0x' + x.toString(16);
  return (div === 1n ? x : x / div).toString();
}

function valueText(v: Value, div: bigint): string {
  switch (v.kind) {
    case 'int':
      return formatInt(v, div);
    case 'string':
    case 'text':
      return v.value;
    case 'tuple': {
      const elems = v.elems;
      const parts = new Array<string>(elems.length);
      for (let i = 0; i < elems.length; i++) parts[i] = valueText(elems[i], div);
      return '(' + parts.join(', ') + ')';
    }
    case 'stack':
      return formatStack(v, 8);
    case 'buffer':
      return formatBuffer(v.bytes, 'r');
    case 'array':
      return '[' + v.elems.map((e) => valueText(e, div)).join(',') + ']';
    case 'record':
      return '{ ' + v.fields.map((f) => `.${f.name} = ${valueText(f.value, div)}`).join(', ') + ' }';
  }
}

/**
 * The print()/map-value form of a value: strings unquoted, tuples
 * `(1, two, -3)`, integers per their signedness, pointers `0x…`, buffers
 * hex-escaped, stacks "\n" + 8-space indented frames.
 */
export function formatValueText(v: Value): string {
  return valueText(v, 1n);
}

/** Map-key form of one key component (stacks use a 4-space indent). */
export function formatKeyPart(v: Value): string {
  switch (v.kind) {
    case 'stack':
      return formatStack(v, 4);
    case 'int':
      return formatInt(v, 1n);
    case 'string':
    case 'text':
      return v.value;
    default:
      return valueText(v, 1n);
  }
}

/** Key components as shown between the brackets (`1, a`). */
export function formatKeyParts(key: Value[]): string {
  if (key.length === 1) {
    const k = key[0];
    // A single tuple key (HEAD-only syntax) prints without its parentheses,
    // exactly like the equivalent multi-key.
    if (k.kind === 'tuple') return k.elems.map(formatKeyPart).join(', ');
    return formatKeyPart(k);
  }
  const parts = new Array<string>(key.length);
  for (let i = 0; i < key.length; i++) parts[i] = formatKeyPart(key[i]);
  return parts.join(', ');
}

// ---------------------------------------------------------------------------
// Histograms

const BAR_WIDTH = 52;
const BARS: string[] = [];
for (let i = 0; i <= BAR_WIDTH; i++) BARS.push('@'.repeat(i) + ' '.repeat(BAR_WIDTH - i));

const SUFFIXES = ['', 'K', 'M', 'G', 'T', 'P', 'E'];

/** 2^p as bpftrace labels it: `512`, `1K`, `128M`, `4G`, `1T`, `1P`, `8E` (DIV-08). */
function pow2Label(p: number): string {
  const decade = Math.floor(p / 10);
  return String(2 ** (p - 10 * decade)) + SUFFIXES[decade];
}

function computeHistLabel(i: number): string {
  if (i === 0) return '(..., 0)';
  if (i === 1) return '[0]';
  if (i === 2) return '[1]';
  return '[' + pow2Label(i - 2) + ', ' + pow2Label(i - 1) + ')';
}

const HIST_LABELS: string[] = [];
const HIST_LABELS_PADDED: string[] = [];
for (let i = 0; i <= 65; i++) {
  const l = computeHistLabel(i);
  HIST_LABELS.push(l);
  HIST_LABELS_PADDED.push(l.length < 16 ? l + ' '.repeat(16 - l.length) : l);
}

/** Label of log2 histogram bucket `i` (index scheme of AggValue 'hist'). */
export function histLabel(i: number, bits = 0): string {
  if (bits > 0) return fineHistLabel(i, bits);
  return i >= 0 && i <= 65 ? HIST_LABELS[i] : computeHistLabel(i);
}

/**
 * hist(x, k), k > 0 (HEAD): bucket 0 holds negatives, buckets 1..2^(k+1)
 * the exact values 0..2^(k+1)-1, and from there each power of two 2^p is
 * split into 2^k buckets of 2^(p-k) values. histBucketStart(j) is where
 * bucket j + 1 starts (= where bucket j ends), for j >= 2^k:
 * 2^((j >> k) - 1) * (2^k + (j & (2^k - 1))).
 */
export function histBucketStart(j: number, bits: number): bigint {
  const n = 1 << bits;
  if (j < n) return BigInt(j);
  return (1n << BigInt((j >> bits) - 1)) * BigInt(n + (j & (n - 1)));
}

/** histBucketStart as HEAD labels it: the power of two's K/M/G… suffix, times the multiplier. */
function fineBoundLabel(j: number, bits: number): string {
  const n = 1 << bits;
  if (j < n) return String(j);
  const power = (j >> bits) - 1;
  const decade = Math.floor(power / 10);
  return ((1n << BigInt(power - 10 * decade)) * BigInt(n + (j & (n - 1)))).toString() + SUFFIXES[decade];
}

function fineHistLabel(i: number, bits: number): string {
  if (i === 0) return '(..., 0)';
  if (i <= 2 << bits) return '[' + (i - 1) + ']';
  return '[' + fineBoundLabel(i - 1, bits) + ', ' + fineBoundLabel(i, bits) + ')';
}

/** v0.17 lhist number label: `0`, `N/1048576`+`M`, `N/1024`+`K`, else decimal. */
export function lhistNumberLabel(n: bigint): string {
  if (n === 0n) return '0';
  if (n % 1048576n === 0n) return (n / 1048576n).toString() + 'M';
  if (n % 1024n === 0n) return (n / 1024n).toString() + 'K';
  return n.toString();
}

/** Label of linear histogram bucket `i`. */
export function lhistLabel(i: number, min: bigint, max: bigint, step: bigint): string {
  const buckets = Number((max - min) / step);
  if (i === 0) return '(..., ' + lhistNumberLabel(min) + ')';
  if (i === buckets + 1) return '[' + lhistNumberLabel(max) + ', ...)';
  const lo = BigInt(i - 1) * step + min;
  return '[' + lhistNumberLabel(lo) + ', ' + lhistNumberLabel(lo + step) + ')';
}

/** Bar length: floor(count / max * 52) evaluated in single precision like bpftrace. */
export function barWidth(count: bigint, max: bigint): number {
  if (max === 0n) return 0;
  const f = Math.fround(Math.fround(Math.fround(Number(count)) / Math.fround(Number(max))) * BAR_WIDTH);
  const w = Math.trunc(f);
  return w < 0 ? 0 : w > BAR_WIDTH ? BAR_WIDTH : w;
}

const SPACES = ['', ' ', '  ', '   ', '    ', '     ', '      ', '       '];

function rowTail(printed: bigint, bar: number): string {
  const c = printed.toString();
  return (c.length < 8 ? SPACES[8 - c.length] + c : c) + ' |' + BARS[bar] + '|\n';
}

/** One histogram row: printf("%-16s%8llu |%-52s|\n", label, count, bar). */
export function histRow(label: string, printed: bigint, bar: number): string {
  return (label.length < 16 ? label + ' '.repeat(16 - label.length) : label) + rowTail(printed, bar);
}

function bucketRange(buckets: bigint[]): [number, number, bigint] {
  let first = -1;
  let last = -1;
  let max = 0n;
  for (let i = 0; i < buckets.length; i++) {
    const v = buckets[i];
    if (v > 0n) {
      if (first === -1) first = i;
      last = i;
      if (v > max) max = v;
    }
  }
  return [first, last, max];
}

/**
 * Rows of a log2 histogram, from the first to the last non-empty bucket.
 * `div` divides the printed counts; bars use the undivided counts.
 * '' when every bucket is zero.
 */
export function formatHistRows(buckets: bigint[], div: bigint | number = 1n, bits = 0): string {
  const d = toDiv(div);
  const [first, last, max] = bucketRange(buckets);
  if (first === -1) return '';
  const rows = new Array<string>(last - first + 1);
  for (let i = first; i <= last; i++) {
    const c = buckets[i];
    const label = bits === 0 && i <= 65 ? HIST_LABELS_PADDED[i] : histLabel(i, bits).padEnd(16);
    rows[i - first] = label + rowTail(d === 1n ? c : c / d, barWidth(c, max));
  }
  return rows.join('');
}

/** Rows of a linear histogram (div never applies to lhist in bpftrace). */
export function formatLhistRows(buckets: bigint[], min: bigint, max: bigint, step: bigint): string {
  const [first, last, maxCount] = bucketRange(buckets);
  if (first === -1) return '';
  const rows = new Array<string>(last - first + 1);
  for (let i = first; i <= last; i++) {
    const c = buckets[i];
    rows[i - first] = histRow(lhistLabel(i, min, max, step), c, barWidth(c, maxCount));
  }
  return rows.join('');
}

// ---------------------------------------------------------------------------
// Aggregation helpers

export function toDiv(div: bigint | number | undefined): bigint {
  if (div === undefined) return 1n;
  const d = typeof div === 'bigint' ? div : BigInt(Math.trunc(div));
  return d === 0n ? 1n : d < 0n ? BigInt.asUintN(32, d) || 1n : d;
}

function agg64(v: bigint, signed: boolean): bigint {
  return signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v);
}

/** total / count with C integer semantics (0 when count is 0). */
export function averageOf(a: { count: bigint; total: bigint; signed: boolean }): bigint {
  const count = a.signed ? BigInt.asIntN(64, a.count) : BigInt.asUintN(64, a.count);
  if (count === 0n) return 0n;
  return agg64(a.total, a.signed) / count;
}

/** Scalar numeric view of a non-histogram aggregation (undivided). */
export function aggNumber(v: AggValue): bigint | null {
  switch (v.kind) {
    case 'count':
      return BigInt.asUintN(64, v.value);
    case 'sum':
    case 'min':
    case 'max':
      return agg64(v.value, v.signed);
    case 'avg':
    case 'stats':
      return averageOf(v);
    case 'value':
      return v.value.kind === 'int' ? intValue(v.value) : null;
    default:
      return null;
  }
}

function histTotal(v: AggValue): bigint {
  if (v.kind !== 'hist' && v.kind !== 'lhist') return 0n;
  let t = 0n;
  const b = v.buckets;
  for (let i = 0; i < b.length; i++) t += b[i];
  return t;
}

// ---------------------------------------------------------------------------
// Sorting (§6.2 step 4)

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function sortByNumbers(entries: MapEntry[], keys: bigint[]): MapEntry[] {
  const n = entries.length;
  const idx = new Array<number>(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  let safe = true;
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    if (k > SAFE || k < -SAFE) {
      safe = false;
      break;
    }
  }
  if (safe) {
    const nums = new Float64Array(n);
    for (let i = 0; i < n; i++) nums[i] = Number(keys[i]);
    idx.sort((a, b) => nums[a] - nums[b]);
  } else {
    idx.sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
  }
  const out = new Array<MapEntry>(n);
  for (let i = 0; i < n; i++) out[i] = entries[idx[i]];
  return out;
}

type SortPart = bigint | string | null;

function keySortPart(v: Value): SortPart {
  if (v.kind === 'int') return BigInt.asUintN(v.bits, v.value); // unsigned compare (v0.17)
  if (v.kind === 'string') return v.value; // strncmp: byte order
  if (v.kind === 'text') return v.value; // probe names etc.: deterministic, not hash order
  return null; // other key kinds keep hash order
}

function sortByKey(entries: MapEntry[]): MapEntry[] {
  const n = entries.length;
  if (n === 0) return [];
  const width = entries[0].key.length;
  const parts: SortPart[][] = new Array(n);
  let anySortable = false;
  for (let i = 0; i < n; i++) {
    const key = entries[i].key;
    const p = new Array<SortPart>(key.length);
    for (let j = 0; j < key.length; j++) {
      p[j] = keySortPart(key[j]);
      if (p[j] !== null) anySortable = true;
    }
    parts[i] = p;
  }
  if (!anySortable) return entries.slice();
  const idx = new Array<number>(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  // One stable sort with a lexicographic comparator over the sortable
  // components is equivalent to v0.17's stable sorts from last to first.
  idx.sort((a, b) => {
    const pa = parts[a];
    const pb = parts[b];
    for (let j = 0; j < width; j++) {
      const x = pa[j];
      const y = pb[j];
      if (x === null || y === null || x === undefined || y === undefined) continue;
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return 0;
  });
  const out = new Array<MapEntry>(n);
  for (let i = 0; i < n; i++) out[i] = entries[idx[i]];
  return out;
}

/** Entries of a map in bpftrace's printing order (not truncated by top). */
export function sortMapEntries(m: MapSnapshot): MapEntry[] {
  const entries = m.entries;
  const n = entries.length;
  if (n <= 1) return entries.slice();
  switch (m.valueKind) {
    case 'hist':
    case 'lhist': {
      // Ties are broken by key so output is deterministic (bpftrace: hash order).
      const byKey = sortByKey(entries);
      return sortByNumbers(byKey, byKey.map((e) => histTotal(e.value)));
    }
    case 'value': {
      const first = entries[0].value;
      if (first.kind === 'value' && first.value.kind === 'int' && !first.value.pointer) {
        const byKey = sortByKey(entries);
        return sortByNumbers(byKey, byKey.map((e) => aggNumber(e.value) ?? 0n));
      }
      return sortByKey(entries);
    }
    default: {
      const byKey = sortByKey(entries);
      return sortByNumbers(byKey, byKey.map((e) => aggNumber(e.value) ?? 0n));
    }
  }
}

/** Sorted, `top`-truncated entries as print(@m, top, div) shows them. */
export function selectMapEntries(m: MapSnapshot, top?: number): MapEntry[] {
  const sorted = sortMapEntries(m);
  // stats maps ignore top (bpftrace warns at compile time)
  if (top && top > 0 && m.valueKind !== 'stats' && sorted.length > top) {
    return sorted.slice(sorted.length - top);
  }
  return sorted;
}

// ---------------------------------------------------------------------------
// Map printing

/** Text of one map value (not for hist/lhist). */
export function formatAggValueText(v: AggValue, div: bigint = 1n): string {
  switch (v.kind) {
    case 'value':
      return valueText(v.value, div);
    case 'count': {
      const x = BigInt.asUintN(64, v.value);
      return (div === 1n ? x : x / div).toString();
    }
    case 'sum':
    case 'min':
    case 'max': {
      const x = agg64(v.value, v.signed);
      return (div === 1n ? x : x / div).toString();
    }
    case 'avg': {
      const a = averageOf(v);
      return (div === 1n ? a : a / div).toString();
    }
    case 'stats':
      return (
        'count ' +
        agg64(v.count, v.signed).toString() +
        ', average ' +
        averageOf(v).toString() +
        ', total ' +
        agg64(v.total, v.signed).toString()
      );
    case 'hist':
      return formatHistRows(v.buckets, div, v.bits);
    case 'lhist':
      return formatLhistRows(v.buckets, v.min, v.max, v.step);
  }
}

/**
 * Exactly what `print(@m, top, div)` prints (and what exit-time printing
 * prints per map, without the "\n\n" separator): entries sorted per §6.2,
 * one per line (DIV-06: also for ksym/usym/inet/stack values), a final
 * "\n", an extra "\n" for avg/stats maps, hist/lhist as `@h: ` + rows + blank
 * line.  An empty map still prints its terminator(s) (v0.17).
 */
export function formatMapText(m: MapSnapshot, top?: number, div?: number | bigint): string {
  const kind = m.valueKind;
  const d = kind === 'stats' || kind === 'lhist' ? 1n : toDiv(div);
  const entries = selectMapEntries(m, top);
  const name = m.name;
  const n = entries.length;
  const lines = new Array<string>(n);
  const isHist = kind === 'hist' || kind === 'lhist';
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    const key = e.key.length > 0 || m.keyed ? name + '[' + formatKeyParts(e.key) + ']' : name;
    lines[i] = isHist ? key + ': \n' + formatAggValueText(e.value, d) : key + ': ' + formatAggValueText(e.value, d);
  }
  const body = lines.join('\n') + '\n';
  return kind === 'avg' || kind === 'stats' ? body + '\n' : body;
}

/** Byte-wise name order (`@` < `@A` < `@_x` < `@a`). */
export function compareMapNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * All maps printed at exit, sorted by name, concatenated.  The leading
 * "\n\n" separator is NOT included (the runtime writes it).
 */
export function formatMapsAtExit(maps: MapSnapshot[]): string {
  const sorted = maps.slice().sort((a, b) => compareMapNames(a.name, b.name));
  let out = '';
  for (const m of sorted) out += formatMapText(m);
  return out;
}

/** `print(value)` output: the value text plus a newline. */
export function formatPrintValue(v: Value): string {
  return formatValueText(v) + '\n';
}

/** Banner printed when probes are attached (v0.17: stdout). */
export function formatAttachedProbes(n: number): string {
  return n === 1 ? 'Attaching 1 probe...\n' : 'Attaching ' + n + ' probes...\n';
}

/** Warning for an insert into a full map (bpftrace HEAD's text), shown once per map. */
export const MAP_FULL_WARNING = "Map full; can't update element.\n" +
  'Try increasing max_map_keys config or BPFTRACE_MAP_KEYS_MAX\n' +
  'Additional Info - helper: map_update_elem, retcode: -7';

/** Lost-events notice. */
export function formatLostEvents(n: number | bigint): string {
  return 'Lost ' + n.toString() + ' events\n';
}
