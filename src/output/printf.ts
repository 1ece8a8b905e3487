/**
 * printf formatting, compatible with bpftrace 0.17 output (host C snprintf)
 * with the HEAD superset of flags (DIV-12) and HEAD `%%` handling (DIV-11).
 *
 * Conversion grammar: %[flags][width][.prec][length]conv
 *   flags  : any of - + space # 0
 *   width  : decimal digits            (`*` is not supported)
 *   prec   : '.' followed by digits
 *   length : hh h l ll j z t           (only with d i u o x X p)
 *   conv   : d i u o x X p c s r rx rh
 * `%%` prints `%`.  A `%` that does not start a valid conversion is literal
 * text (like v0.17, which then reports an argument-count mismatch).
 *
 * Integer conversions without l/ll/j/z/t format a C int: d/i/u/o/x/X/c
 * truncate to 32 bits (hh: 8, h: 16), signed for d/i, unsigned for u/o/x/X
 * (DIV-10, both bpftrace versions).  All strings are byte strings (value.ts).
 */
import { PrintfArg, intValue } from './value';
import { formatBuffer, formatValueText } from './text';

export type PrintfConv = 'd' | 'i' | 'u' | 'o' | 'x' | 'X' | 'p' | 'c' | 's' | 'r' | 'rx' | 'rh';
export type PrintfLength = '' | 'hh' | 'h' | 'l' | 'll' | 'j' | 'z' | 't';
/** The kind of argument a conversion needs. */
export type PrintfArgKind = 'integer' | 'string' | 'buffer';

export interface PrintfSpec {
  /** The conversion exactly as written, e.g. `%-5ld`. */
  text: string;
  /** Offset of the `%` in the format string, and one past the end. */
  start: number;
  end: number;
  minus: boolean;
  plus: boolean;
  space: boolean;
  hash: boolean;
  zero: boolean;
  /** -1 when absent */
  width: number;
  /** -1 when absent */
  precision: number;
  length: PrintfLength;
  conv: PrintfConv;
  /** `ld`, `s`, `rx` … — the length modifier and conversion, as in messages. */
  token: string;
  argKind: PrintfArgKind;
}

export interface PrintfParseError {
  error: string;
}

export interface ParsedFormat {
  /** literals.length === specs.length + 1; `%%` already turned into `%`. */
  literals: string[];
  specs: PrintfSpec[];
}

// flags, width, precision, (length + integer conv | other conv)
const CONV_RE = /%([-+ #0]*)(\d+)?(?:\.(\d+))?(?:(hh|h|ll|l|j|z|t)?([diouxXp])|(rx|rh|r|c|s))/y;
const MAX_WIDTH = 0x7fffffff;

function parseFormat(fmt: string): ParsedFormat | PrintfParseError {
  const literals: string[] = [];
  const specs: PrintfSpec[] = [];
  let lit = '';
  let litStart = 0; // start of the not-yet-copied literal run
  let i = fmt.indexOf('%');
  while (i !== -1) {
    if (fmt.charCodeAt(i + 1) === 37 /* % */) {
      lit += fmt.slice(litStart, i + 1);
      litStart = i + 2;
      i = fmt.indexOf('%', litStart);
      continue;
    }
    CONV_RE.lastIndex = i;
    const m = CONV_RE.exec(fmt);
    if (m === null) {
      // not a conversion: literal '%'
      i = fmt.indexOf('%', i + 1);
      continue;
    }
    lit += fmt.slice(litStart, i);
    literals.push(lit);
    lit = '';
    const flags = m[1];
    const width = m[2] === undefined ? -1 : Number(m[2]);
    const precision = m[3] === undefined ? -1 : Number(m[3]);
    if (width > MAX_WIDTH || precision > MAX_WIDTH) {
      return { error: `printf: width or precision too large in format specifier ${m[0]}` };
    }
    const length = (m[4] ?? '') as PrintfLength;
    const conv = (m[5] ?? m[6]) as PrintfConv;
    const argKind: PrintfArgKind =
      conv === 's' ? 'string' : conv === 'r' || conv === 'rx' || conv === 'rh' ? 'buffer' : 'integer';
    specs.push({
      text: m[0],
      start: i,
      end: i + m[0].length,
      minus: flags.includes('-'),
      plus: flags.includes('+'),
      space: flags.includes(' '),
      hash: flags.includes('#'),
      zero: flags.includes('0'),
      width,
      precision,
      length,
      conv,
      token: length + conv,
      argKind,
    });
    litStart = i + m[0].length;
    i = fmt.indexOf('%', litStart);
  }
  lit += fmt.slice(litStart);
  literals.push(lit);
  return { literals, specs };
}

/** A format's literal pieces (literals[i] comes before specs[i]) and conversions. */
export function parsePrintfParts(fmt: string): ParsedFormat | PrintfParseError {
  return parseFormat(fmt);
}

/** Parse a format string into its conversion specifications. */
export function parsePrintfFormat(fmt: string): PrintfSpec[] | PrintfParseError {
  const p = parseFormat(fmt);
  return 'error' in p ? p : p.specs;
}

export function isPrintfParseError(x: PrintfSpec[] | PrintfParseError): x is PrintfParseError {
  return !Array.isArray(x);
}

/**
 * Argument kinds as seen by the type checker:
 *  'integer' — integers, booleans, pointers;
 *  'string'  — strings and string-like values (ksym, usym, probe, username,
 *              kstack, ustack, inet, timestamp, macaddr, cgroup_path, strerror);
 *  'buffer'  — buf();
 *  'other'   — anything else (tuples, records, …; also accepted by %r so
 *              that callers that do not distinguish buffers keep working).
 */
export type CheckArgKind = 'integer' | 'string' | 'buffer' | 'other';

/**
 * Validate printf arguments against the format; returns bpftrace 0.17's
 * message or null.  `typeNames[i]` (optional) names the supplied type in the
 * message (defaults to the kind, e.g. `string`, `buffer`).
 *   printf: Not enough arguments for format string (1 supplied, 2 expected)
 *   printf: Too many arguments for format string (2 supplied, 1 expected)
 *   printf: %d specifier expects a value of type integer (string supplied)
 */
export function checkPrintfArgs(fmt: string, argKinds: CheckArgKind[], typeNames?: string[]): string | null {
  const specs = parsePrintfFormat(fmt);
  if (isPrintfParseError(specs)) return specs.error;
  const n = argKinds.length;
  if (n < specs.length) {
    return `printf: Not enough arguments for format string (${n} supplied, ${specs.length} expected)`;
  }
  if (n > specs.length) {
    return `printf: Too many arguments for format string (${n} supplied, ${specs.length} expected)`;
  }
  for (let i = 0; i < n; i++) {
    const want = specs[i].argKind;
    const have = argKinds[i];
    // %r/%rx/%rh: callers that do not distinguish buffers pass 'other'.
    if (have !== want && !(want === 'buffer' && have === 'other')) {
      const supplied = typeNames?.[i] ?? have;
      return `printf: %${specs[i].token} specifier expects a value of type ${want} (${supplied} supplied)`;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------
// Formatting

type ArgFormatter = (a: PrintfArg | undefined) => string;

function pad(s: string, width: number, left: boolean): string {
  const n = width - s.length;
  if (n <= 0) return s;
  return left ? s + ' '.repeat(n) : ' '.repeat(n) + s;
}

/** Integer argument as a bigint (non-integers: best effort). */
function argInt(a: PrintfArg | undefined): bigint {
  if (a === undefined) return 0n;
  if (a.kind === 'int') return a.value;
  if (a.kind === 'string' || a.kind === 'text') {
    try {
      return BigInt(a.value);
    } catch {
      return 0n;
    }
  }
  return 0n;
}

/** Text for %s / %r of non-buffer arguments. */
function argText(a: PrintfArg | undefined): string {
  if (a === undefined) return '';
  if (a.kind === 'string' || a.kind === 'text') return a.value;
  return formatValueText(a);
}

function convBits(spec: PrintfSpec): number {
  switch (spec.length) {
    case 'hh':
      return 8;
    case 'h':
      return 16;
    case '':
      return 32;
    default:
      return 64;
  }
}

/** Apply C's integer formatting rules to a digit string. */
function finishInt(spec: PrintfSpec, digits: string, sign: string, prefix: string): string {
  if (spec.precision >= 0) {
    if (digits.length < spec.precision) digits = '0'.repeat(spec.precision - digits.length) + digits;
  }
  const head = sign + prefix;
  const w = spec.width;
  const len = head.length + digits.length;
  if (w <= len) return head + digits;
  if (spec.minus) return head + digits + ' '.repeat(w - len);
  if (spec.zero && spec.precision < 0) return head + '0'.repeat(w - len) + digits;
  return ' '.repeat(w - len) + head + digits;
}

function makeIntFormatter(spec: PrintfSpec): ArgFormatter {
  const conv = spec.conv;
  const bits = conv === 'p' ? 64 : convBits(spec);
  const signedConv = conv === 'd' || conv === 'i';
  const simple = spec.width < 0 && spec.precision < 0 && !spec.plus && !spec.space && !spec.hash;

  // value of the argument as the C conversion sees it
  const convValue = (a: PrintfArg | undefined): bigint => {
    let x = argInt(a);
    if (a !== undefined && a.kind === 'int' && a.bits < bits) x = intValue(a);
    return signedConv ? BigInt.asIntN(bits, x) : BigInt.asUintN(bits, x);
  };

  if (conv === 'd' || conv === 'i') {
    if (simple && !spec.zero) return (a) => convValue(a).toString();
    return (a) => {
      const x = convValue(a);
      const neg = x < 0n;
      let digits = (neg ? -x : x).toString();
      if (spec.precision === 0 && x === 0n) digits = '';
      const sign = neg ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
      return finishInt(spec, digits, sign, '');
    };
  }
  if (conv === 'u' || conv === 'o' || conv === 'x' || conv === 'X') {
    const radix = conv === 'u' ? 10 : conv === 'o' ? 8 : 16;
    const upper = conv === 'X';
    if (simple && !spec.zero) {
      if (upper) return (a) => convValue(a).toString(16).toUpperCase();
      return (a) => convValue(a).toString(radix);
    }
    return (a) => {
      const x = convValue(a);
      let digits = x.toString(radix);
      if (upper) digits = digits.toUpperCase();
      if (spec.precision === 0 && x === 0n) digits = '';
      let prefix = '';
      if (spec.hash) {
        if (radix === 8) {
          if (digits[0] !== '0') digits = '0' + digits;
        } else if (radix === 16 && x !== 0n) {
          prefix = upper ? '0X' : '0x';
        }
      }
      return finishInt(spec, digits, '', prefix);
    };
  }
  if (conv === 'p') {
    return (a) => {
      const x = convValue(a);
      if (x === 0n) return pad('(nil)', spec.width, spec.minus); // glibc
      const sign = spec.plus ? '+' : spec.space ? ' ' : '';
      return finishInt(spec, x.toString(16), sign, '0x');
    };
  }
  // 'c': the low byte; a NUL byte ends the C string built by v0.17, so
  // anything after it in this conversion's output is lost.
  return (a) => {
    const ch = String.fromCharCode(Number(BigInt.asUintN(8, argInt(a))));
    const w = spec.width;
    if (ch === '\0') return w > 1 && !spec.minus ? ' '.repeat(w - 1) : '';
    return w > 1 ? pad(ch, w, spec.minus) : ch;
  };
}

function makeFormatter(spec: PrintfSpec): ArgFormatter {
  switch (spec.conv) {
    case 's': {
      const prec = spec.precision;
      const width = spec.width;
      if (prec < 0 && width < 0) return argText;
      return (a) => {
        let s = argText(a);
        if (prec >= 0 && s.length > prec) s = s.slice(0, prec);
        return width > 0 ? pad(s, width, spec.minus) : s;
      };
    }
    case 'r':
    case 'rx':
    case 'rh': {
      const mode = spec.conv;
      const width = spec.width;
      return (a) => {
        const s = a !== undefined && a.kind === 'buffer' ? formatBuffer(a.bytes, mode) : argText(a);
        return width > 0 ? pad(s, width, spec.minus) : s;
      };
    }
    default:
      return makeIntFormatter(spec);
  }
}

export type CompiledPrintf = (args: readonly PrintfArg[]) => string;

/**
 * Pre-parse a format once and return a fast formatter.  Throws on an invalid
 * format (the type checker should have rejected it with checkPrintfArgs).
 * Missing arguments format as 0 / ''; extra arguments are ignored.
 */
export function compilePrintf(fmt: string): CompiledPrintf {
  const p = parseFormat(fmt);
  if ('error' in p) throw new Error(p.error);
  const lits = p.literals;
  const fns = p.specs.map(makeFormatter);
  const n = fns.length;
  switch (n) {
    case 0: {
      const s = lits[0];
      return () => s;
    }
    case 1: {
      const [l0, l1] = lits;
      const f0 = fns[0];
      return (args) => l0 + f0(args[0]) + l1;
    }
    case 2: {
      const [l0, l1, l2] = lits;
      const [f0, f1] = fns;
      return (args) => l0 + f0(args[0]) + l1 + f1(args[1]) + l2;
    }
    case 3: {
      const [l0, l1, l2, l3] = lits;
      const [f0, f1, f2] = fns;
      return (args) => l0 + f0(args[0]) + l1 + f1(args[1]) + l2 + f2(args[2]) + l3;
    }
    default:
      return (args) => {
        let out = lits[0];
        for (let i = 0; i < n; i++) out += fns[i](args[i]) + lits[i + 1];
        return out;
      };
  }
}

const cache = new Map<string, CompiledPrintf>();

/** Format `args` according to `fmt` (compiled formats are cached). */
export function formatPrintf(fmt: string, args: readonly PrintfArg[]): string {
  let f = cache.get(fmt);
  if (f === undefined) {
    f = compilePrintf(fmt);
    if (cache.size > 1024) cache.clear();
    cache.set(fmt, f);
  }
  return f(args);
}

