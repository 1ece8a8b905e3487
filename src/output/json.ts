/**
 * `-f json` output (spec §8), bpftrace 0.17 layout: one object per line,
 * `", "` / `": "` separators inside objects, arrays without spaces.
 * Every function returns ONE line WITHOUT the trailing newline.
 * Divergences (docs/compat.md): bytes >= 0x80 pass through unescaped (DIV-09,
 * valid UTF-8 instead of `\uffffffc3`); timestamps are quoted (text values
 * with quoteInJson); pointers are numbers; hist buckets above 2^32 (DIV-08).
 */
import { AggValue, MapSnapshot, Value, intValue } from './value';
import {
  averageOf,
  formatAggValueText,
  formatBuffer,
  formatKeyPart,
  formatStack,
  histBucketStart,
  selectMapEntries,
  toDiv,
} from './text';

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\x00-\x1f]/;
// eslint-disable-next-line no-control-regex
const ESCAPE_ALL = /["\\\x00-\x1f]/g;

function escapeChar(c: string): string {
  switch (c) {
    case '"':
      return '\\"';
    case '\\':
      return '\\\\';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default:
      return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
  }
}

/**
 * bpftrace's json_escape: `"` `\` `\n` `\r` `\t` escaped, other bytes <= 0x1f
 * as `\u00XX`; everything else (including bytes >= 0x80) passed through.
 */
export function jsonEscape(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(ESCAPE_ALL, escapeChar);
}

export function jsonString(s: string): string {
  return '"' + jsonEscape(s) + '"';
}

function valueJson(v: Value, div: bigint): string {
  switch (v.kind) {
    case 'int': {
      const x = intValue(v);
      return (v.pointer || div === 1n ? x : x / div).toString();
    }
    case 'string':
      return jsonString(v.value);
    case 'text':
      return v.quoteInJson ? jsonString(v.value) : v.value;
    case 'tuple': {
      const parts = new Array<string>(v.elems.length);
      for (let i = 0; i < v.elems.length; i++) parts[i] = valueJson(v.elems[i], div);
      return '[' + parts.join(',') + ']';
    }
    case 'stack':
      return jsonString(formatStack(v, 8));
    case 'buffer':
      return jsonString(formatBuffer(v.bytes, 'r'));
    case 'array':
      return '[' + v.elems.map((e) => valueJson(e, div)).join(',') + ']';
    case 'record':
      return '{ ' + v.fields.map((f) => `${jsonString(f.name)}: ${valueJson(f.value, div)}`).join(', ') + ' }';
  }
}

/** JSON encoding of a value: numbers bare, strings/symbols quoted, tuples `[a,b]`. */
export function formatValueJson(v: Value): string {
  return valueJson(v, 1n);
}

/** A map key as JSON object key: components joined by `,` (no space), quoted. */
export function formatKeyJson(key: Value[]): string {
  let parts: Value[] = key;
  if (key.length === 1 && key[0].kind === 'tuple') parts = key[0].elems;
  const strs = new Array<string>(parts.length);
  for (let i = 0; i < parts.length; i++) strs[i] = formatKeyPart(parts[i]);
  return jsonString(strs.join(','));
}

function firstLast(buckets: bigint[]): [number, number] {
  let first = -1;
  let last = -1;
  for (let i = 0; i < buckets.length; i++) {
    if (buckets[i] > 0n) {
      if (first === -1) first = i;
      last = i;
    }
  }
  return [first, last];
}

/** `[{"min": 2, "max": 3, "count": 1}, …]`; `[]` when all buckets are zero. */
export function formatHistJson(buckets: bigint[], div: bigint | number = 1n, bits = 0): string {
  const d = toDiv(div);
  const [first, last] = firstLast(buckets);
  if (first === -1) return '[]';
  const parts = new Array<string>(last - first + 1);
  for (let i = first; i <= last; i++) {
    let range: string;
    if (i === 0) range = '"max": -1, ';
    else if (i === 1) range = '"min": 0, "max": 0, ';
    else if (i === 2) range = '"min": 1, "max": 1, ';
    else if (bits > 0) {
      const lo = i <= 2 << bits ? BigInt(i - 1) : histBucketStart(i - 1, bits);
      const hi = i <= 2 << bits ? BigInt(i - 1) : histBucketStart(i, bits) - 1n;
      range = '"min": ' + lo.toString() + ', "max": ' + hi.toString() + ', ';
    } else {
      const lo = 1n << BigInt(i - 2);
      range = '"min": ' + lo.toString() + ', "max": ' + (lo * 2n - 1n).toString() + ', ';
    }
    const c = buckets[i];
    parts[i - first] = '{' + range + '"count": ' + (d === 1n ? c : c / d).toString() + '}';
  }
  return '[' + parts.join(', ') + ']';
}

/** Linear histogram buckets (div never applies to lhist). */
export function formatLhistJson(buckets: bigint[], min: bigint, max: bigint, step: bigint): string {
  const [first, last] = firstLast(buckets);
  if (first === -1) return '[]';
  const nb = Number((max - min) / step);
  const parts = new Array<string>(last - first + 1);
  for (let i = first; i <= last; i++) {
    let range: string;
    if (i === 0) range = '"max": ' + (min - 1n).toString() + ', ';
    else if (i === nb + 1) range = '"min": ' + max.toString() + ', ';
    else {
      const lo = BigInt(i - 1) * step + min;
      range = '"min": ' + lo.toString() + ', "max": ' + (lo + step - 1n).toString() + ', ';
    }
    parts[i - first] = '{' + range + '"count": ' + buckets[i].toString() + '}';
  }
  return '[' + parts.join(', ') + ']';
}

function aggJson(v: AggValue, div: bigint): string {
  switch (v.kind) {
    case 'value':
      return valueJson(v.value, div);
    case 'stats':
      return (
        '{"count": ' +
        (v.signed ? BigInt.asIntN(64, v.count) : BigInt.asUintN(64, v.count)).toString() +
        ', "average": ' +
        averageOf(v).toString() +
        ', "total": ' +
        (v.signed ? BigInt.asIntN(64, v.total) : BigInt.asUintN(64, v.total)).toString() +
        '}'
      );
    case 'hist':
      return formatHistJson(v.buckets, div, v.bits);
    case 'lhist':
      return formatLhistJson(v.buckets, v.min, v.max, v.step);
    default:
      return formatAggValueText(v, div); // count/sum/min/max/avg: a number
  }
}

/** Record type of a map: count/sum/min/max/plain → map, avg/stats → stats, hist/lhist → hist. */
export function mapRecordType(kind: AggValue['kind']): 'map' | 'stats' | 'hist' {
  switch (kind) {
    case 'avg':
    case 'stats':
      return 'stats';
    case 'hist':
    case 'lhist':
      return 'hist';
    default:
      return 'map';
  }
}

/**
 * One NDJSON record for `print(@m, top, div)` / exit-time printing, without
 * the trailing newline; null for an empty map (no record at all).
 */
export function formatMapJson(m: MapSnapshot, top?: number, div?: number | bigint): string | null {
  if (m.entries.length === 0) return null;
  const kind = m.valueKind;
  const d = kind === 'stats' || kind === 'lhist' ? 1n : toDiv(div);
  const entries = selectMapEntries(m, top);
  const head = '{"type": "' + mapRecordType(kind) + '", "data": {' + jsonString(m.name) + ': ';
  const keyed = m.keyed || (entries.length > 0 && entries[0].key.length > 0);
  if (!keyed) {
    const parts = entries.map((e) => aggJson(e.value, d));
    return head + parts.join(', ') + '}}';
  }
  const parts = new Array<string>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    parts[i] = formatKeyJson(e.key) + ': ' + aggJson(e.value, d);
  }
  return head + '{' + parts.join(', ') + '}}}';
}

/** Exit-time records of all maps in name order (empty maps produce nothing). */
export function formatMapsAtExitJson(maps: MapSnapshot[]): string[] {
  const sorted = maps.slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const m of sorted) {
    const r = formatMapJson(m);
    if (r !== null) out.push(r);
  }
  return out;
}

/** `{"type": "<type>", "data": "<escaped text>"}` — printf, time, cat, join, syscall. */
export function jsonMessage(type: string, data: string): string {
  return '{"type": "' + type + '", "data": ' + jsonString(data) + '}';
}

export function jsonPrintf(text: string): string {
  return jsonMessage('printf', text);
}

/** print(value): `{"type": "value", "data": 5}`. */
export function jsonValue(v: Value): string {
  return '{"type": "value", "data": ' + formatValueJson(v) + '}';
}

export function jsonAttachedProbes(n: number): string {
  return '{"type": "attached_probes", "data": {"probes": ' + n + '}}';
}

export function jsonLostEvents(n: number | bigint): string {
  return '{"type": "lost_events", "data": {"events": ' + n.toString() + '}}';
}

/** v0.17 helper error record (`-k`). */
export function jsonHelperError(helper: string, retcode: number, line: number, col: number): string {
  return (
    '{"type": "helper_error", "helper": ' +
    jsonString(helper) +
    ', "retcode": ' +
    retcode +
    ', "line": ' +
    line +
    ', "col": ' +
    col +
    '}'
  );
}
