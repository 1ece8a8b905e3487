// Output formatting tests. Expected strings are the verbatim bpftrace 0.17
// transcripts of the spec (§5.1, §6.3, §8.2, §10) unless a comment names the
// divergence (docs/compat.md) that changes them.
import { describe, expect, it } from 'vitest';
import type { AggValue, MapEntry, MapSnapshot, Value } from '../src/output/value';
import { toByteString } from '../src/output/value';
import {
  formatHistRows,
  formatMapText,
  formatMapsAtExit,
  formatPrintValue,
  formatValueText,
  histLabel,
  lhistLabel,
} from '../src/output/text';
import {
  formatMapJson,
  formatMapsAtExitJson,
  formatValueJson,
  jsonAttachedProbes,
  jsonEscape,
  jsonMessage,
  jsonPrintf,
  jsonValue,
} from '../src/output/json';
import { checkPrintfArgs, compilePrintf, formatPrintf, parsePrintfFormat } from '../src/output/printf';

// ---------------------------------------------------------------------------
// helpers

const I = (v: number | bigint, signed = true, bits: 8 | 16 | 32 | 64 = 64): Value => ({
  kind: 'int',
  value: BigInt(v),
  signed,
  bits,
});
const U = (v: number | bigint, bits: 8 | 16 | 32 | 64 = 64): Value => I(v, false, bits);
const S = (s: string): Value => ({ kind: 'string', value: s });
const T = (...elems: Value[]): Value => ({ kind: 'tuple', elems });
const TXT = (s: string): Value => ({ kind: 'text', value: s, quoteInJson: true });
const BUF = (s: string): Value => ({ kind: 'buffer', bytes: Uint8Array.from(Buffer.from(s, 'latin1')) });
const STK = (frames: string[], mode?: 'perf'): Value => ({ kind: 'stack', frames, mode });

const val = (v: Value): AggValue => ({ kind: 'value', value: v });
const cnt = (n: number): AggValue => ({ kind: 'count', value: BigInt(n) });
const sum = (n: number, signed = true): AggValue => ({ kind: 'sum', value: BigInt(n), signed });
const mn = (n: number): AggValue => ({ kind: 'min', value: BigInt(n), signed: true });
const mx = (n: number): AggValue => ({ kind: 'max', value: BigInt(n), signed: true });
function avgOf(...xs: number[]): AggValue {
  return { kind: 'avg', count: BigInt(xs.length), total: BigInt(xs.reduce((a, b) => a + b, 0)), signed: true };
}
function statsOf(...xs: number[]): AggValue {
  return { kind: 'stats', count: BigInt(xs.length), total: BigInt(xs.reduce((a, b) => a + b, 0)), signed: true };
}
/** hist buckets as the kernel fills them. `clamp32` reproduces v0.17's 32-bit log2 loop. */
function histOf(xs: (number | bigint)[], clamp32 = false): AggValue {
  const b: bigint[] = new Array(66).fill(0n);
  for (const x0 of xs) {
    const x = BigInt(x0);
    let i: number;
    if (x < 0n) i = 0;
    else if (x === 0n) i = 1;
    else {
      i = 2 + x.toString(2).length - 1;
      if (clamp32 && i > 33) i = 33;
    }
    b[i]++;
  }
  return { kind: 'hist', buckets: b };
}
function lhistOf(xs: number[], min: number, max: number, step: number): AggValue {
  const nb = Math.floor((max - min) / step);
  const b: bigint[] = new Array(nb + 2).fill(0n);
  for (const x of xs) {
    let i: number;
    if (x < min) i = 0;
    else if (x > max) i = nb + 1;
    else i = Math.min(1 + Math.floor((x - min) / step), nb + 1);
    b[i]++;
  }
  return { kind: 'lhist', buckets: b, min: BigInt(min), max: BigInt(max), step: BigInt(step) };
}
function map(name: string, entries: [Value[], AggValue][], keyed?: boolean): MapSnapshot {
  const es: MapEntry[] = entries.map(([key, value]) => ({ key, value }));
  const valueKind = es.length ? es[0].value.kind : 'count';
  return { name, keyed: keyed ?? (es.length > 0 && es[0].key.length > 0), valueKind, entries: es };
}
function emptyMap(name: string, valueKind: AggValue['kind'], keyed = true): MapSnapshot {
  return { name, keyed, valueKind, entries: [] };
}
/** Simulated end of run: "\n\n" separator + all maps. */
const atExit = (maps: MapSnapshot[]) => '\n\n' + formatMapsAtExit(maps);
/** `cat -A` transcript → raw text. */
const catA = (s: string) => s.replace(/\^I/g, '\t').replace(/\$\n/g, '\n').replace(/\$$/, '\n');

// ---------------------------------------------------------------------------
// §6.3 verbatim map examples

describe('exit-time map printing (§6.3)', () => {
  it('scalar aggregations (blank line after avg and stats, alphabetical)', () => {
    const maps = [
      map('@str', [[[], val(S('hello'))]]),
      map('@s', [[[], sum(-2)]]),
      map('@c', [[[], cnt(2)]]),
      map('@neg', [[[], val(I(-5))]]),
      map('@st', [[[], statsOf(10, 21)]]),
      map('@mn', [[[], mn(-2)]]),
      map('@a', [[[], avgOf(10, 21)]]),
      map('@mx', [[[], mx(9)]]),
      map('@i', [[[], val(I(42))]]),
    ];
    expect(atExit(maps)).toBe(
      '\n\n@a: 15\n\n@c: 2\n@i: 42\n@mn: -2\n@mx: 9\n@neg: -5\n@s: -2\n@st: count 2, average 15, total 31\n\n@str: hello\n',
    );
  });

  it('keyed maps — integer, string, multi-key, count, string values, tuples', () => {
    const maps = [
      // ties (value 2) are kept in input (hash) order: 10 before 2
      map('@a', [
        [[I(-1)], val(I(5))],
        [[I(10)], val(I(2))],
        [[I(3)], val(I(1))],
        [[I(2)], val(I(2))],
      ]),
      map('@b', [
        [[S('alpha')], val(I(7))],
        [[S('zeta')], val(I(1))],
        [[S('mid')], val(I(3))],
      ]),
      map('@c', [
        [[I(0), S('z')], val(I(9))],
        [[I(1), S('a')], val(I(4))],
        [[I(1), S('x')], val(I(4))],
      ]),
      map('@d', [
        [[S('j')], cnt(2)],
        [[S('k')], cnt(1)],
      ]),
      map('@e', [
        [[I(5)], val(S('str'))],
        [[I(1)], val(S('abc'))],
      ]),
      map('@f', [[[], val(T(I(1), S('two'), I(-3)))]]),
      map('@g', [[[I(2)], val(T(I(1), I(2)))]]),
    ];
    expect(atExit(maps)).toBe(
      [
        '',
        '',
        '@a[3]: 1',
        // Ties in key order (docs/compat.md); bpftrace printed them in hash order.
        '@a[2]: 2',
        '@a[10]: 2',
        '@a[-1]: 5',
        '@b[zeta]: 1',
        '@b[mid]: 3',
        '@b[alpha]: 7',
        '@c[1, a]: 4',
        '@c[1, x]: 4',
        '@c[0, z]: 9',
        '@d[k]: 1',
        '@d[j]: 2',
        '@e[1]: abc',
        '@e[5]: str',
        '@f: (1, two, -3)',
        '@g[2]: (1, 2)',
        '',
      ].join('\n'),
    );
  });

  it('key ordering for non-numeric values (negative key last, unsigned compare)', () => {
    const maps = [
      map('@c', [[[S('bpftrace'), I(1)], histOf([4])]]),
      map('@b', [
        [[I(1), S('z')], val(S('y'))],
        [[I(2), S('b')], val(S('x'))],
        [[I(1), S('a')], val(S('z'))],
      ]),
      map('@a', [
        [[I(-1)], val(S('neg'))],
        [[I(5)], val(S('five'))],
        [[I(0)], val(S('zero'))],
      ]),
    ];
    expect(atExit(maps)).toBe(`

@a[0]: zero
@a[5]: five
@a[-1]: neg
@b[1, a]: z
@b[1, z]: y
@b[2, b]: x
@c[bpftrace, 1]: 
[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

`);
  });

  it('keyed sum/min/max/avg/stats (DIV-07: @mx[2] = max(-100) is present)', () => {
    const maps = [
      map('@st', [
        [[S('k1')], statsOf(100)],
        [[S('k2')], statsOf(5)],
      ]),
      map('@s', [
        [[S('a')], sum(3)],
        [[S('b')], sum(-5)],
        [[S('c')], sum(0)],
      ]),
      map('@mx', [
        [[I(2)], mx(-100)],
        [[I(1)], mx(100)],
      ]),
      map('@mn', [
        [[S('x')], mn(-1)],
        [[S('y')], mn(-10)],
      ]),
      map('@av', [
        [[S('q')], avgOf(10)],
        [[S('r')], avgOf(1)],
      ]),
    ];
    // v0.17 transcript, plus the line "@mx[2]: -100" that v0.17's max() bug dropped
    expect(atExit(maps)).toBe(`

@av[r]: 1
@av[q]: 10

@mn[y]: -10
@mn[x]: -1
@mx[2]: -100
@mx[1]: 100
@s[b]: -5
@s[c]: 0
@s[a]: 3
@st[k2]: count 1, average 5, total 5
@st[k1]: count 1, average 100, total 100

`);
  });

  const histTranscript = catA(`$
$
@h: $
(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |$
[0]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |$
[1]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |$
[2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|$
[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |$
[8, 16)                0 |                                                    |$
[16, 32)               0 |                                                    |$
[32, 64)               0 |                                                    |$
[64, 128)              0 |                                                    |$
[128, 256)             0 |                                                    |$
[256, 512)             0 |                                                    |$
[512, 1K)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |$
[1K, 2K)               2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|$
[2K, 4K)               0 |                                                    |$
[4K, 8K)               0 |                                                    |$
[8K, 16K)              0 |                                                    |$
[16K, 32K)             0 |                                                    |$
[32K, 64K)             0 |                                                    |$
[64K, 128K)            0 |                                                    |$
[128K, 256K)           0 |                                                    |$
[256K, 512K)           0 |                                                    |$
[512K, 1M)             0 |                                                    |$
[1M, 2M)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |$
[2M, 4M)               0 |                                                    |$
[4M, 8M)               0 |                                                    |$
[8M, 16M)              0 |                                                    |$
[16M, 32M)             0 |                                                    |$
[32M, 64M)             0 |                                                    |$
[64M, 128M)            0 |                                                    |$
[128M, 256M)           0 |                                                    |$
[256M, 512M)           0 |                                                    |$
[512M, 1G)             0 |                                                    |$
[1G, 2G)               0 |                                                    |$
[2G, 4G)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |$
$
@l: $
(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|$
[0, 10)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|$
[10, 20)               0 |                                                    |$
[20, 30)               0 |                                                    |$
[30, 40)               0 |                                                    |$
[40, 50)               0 |                                                    |$
[50, 60)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|$
[60, 70)               0 |                                                    |$
[70, 80)               0 |                                                    |$
[80, 90)               0 |                                                    |$
[90, 100)              0 |                                                    |$
[100, ...)             1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|$
$
@z: 1$
`);
  const histSamples = [0, 1, 2, 3, -1, 4, 1000, 1024, 1500, 1048576, 5000000000];
  const lhistMap = () => map('@l', [[[], lhistOf([5, 55, 150, -3], 0, 100, 10)]]);

  it('hist and lhist, trailing space after "@h: " (buckets as filled by v0.17)', () => {
    const maps = [map('@z', [[[], val(I(1))]]), lhistMap(), map('@h', [[[], histOf(histSamples, true)]])];
    expect(atExit(maps)).toBe(histTranscript);
  });

  it('DIV-08: hist(5000000000) lands in [4G, 8G)', () => {
    const maps = [map('@z', [[[], val(I(1))]]), lhistMap(), map('@h', [[[], histOf(histSamples)]])];
    const expected = histTranscript.replace(
      '[2G, 4G)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n',
      '[2G, 4G)               0 |                                                    |\n' +
        '[4G, 8G)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n',
    );
    expect(atExit(maps)).toBe(expected);
  });

  it('keyed hist sorted by total count; lhist K/M labels; partial last bucket', () => {
    const maps = [
      map('@z', [[[], lhistOf([5, 1, 10], 3, 10, 2)]]),
      map('@m', [[[], lhistOf([1048576], 0, 3145728, 1048576)]]),
      map('@l', [[[], lhistOf([2048, 5000], 0, 4096, 1024)]]),
      map('@h', [
        [[S('big')], histOf([1, 2, 3])],
        [[S('small')], histOf([100])],
      ]),
    ];
    expect(atExit(maps)).toBe(`

@h[small]: 
[64, 128)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

@h[big]: 
[1]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

@l: 
[2K, 3K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[3K, 4K)               0 |                                                    |
[4K, ...)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

@m: 
[1M, 2M)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

@z: 
(..., 3)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[3, 5)                 0 |                                                    |
[5, 7)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[7, 9)                 0 |                                                    |
[10, ...)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

`);
  });

  it('print() of aggregations mid-run, then cleared maps at exit', () => {
    let out = '';
    out += formatMapText(map('@c', [[[], cnt(1)]]));
    out += formatMapText(map('@h', [[[], histOf([5])]]));
    out += formatMapText(map('@a', [[[], avgOf(4)]]));
    out += formatMapText(map('@s', [[[], statsOf(3)]]));
    out += '--end--\n';
    // after clear(): keyless count map is only zeroed (v0.17), the others are empty
    out += atExit([
      emptyMap('@s', 'stats', false),
      emptyMap('@h', 'hist', false),
      emptyMap('@a', 'avg', false),
      map('@c', [[[], cnt(0)]]),
    ]);
    expect(out).toBe(
      catA(`@c: 1$
@h: $
[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|$
$
@a: 4$
$
@s: count 1, average 3, total 3$
$
--end--$
$
$
$
$
@c: 0$
$
$
$
`),
    );
  });

  it('zero()', () => {
    const zeroHist: AggValue = { kind: 'hist', buckets: new Array(66).fill(0n) };
    const maps = [
      map('@s', [[[], sum(0)]]),
      map('@h', [[[], zeroHist]]),
      map('@c', [
        [[I(2)], cnt(0)],
        [[I(1)], cnt(0)],
      ]),
    ];
    expect(atExit(maps)).toBe(catA(`$
$
@c[1]: 0$
@c[2]: 0$
@h: $
$
@s: 0$
`));
  });

  it('stacks as keys', () => {
    const maps = [
      map('@u', [[[STK([], 'perf')], cnt(1)]]),
      map('@', [[[STK(['pv_native_safe_halt+11', 'default_idle+5', 'default_enter_idle+27'])], cnt(1)]]),
    ];
    expect(atExit(maps)).toBe(`

@[
    pv_native_safe_halt+11
    default_idle+5
    default_enter_idle+27
]: 1
@u[]: 1
`);
  });

  it('stacks in printf %s and print()', () => {
    let out = formatPrintf('[%s]\n', [STK(['pv_native_safe_halt+11', 'default_idle+5'])]);
    out += formatPrintValue(
      STK(['ffffffff821f2c2b pv_native_safe_halt+11', 'ffffffff821f4735 default_idle+5'], 'perf'),
    );
    out += '\n\n';
    expect(out).toBe(
      catA(`[$
        pv_native_safe_halt+11$
        default_idle+5$
]$
$
^Iffffffff821f2c2b pv_native_safe_halt+11$
^Iffffffff821f4735 default_idle+5$
$
$
$
`),
    );
  });

  it('DIV-06: ksym/inet values one entry per line', () => {
    const maps = [
      map('@u', [[[], val(TXT('root'))]]),
      map('@p', [[[I(1)], val(TXT('BEGIN'))]]),
      map('@i', [
        [[I(2)], val(TXT('127.0.0.2'))],
        [[I(1)], val(TXT('127.0.0.1'))],
      ]),
      map('@', [
        [[I(2)], val(TXT('0x1'))],
        [[I(1)], val(TXT('0'))],
      ]),
    ];
    // v0.17 printed "@[1]: 0@[2]: 0x1" and "@i[1]: 127.0.0.1@i[2]: 127.0.0.2"
    expect(atExit(maps)).toBe('\n\n@[1]: 0\n@[2]: 0x1\n@i[1]: 127.0.0.1\n@i[2]: 127.0.0.2\n@p[1]: BEGIN\n@u: root\n');
  });

  it('DIV-06: stack values', () => {
    const m = map('@s', [
      [[I(2)], val(STK(['b']))],
      [[I(1)], val(STK(['a1', 'a2']))],
    ]);
    expect(formatMapText(m)).toBe('@s[1]: \n        a1\n        a2\n\n@s[2]: \n        b\n\n');
  });

  it('print(@map, top, div) as used by tools/syscount.bt', () => {
    const sys = map('@syscall', [
      [[I(0)], cnt(1)],
      [[I(5)], cnt(72)],
      [[I(9)], cnt(1)], // dropped by top (ties with the first 1s, earlier in order)
      [[I(186)], cnt(1)],
      [[I(202)], cnt(36)],
      [[I(3)], cnt(1)],
      [[I(15)], cnt(2)],
      [[I(13)], cnt(2)],
      [[I(232)], cnt(19)],
      [[I(16)], cnt(2)],
      [[I(62)], cnt(4)],
    ]);
    // move 9 and 186 so that the kept ties come out as 186, 0, 3
    sys.entries = [sys.entries[2], sys.entries[3], ...sys.entries.filter((_, i) => i !== 2 && i !== 3)];
    const proc = map('@process', [
      [[S('memfd:sealed-91')], cnt(108)],
      [[S('bpftrace')], cnt(25)],
      [[S('grep')], cnt(1)],
      [[S('timeout')], cnt(9)],
    ]);
    let out = 'Top 10 syscalls IDs:\n' + formatMapText(sys, 10);
    out += '\nTop 10 processes:\n' + formatMapText(proc, 10);
    out += atExit([emptyMap('@syscall', 'count'), emptyMap('@process', 'count')]);
    expect(out).toBe(`Top 10 syscalls IDs:
@syscall[3]: 1
@syscall[9]: 1
@syscall[186]: 1
@syscall[13]: 2
@syscall[15]: 2
@syscall[16]: 2
@syscall[62]: 4
@syscall[232]: 19
@syscall[202]: 36
@syscall[5]: 72

Top 10 processes:
@process[grep]: 1
@process[timeout]: 9
@process[bpftrace]: 25
@process[memfd:sealed-91]: 108




`);
    // The spec transcript shows one blank line less at the very end (its last
    // newline was lost when it was pasted); bpftrace 0.17 on this machine prints
    // "\n\n" + one "\n" per cleared map, as asserted here.
  });

  it('FN-03 print(@, top, div)', () => {
    const m = map('@', [
      [[I(3)], val(I(30))],
      [[I(1)], val(I(10))],
      [[I(4)], val(I(40))],
      [[I(2)], val(I(20))],
    ]);
    expect(formatMapText(m, 2)).toBe('@[3]: 30\n@[4]: 40\n');
    expect(formatMapText(m, 0, 10)).toBe('@[1]: 1\n@[2]: 2\n@[3]: 3\n@[4]: 4\n');
    expect(formatMapText(m, 3, 3)).toBe('@[2]: 6\n@[3]: 10\n@[4]: 13\n');
  });
});

// ---------------------------------------------------------------------------
// Further v0.17 behaviour (checked against /usr/bin/bpftrace 0.17 on this machine)

describe('map printing details (oracle-checked)', () => {
  it('hist div divides counts but not bars; lhist ignores div', () => {
    const h = map('@h', [[[], histOf([1, 2, 2, 3, 8, 8, 8])]]);
    expect(formatMapText(h, 0, 2)).toBe(`@h: 
[1]                    0 |@@@@@@@@@@@@@@@@@                                   |
[2, 4)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[4, 8)                 0 |                                                    |
[8, 16)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

`);
    const l = map('@l', [[[], lhistOf([1, 1, 5], 0, 10, 2)]]);
    expect(formatMapText(l, 0, 2)).toBe(`@l: 
[0, 2)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[2, 4)                 0 |                                                    |
[4, 6)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |

`);
  });

  it('stats ignore top/div; avg honours both; signed division truncates', () => {
    const st = map('@st', [
      [[S('c')], statsOf(100)],
      [[S('a')], statsOf(-7, 2)],
      [[S('b')], statsOf(1)],
    ]);
    expect(formatMapText(st, 1, 2)).toBe(
      '@st[a]: count 2, average -2, total -5\n@st[b]: count 1, average 1, total 1\n@st[c]: count 1, average 100, total 100\n\n',
    );
    const av = map('@av', [
      [[S('a')], avgOf(-7, 2)],
      [[S('c')], avgOf(100)],
      [[S('b')], avgOf(1)],
    ]);
    expect(formatMapText(av, 2, 2)).toBe('@av[b]: 0\n@av[c]: 50\n\n');
    expect(formatMapText(av)).toBe('@av[a]: -2\n@av[b]: 1\n@av[c]: 100\n\n');
    const s = map('@s', [
      [[I(2)], sum(-5)],
      [[I(1)], sum(-9)],
    ]);
    expect(formatMapText(s, 0, 2)).toBe('@s[1]: -4\n@s[2]: -2\n');
    const u = map('@u', [
      [[I(1)], sum(-1, false)],
      [[I(2)], sum(5, false)],
    ]);
    expect(formatMapText(u)).toBe('@u[2]: 5\n@u[1]: 18446744073709551615\n');
  });

  it('tuple values are divided element-wise and sorted by key', () => {
    expect(formatMapText(map('@t', [[[], val(T(I(1), T(I(2), S('x')), S('y')))]]), 0, 2)).toBe('@t: (0, (1, x), y)\n');
    const tt = map('@tt', [
      [[I(2)], val(T(I(4), I(5), S('b')))],
      [[I(1)], val(T(I(10), I(21), S('a')))],
    ]);
    expect(formatMapText(tt, 0, 2)).toBe('@tt[1]: (5, 10, a)\n@tt[2]: (2, 2, b)\n');
  });

  it('buffers, pointers and small ints', () => {
    const maps = [
      map('@u8', [[[], val(U(250, 8))]]),
      map('@pk', [[[{ kind: 'int', value: 16n, signed: false, bits: 64, pointer: true }], val(I(1))]]),
      map('@i8', [[[], val(I(-3, true, 8))]]),
      emptyMap('@e', 'value', false),
      map('@bk', [[[BUF('k\x02')], val(I(3))]]),
      map('@b', [[[], val(BUF('a\x01"b'))]]),
      emptyMap('@av', 'avg', false),
    ];
    expect(atExit(maps)).toBe('\n\n\n\n@b: a\\x01"b\n@bk[k\\x02]: 3\n\n@i8: -3\n@pk[0x10]: 1\n@u8: 250\n');
  });

  it('map names sort byte-wise', () => {
    const names = ['@b', '@a2', '@_x', '@a', '@Z', '@', '@A'];
    const out = formatMapsAtExit(names.map((n) => map(n, [[[], val(I(1))]])));
    expect(out).toBe('@: 1\n@A: 1\n@Z: 1\n@_x: 1\n@a: 1\n@a2: 1\n@b: 1\n');
  });

  it('string keys compare bytewise (strncmp), integer keys unsigned per width', () => {
    const m = map('@m', [
      [[S('b')], val(S('1'))],
      [[S('ab')], val(S('2'))],
      [[S('a')], val(S('3'))],
      [[S('B')], val(S('4'))],
      [[S('\xe9')], val(S('5'))],
    ]);
    expect(formatMapText(m)).toBe('@m[B]: 4\n@m[a]: 3\n@m[ab]: 2\n@m[b]: 1\n@m[\xe9]: 5\n');
    const n = map('@n', [
      [[I(-1, true, 32)], val(S('x'))],
      [[I(7, true, 32)], val(S('y'))],
    ]);
    expect(formatMapText(n)).toBe('@n[7]: y\n@n[-1]: x\n');
  });

  it('hist labels up to 2^64 (DIV-08)', () => {
    expect(histLabel(0)).toBe('(..., 0)');
    expect(histLabel(11)).toBe('[512, 1K)');
    expect(histLabel(34)).toBe('[4G, 8G)');
    expect(histLabel(42)).toBe('[1T, 2T)');
    expect(histLabel(52)).toBe('[1P, 2P)');
    expect(histLabel(62)).toBe('[1E, 2E)');
    expect(histLabel(65)).toBe('[8E, 16E)');
    expect(lhistLabel(1, 0n, 4096n, 512n)).toBe('[0, 512)');
    expect(lhistLabel(3, 0n, 4096n, 512n)).toBe('[1K, 1536)');
    const top = histOf([2n ** 64n - 1n]);
    expect(formatHistRows(top.kind === 'hist' ? top.buckets : [])).toBe(
      '[8E, 16E)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n',
    );
  });

  it('single-precision bar widths', () => {
    const rows = formatHistRows([0n, 0n, 1n, 3n, 2n, 7n], 1n).split('\n').slice(0, 4);
    expect(rows.map((r) => (r.split('|')[1].match(/@/g) ?? []).length)).toEqual([7, 22, 14, 52]);
  });

  it('empty maps print their terminators', () => {
    expect(formatMapText(emptyMap('@x', 'count'))).toBe('\n');
    expect(formatMapText(emptyMap('@x', 'hist'))).toBe('\n');
    expect(formatMapText(emptyMap('@x', 'lhist'))).toBe('\n');
    expect(formatMapText(emptyMap('@x', 'avg'))).toBe('\n\n');
    expect(formatMapText(emptyMap('@x', 'stats'))).toBe('\n\n');
  });
});

describe('value text', () => {
  it('print() values (FN-02)', () => {
    expect(formatValueText(I(123))).toBe('123');
    expect(formatValueText(I(-5))).toBe('-5');
    expect(formatValueText(S('abc'))).toBe('abc');
    expect(formatValueText(T(I(1), S('a'), I(-2)))).toBe('(1, a, -2)');
    expect(formatValueText(T(I(1), T(I(2), S('x'))))).toBe('(1, (2, x))');
    expect(formatValueText(U(2n ** 64n - 1n))).toBe('18446744073709551615');
    expect(formatValueText(I(255, true, 8))).toBe('-1');
    expect(formatValueText(BUF('ab\ncd'))).toBe('ab\\x0acd');
    expect(formatValueText(STK([]))).toBe('');
  });
});

// ---------------------------------------------------------------------------
// printf (§5.1 FN-01, §10)

describe('printf', () => {
  it('widths and conversions (§10)', () => {
    const fmt = '[%d][%5d][%-5d|][%05d][%x][%X][%o][%u][%c][%s][%10s][%-10s|][%.2s][%p]\n';
    const args = [I(42), I(42), I(42), I(42), I(255), I(255), I(8), I(-1), I(65), S('str'), S('right'), S('left'), S('abcdef'), I(4096)];
    expect(formatPrintf(fmt, args)).toBe('[42][   42][42   |][00042][ff][FF][10][4294967295][A][str][     right][left      |][ab][0x1000]\n');
  });

  it('32-bit truncation without a length modifier (DIV-10)', () => {
    const x = I(4294967301);
    expect(formatPrintf('%d %x %u %ld\n', [x, x, x, x])).toBe('5 5 5 4294967301\n');
    const n = I(-1);
    expect(formatPrintf('%x %lx %d\n', [n, n, U(0xffffffff, 32)])).toBe('ffffffff ffffffffffffffff -1\n');
  });

  it('length modifiers', () => {
    const args = [I(-1), I(255), I(257), I(65537), I(-2), I(-3), I(7), I(8)];
    expect(formatPrintf('%lu %llx %hhd %hd %ld %lld %zu %jd\n', args)).toBe('18446744073709551615 ff 1 1 -2 -3 7 8\n');
  });

  it('%% prints % everywhere (DIV-11)', () => {
    expect(formatPrintf('100%%\n', [])).toBe('100%\n');
    expect(formatPrintf('%d%% done %d%%\n', [I(5), I(6)])).toBe('5% done 6%\n');
    expect(parsePrintfFormat('%%d %d')).toHaveLength(1);
  });

  it('oracle: %c, precision, zero flag, %p, sign extension', () => {
    expect(formatPrintf('A[%c][%c]\n', [I(0), I(321)])).toBe('A[][A]\n');
    expect(formatPrintf('B[%-5c][%5c]\n', [I(65), I(66)])).toBe('B[A    ][    B]\n');
    expect(formatPrintf('C[%-8.3s|][%8.3s]\n', [S('abcdef'), S('abcdef')])).toBe('C[abc     |][     abc]\n');
    expect(formatPrintf('D[%05s]\n', [S('ab')])).toBe('D[   ab]\n');
    expect(formatPrintf('E[%.3d][%8.3d][%-08d|][%08.3d]\n', [I(42), I(42), I(42), I(42)])).toBe(
      'E[042][     042][42      |][     042]\n',
    );
    expect(formatPrintf('F[%p][%5p][%-10p|][%020p]\n', [I(0), I(1), I(2), I(3)])).toBe(
      'F[(nil)][  0x1][0x2       |][0x000000000000000003]\n',
    );
    expect(
      formatPrintf('G[%ld][%ld][%d][%lu][%lu]\n', [I(-1, true, 8), I(-1, true, 32), I(-1, true, 8), I(-1, true, 16), U(0xffffffff, 32)]),
    ).toBe('G[-1][-1][-1][18446744073709551615][4294967295]\n');
    expect(formatPrintf('H[%o][%lo][%X][%lX]\n', [I(-1), I(-1), I(-1), I(-1)])).toBe(
      'H[37777777777][1777777777777777777777][FFFFFFFF][FFFFFFFFFFFFFFFF]\n',
    );
    expect(formatPrintf('I[%hhu][%hu][%hhx][%hx][%hho]\n', [I(-1), I(-1), I(-1), I(-1), I(-1)])).toBe(
      'I[255][65535][ff][ffff][377]\n',
    );
    expect(formatPrintf('J[%zd][%td][%jd][%zx][%tu][%jx]\n', [I(-1), I(-1), I(-1), I(-1), I(-1), I(-1)])).toBe(
      'J[-1][-1][-1][ffffffffffffffff][18446744073709551615][ffffffffffffffff]\n',
    );
    expect(formatPrintf('K[%lld][%llu][%llx]\n', [I(-5), I(-5), I(-5)])).toBe(
      'K[-5][18446744073709551611][fffffffffffffffb]\n',
    );
  });

  it('unsigned 8-bit values and casts (§10)', () => {
    expect(formatPrintf('%d %d %d\n', [U(44, 8), I(-56, true, 8), U(65535, 16)])).toBe('44 -56 65535\n');
    expect(formatPrintf('%ld %ld %ld\n', [U(4611686018427387900n), U(9223372036854775806n), U(1)])).toBe(
      '4611686018427387900 9223372036854775806 1\n',
    );
  });

  it('buffers %r %rx %rh and string-like %s', () => {
    expect(formatPrintf('A[%r][%rx][%rh]\n', [BUF('ab\ncd'), BUF('ab'), BUF('ab')])).toBe('A[ab\\x0acd][\\x61\\x62][61 62]\n');
    expect(formatPrintf('[%r]\n', [BUF('a\x01\x7f\xff~ ')])).toBe('[a\\x01\\x7f\\xff~ ]\n');
    expect(formatPrintf('D[%5s][%-5s|]\n', [TXT('BEGIN'), S('bpftrace')])).toBe('D[BEGIN][bpftrace|]\n');
    // width on %r follows HEAD (v0.17 printed the spec literally)
    expect(formatPrintf('[%6r]', [BUF('ab')])).toBe('[    ab]');
  });

  it('HEAD flag superset (DIV-12)', () => {
    expect(formatPrintf('%i|%+d|% d|%+d|%#x|%#o|%#X|%+5d|%-+5d|%05d|%#08x', [I(7), I(5), I(5), I(-5), I(255), I(8), I(255), I(3), I(3), I(-42), I(255)])).toBe(
      '7|+5| 5|-5|0xff|010|0XFF|   +3|+3   |-0042|0x0000ff',
    );
    expect(formatPrintf('%.0d|%#.0x|%#.0o', [I(0), I(0), I(0)])).toBe('||0');
  });

  it('byte semantics of %s width/precision and %c (byte strings)', () => {
    const e = toByteString('é');
    expect(Buffer.from(formatPrintf('[%s][%5s][%.1s][%c]\n', [S(e), S(e), S(e), I(233)]), 'latin1')).toEqual(
      Buffer.from([0x5b, 0xc3, 0xa9, 0x5d, 0x5b, 0x20, 0x20, 0x20, 0xc3, 0xa9, 0x5d, 0x5b, 0xc3, 0x5d, 0x5b, 0xe9, 0x5d, 0x0a]),
    );
  });

  it('non-conversions are literal', () => {
    expect(parsePrintfFormat('%f %ls 100% %.d %')).toEqual([]);
    expect(formatPrintf('%f %ls %', [])).toBe('%f %ls %');
  });

  it('parse exposes specs', () => {
    const specs = parsePrintfFormat('x %-05.3lld %rx');
    expect(Array.isArray(specs)).toBe(true);
    if (!Array.isArray(specs)) return;
    expect(specs.map((s) => [s.text, s.token, s.width, s.precision, s.minus, s.zero, s.argKind])).toEqual([
      ['%-05.3lld', 'lld', 5, 3, true, true, 'integer'],
      ['%rx', 'rx', -1, -1, false, false, 'buffer'],
    ]);
  });

  it('compilePrintf handles many arguments', () => {
    const f = compilePrintf('%d-%d-%d-%d-%s\n');
    expect(f([I(1), I(2), I(3), I(4), S('x')])).toBe('1-2-3-4-x\n');
    expect(compilePrintf('plain')([])).toBe('plain');
  });

  it('checkPrintfArgs messages', () => {
    expect(checkPrintfArgs('%d %d', ['integer'])).toBe('printf: Not enough arguments for format string (1 supplied, 2 expected)');
    expect(checkPrintfArgs('%d', ['integer', 'integer'])).toBe('printf: Too many arguments for format string (2 supplied, 1 expected)');
    expect(checkPrintfArgs('%d', ['string'])).toBe('printf: %d specifier expects a value of type integer (string supplied)');
    expect(checkPrintfArgs('%s', ['buffer'])).toBe('printf: %s specifier expects a value of type string (buffer supplied)');
    expect(checkPrintfArgs('%s', ['integer'])).toBe('printf: %s specifier expects a value of type string (integer supplied)');
    expect(checkPrintfArgs('%lu', ['other'], ['tuple'])).toBe('printf: %lu specifier expects a value of type integer (tuple supplied)');
    expect(checkPrintfArgs('%s %p %c %r %rh', ['string', 'integer', 'integer', 'buffer', 'other'])).toBeNull();
    // v0.17: unsupported conversions are not conversions at all
    expect(checkPrintfArgs('%f', ['integer'])).toBe('printf: Too many arguments for format string (1 supplied, 0 expected)');
    expect(checkPrintfArgs('100%%', [])).toBeNull();
  });
});

// ---------------------------------------------------------------------------
// JSON (§8.2)

describe('json', () => {
  it('scalar maps', () => {
    expect(formatMapJson(map('@scalar', [[[], val(I(5))]]))).toBe('{"type": "map", "data": {"@scalar": 5}}');
    expect(formatMapJson(map('@scalar_str', [[[], val(S('a b \n d e'))]]))).toBe(
      '{"type": "map", "data": {"@scalar_str": "a b \\n d e"}}',
    );
    expect(formatMapJson(map('@complex', [[[S('bpftrace'), I(2)], val(I(5))]]))).toBe(
      '{"type": "map", "data": {"@complex": {"bpftrace,2": 5}}}',
    );
  });

  it('keyed hist', () => {
    const m = map('@', [
      [[S('curl')], histOf([-1, 0, 511, 1024, 1025])],
      [[S('bpftrace')], histOf([2])],
    ]);
    expect(formatMapJson(m)).toBe(
      '{"type": "hist", "data": {"@": {"bpftrace": [{"min": 2, "max": 3, "count": 1}], "curl": [{"max": -1, "count": 1}, {"min": 0, "max": 0, "count": 1}, {"min": 1, "max": 1, "count": 0}, {"min": 2, "max": 3, "count": 0}, {"min": 4, "max": 7, "count": 0}, {"min": 8, "max": 15, "count": 0}, {"min": 16, "max": 31, "count": 0}, {"min": 32, "max": 63, "count": 0}, {"min": 64, "max": 127, "count": 0}, {"min": 128, "max": 255, "count": 0}, {"min": 256, "max": 511, "count": 1}, {"min": 512, "max": 1023, "count": 0}, {"min": 1024, "max": 2047, "count": 2}]}}}',
    );
  });

  it('lhist', () => {
    expect(formatMapJson(map('@h', [[[], lhistOf([2, 50, 1000], 0, 100, 10)]]))).toBe(
      '{"type": "hist", "data": {"@h": [{"min": 0, "max": 9, "count": 1}, {"min": 10, "max": 19, "count": 0}, {"min": 20, "max": 29, "count": 0}, {"min": 30, "max": 39, "count": 0}, {"min": 40, "max": 49, "count": 0}, {"min": 50, "max": 59, "count": 1}, {"min": 60, "max": 69, "count": 0}, {"min": 70, "max": 79, "count": 0}, {"min": 80, "max": 89, "count": 0}, {"min": 90, "max": 99, "count": 0}, {"min": 100, "count": 1}]}}',
    );
    expect(formatMapJson(map('@u', [[[], lhistOf([-5], 3, 10, 1)]]))).toBe(
      '{"type": "hist", "data": {"@u": [{"max": 2, "count": 1}]}}',
    );
  });

  it('stats', () => {
    const m = map('@stats', [
      [[S('zsh')], statsOf(10)],
      [[S('curl')], statsOf(2)],
    ]);
    expect(formatMapJson(m)).toBe(
      '{"type": "stats", "data": {"@stats": {"curl": {"count": 1, "average": 2, "total": 2}, "zsh": {"count": 1, "average": 10, "total": 10}}}}',
    );
    expect(formatMapJson(map('@stats', [[[], statsOf(2, 10)]]))).toBe(
      '{"type": "stats", "data": {"@stats": {"count": 2, "average": 6, "total": 12}}}',
    );
  });

  it('record types per aggregation', () => {
    const maps = [
      map('@k', [[[I(1), S('x')], cnt(1)]]),
      map('@e', [[[], avgOf(7)]]),
      map('@d', [[[], mx(5)]]),
      map('@c', [[[], mn(4)]]),
      map('@b', [[[], sum(-3)]]),
      map('@a', [[[], cnt(1)]]),
    ];
    expect(formatMapsAtExitJson(maps).join('\n')).toBe(`{"type": "map", "data": {"@a": 1}}
{"type": "map", "data": {"@b": -3}}
{"type": "map", "data": {"@c": 4}}
{"type": "map", "data": {"@d": 5}}
{"type": "stats", "data": {"@e": 7}}
{"type": "map", "data": {"@k": {"1,x": 1}}}`);
  });

  it('printf escaping', () => {
    expect(jsonPrintf('test \r \n \t \\ " bar')).toBe('{"type": "printf", "data": "test \\r \\n \\t \\\\ \\" bar"}');
    expect(jsonPrintf('ctl\x01 tab\t\n')).toBe('{"type": "printf", "data": "ctl\\u0001 tab\\t\\n"}');
    // DIV-09: bytes >= 0x80 pass through (v0.17 wrote \uffffffc3\uffffffa9)
    expect(jsonPrintf('caf\xc3\xa9 \x7f\n')).toBe('{"type": "printf", "data": "caf\xc3\xa9 \x7f\\n"}');
  });

  it('print(@a) sorted by value; empty map → no record', () => {
    const a = map('@a', [
      [[I(3)], val(I(30))],
      [[I(1)], val(I(10))],
      [[I(-2)], val(I(5))],
    ]);
    expect(formatMapJson(a)).toBe('{"type": "map", "data": {"@a": {"-2": 5, "1": 10, "3": 30}}}');
    expect(formatMapJson(emptyMap('@e', 'value'))).toBeNull();
    expect(formatMapsAtExitJson([emptyMap('@e', 'value'), a])).toEqual([
      '{"type": "map", "data": {"@a": {"-2": 5, "1": 10, "3": 30}}}',
    ]);
  });

  it('avg with top and div', () => {
    const m = map('@', [
      [[S('b')], avgOf(20)],
      [[S('d')], avgOf(40)],
      [[S('a')], avgOf(10)],
      [[S('c')], avgOf(30)],
    ]);
    expect(formatMapJson(m, 2, 10)).toBe('{"type": "stats", "data": {"@": {"c": 3, "d": 4}}}');
  });

  it('values', () => {
    expect(jsonValue(T(I(1), I(2), S('string')))).toBe('{"type": "value", "data": [1,2,"string"]}');
    expect(jsonValue(I(5))).toBe('{"type": "value", "data": 5}');
    expect(jsonValue(S('bpftrace'))).toBe('{"type": "value", "data": "bpftrace"}');
    expect(formatMapJson(map('@b', [[[], val(BUF('ab'))]]))).toBe('{"type": "map", "data": {"@b": "ab"}}');
    expect(formatMapJson(map('@s', [[[], val(S('x'))]]))).toBe('{"type": "map", "data": {"@s": "x"}}');
    expect(formatMapJson(map('@t', [[[], val(T(I(1), S('a')))]]))).toBe('{"type": "map", "data": {"@t": [1,"a"]}}');
    // DIV-09: timestamps are quoted (v0.17: {"@ts": 2026})
    expect(formatMapJson(map('@ts', [[[], val(TXT('2026'))]]))).toBe('{"type": "map", "data": {"@ts": "2026"}}');
  });

  it('oracle: divided hist, buffers, nested tuples, ksym, negative multi-key, u64', () => {
    expect(formatMapJson(map('@h', [[[], histOf([1, 2, 2, 3])]]), 0, 2)).toBe(
      '{"type": "hist", "data": {"@h": [{"min": 1, "max": 1, "count": 0}, {"min": 2, "max": 3, "count": 1}]}}',
    );
    expect(formatMapJson(map('@l', [[[], lhistOf([1, 1, 5], 0, 10, 2)]]), 0, 2)).toBe(
      '{"type": "hist", "data": {"@l": [{"min": 0, "max": 1, "count": 2}, {"min": 2, "max": 3, "count": 0}, {"min": 4, "max": 5, "count": 1}]}}',
    );
    expect(formatMapJson(map('@b', [[[], val(BUF('a\x01"b'))]]))).toBe('{"type": "map", "data": {"@b": "a\\\\x01\\"b"}}');
    expect(formatMapJson(map('@t', [[[], val(T(I(1), T(I(2), S('x\n')), S('y')))]]))).toBe(
      '{"type": "map", "data": {"@t": [1,[2,"x\\n"],"y"]}}',
    );
    expect(formatMapJson(map('@k', [[[TXT('0')], val(I(1))]]))).toBe('{"type": "map", "data": {"@k": {"0": 1}}}');
    expect(formatMapJson(map('@kv', [[[I(1)], val(TXT('0'))]]))).toBe('{"type": "map", "data": {"@kv": {"1": "0"}}}');
    expect(formatMapJson(map('@neg', [[[I(-5), S('q')], val(I(-5))]]))).toBe('{"type": "map", "data": {"@neg": {"-5,q": -5}}}');
    expect(formatMapJson(map('@u', [[[], val(U(2n ** 64n - 1n))]]))).toBe('{"type": "map", "data": {"@u": 18446744073709551615}}');
    expect(formatMapJson(map('@s', [[[S('a"b\\c')], val(S('v\tq'))]]))).toBe('{"type": "map", "data": {"@s": {"a\\"b\\\\c": "v\\tq"}}}');
    const zeroHist: AggValue = { kind: 'hist', buckets: new Array(66).fill(0n) };
    expect(formatMapJson(map('@h', [[[], zeroHist]]))).toBe('{"type": "hist", "data": {"@h": []}}');
  });

  it('stack keys', () => {
    expect(formatMapJson(map('@', [[[STK(['pv_native_safe_halt+11', 'default_idle+5'])], cnt(1)]]))).toBe(
      '{"type": "map", "data": {"@": {"\\n    pv_native_safe_halt+11\\n    default_idle+5\\n": 1}}}',
    );
  });

  it('other records', () => {
    expect(jsonAttachedProbes(1)).toBe('{"type": "attached_probes", "data": {"probes": 1}}');
    expect(jsonMessage('time', '02:42:43\n')).toBe('{"type": "time", "data": "02:42:43\\n"}');
    expect(jsonMessage('syscall', 'hi\n')).toBe('{"type": "syscall", "data": "hi\\n"}');
    expect(jsonEscape('plain')).toBe('plain');
    expect(formatValueJson({ kind: 'int', value: 4096n, signed: false, bits: 64, pointer: true })).toBe('4096');
  });
});

// ---------------------------------------------------------------------------
// Large inputs. Speed is measured by `npm run bench`, never asserted here.

describe('large inputs', () => {
  it('prints every entry of a 100k-key map, sorted by value', () => {
    const entries: [Value[], AggValue][] = [];
    for (let i = 0; i < 100_000; i++) entries.push([[I((i * 7919) % 100_003)], cnt((i * 31) % 1000)]);
    const m = map('@m', entries);
    const out = formatMapText(m);
    const lines = out.split('\n');
    expect(lines.length).toBe(100_001);
    const values = lines.slice(0, -1).map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
    expect(values.every((v, i) => i === 0 || values[i - 1] <= v)).toBe(true);
    const s = map(
      '@s',
      entries.map(([k], i): [Value[], AggValue] => [[S('k' + ((i * 7919) % 100_003)), k[0]], val(S('x'))]),
    );
    expect(formatMapText(s).split('\n').length).toBe(100_001);
    expect(JSON.parse(formatMapJson(m)!).data['@m']).toBeTypeOf('object');
  });

  it('a compiled printf formats repeatedly with the same result', () => {
    const f = compilePrintf('%-6d %-16s %s %lu\n');
    const args = [I(1234), S('bpftrace'), S('/etc/passwd'), U(99)];
    expect(f(args)).toBe('1234   bpftrace         /etc/passwd 99\n');
    expect(f(args)).toBe('1234   bpftrace         /etc/passwd 99\n');
  });
});
