/**
 * Value model shared by the runtime (decoders of BPF data) and the output
 * formatters (text.ts, json.ts, printf.ts).
 *
 * STRING ENCODING CONTRACT ("byte strings")
 * -----------------------------------------
 * bpftrace works on bytes: `%5s` pads to 5 *bytes*, `%.1s` may cut a UTF-8
 * sequence in half, `%c` of 233 emits the single byte 0xE9, strings read from
 * the kernel may hold any byte.  To reproduce that byte for byte, every string
 * handed to or returned by the output module is a *byte string*: each UTF-16
 * code unit is one byte (0..255), i.e. the `latin1` ("binary") encoding of
 * Node's Buffer:
 *   - decode BPF data with `buf.toString('latin1')` (also the fastest decoder),
 *   - turn source text (format literals, probe names, …) into byte strings with
 *     `toByteString()` below (UTF-8 encodes, ASCII is returned unchanged),
 *   - write formatted output with `stream.write(text, 'latin1')` /
 *     `Buffer.from(text, 'latin1')`.
 * For pure-ASCII data (the overwhelming majority) both views are identical.
 * If a caller passes ordinary Unicode strings instead, everything still works
 * except that widths/precisions count UTF-16 units instead of bytes.
 */

export type Value =
  /**
   * Integer. `value` is the mathematical value: for signed types in
   * [-2^(bits-1), 2^(bits-1)), for unsigned types in [0, 2^bits).
   * (Out-of-range values are normalised where it matters.)
   * `pointer`: the value is a pointer (printed `0x…` in text; a number in JSON;
   * accepted by integer printf conversions).
   */
  | { kind: 'int'; value: bigint; signed: boolean; bits: 8 | 16 | 32 | 64; pointer?: boolean }
  /** NUL already trimmed; a byte string (see above). */
  | { kind: 'string'; value: string }
  | { kind: 'tuple'; elems: Value[] }
  /**
   * Preformatted text: probe, username, ksym, usym, inet, timestamp (strftime),
   * macaddr, cgroup_path, strerror …  `quoteInJson`: emit as a JSON string
   * (true for every one of those; timestamps too — DIV-09), false for text that
   * is already valid JSON (e.g. a number).
   */
  | { kind: 'text'; value: string; quoteInJson: boolean }
  /**
   * Already symbolised frames, innermost first.  Default mode: frames are
   * `sym+off` (or `0x…`).  `mode: 'perf'`: frames are `<hex addr> <sym>` and
   * are printed after a TAB instead of the space indentation.  `mode: 'raw'`
   * (HEAD only): frames printed with no indentation.
   */
  | { kind: 'stack'; frames: string[]; mode?: 'bpftrace' | 'perf' | 'raw' }
  | { kind: 'buffer'; bytes: Uint8Array }
  /** A C array: `[1,2,3]` in text and JSON. */
  | { kind: 'array'; elems: Value[] }
  /** A struct/union value: `{ .a = 1, .b = x }` in text, `{ "a": 1, "b": "x" }` in JSON (bpftrace 0.17). */
  | { kind: 'record'; fields: { name: string; value: Value }[] };

export type AggValue =
  | { kind: 'value'; value: Value } // maps assigned plain values
  | { kind: 'count'; value: bigint }
  | { kind: 'sum' | 'min' | 'max'; value: bigint; signed: boolean }
  | { kind: 'avg' | 'stats'; count: bigint; total: bigint; signed: boolean }
  /** log2 bucket index scheme: 0 = x<0, 1 = x==0, i>=2 = [2^(i-2), 2^(i-1)); up to index 65 */
  /** `bits` (HEAD's hist(x, k)) splits every power of two into 2^bits buckets; 0 when absent. */
  | { kind: 'hist'; buckets: bigint[]; bits?: number }
  /** 0 = underflow, 1.. = buckets, last = overflow (1 + (max-min)/step + 1 entries) */
  | { kind: 'lhist'; buckets: bigint[]; min: bigint; max: bigint; step: bigint };

export interface MapEntry {
  key: Value[]; // [] for a keyless map
  value: AggValue;
}

export interface MapSnapshot {
  name: string; // including '@', e.g. '@' or '@bytes'
  keyed: boolean;
  valueKind: AggValue['kind']; // all entries share it
  entries: MapEntry[]; // in kernel iteration order (unsorted)
}

export type PrintfArg = Value;

// ---------------------------------------------------------------------------
// Convenience constructors (used by tests and decoders).

export function int64(v: bigint | number): Value {
  return { kind: 'int', value: BigInt(v), signed: true, bits: 64 };
}
export function uint64(v: bigint | number): Value {
  return { kind: 'int', value: BigInt(v), signed: false, bits: 64 };
}
export function str(s: string): Value {
  return { kind: 'string', value: s };
}
export function text(s: string, quoteInJson = true): Value {
  return { kind: 'text', value: s, quoteInJson };
}
export function tuple(...elems: Value[]): Value {
  return { kind: 'tuple', elems };
}

// ---------------------------------------------------------------------------
// Byte-string helpers.

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** UTF-8 encode an ordinary (Unicode) JS string into a byte string. */
export function toByteString(s: string): string {
  if (!NON_ASCII.test(s)) return s;
  return Buffer.from(s, 'utf8').toString('latin1');
}

/** Decode a byte string that holds UTF-8 back into an ordinary JS string. */
export function fromByteString(s: string): string {
  if (!NON_ASCII.test(s)) return s;
  return Buffer.from(s, 'latin1').toString('utf8');
}

/** Bytes → byte string. */
export function bytesToByteString(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/** Normalise an int Value to its mathematical value (see the type comment). */
export function intValue(v: { value: bigint; signed: boolean; bits: number }): bigint {
  const x = v.value;
  if (v.signed) {
    if (v.bits === 64) {
      return x >= -0x8000000000000000n && x <= 0x7fffffffffffffffn ? x : BigInt.asIntN(64, x);
    }
    return BigInt.asIntN(v.bits, x);
  }
  if (x >= 0n && (v.bits === 64 ? x <= 0xffffffffffffffffn : x < 1n << BigInt(v.bits))) return x;
  return BigInt.asUintN(v.bits, x);
}
