// printf formatted straight from ring-buffer records (src/runtime/printf-record.ts,
// and in C++ by the native consumer for text output: native/src/ringbuf.cc)
// must print exactly what the general path (decodeValue + compilePrintf) prints,
// for every conversion it takes and integers at the edges of every width. Records
// are built here the way BPF code writes them: a u64 header, then each argument as a
// 64-bit word extended from its own width (strings: the bytes, NUL-padded).
// The general path is itself tested against bpftrace 0.17 (test/differential.test.ts).
import { describe, expect, it } from 'vitest';
import type { Type } from '../src/checker/types';
import { compilePrintf } from '../src/output/printf';
import { decodeValue } from '../src/runtime/decode';
import { compileRecordPrintf, recordPrintfFormat } from '../src/runtime/printf-record';
import { native } from '../src/runtime/native';

/** The native consumer's text for `rec` (text output formats these sites in C++, see ringbufSetFormats). */
function nativeText(fmt: string, types: Type[], offsets: number[], rec: Buffer): string {
  const f = recordPrintfFormat(0, fmt, types, offsets)!;
  return native.formatRecordsForTest([f], [rec])[0].toString('latin1');
}

const int = (bits: number, signed: boolean): Type => ({ kind: 'int', bits, signed });

function record(words: bigint[], str?: string): Buffer {
  const rec = Buffer.alloc(8 + words.length * 8 + (str !== undefined ? 16 : 0));
  words.forEach((w, i) => rec.writeBigUInt64LE(BigInt.asUintN(64, w), 8 + i * 8));
  if (str !== undefined) rec.write(str, 8 + words.length * 8, 'latin1');
  return rec;
}

const EDGES = [0n, 1n, -1n, 127n, -128n, 255n, 32767n, -32768n, 65535n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 32n - 1n, 2n ** 32n,
  2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n), 123456789012n, -987654321098n];

/** The word BPF code stores for value v of type t: v truncated to t's width, then extended per its signedness. */
function stored(v: bigint, t: Extract<Type, { kind: 'int' }>): bigint {
  return t.signed ? BigInt.asIntN(t.bits, v) : BigInt.asUintN(t.bits, v);
}

describe('printf from records', () => {
  const convs = ['%d', '%i', '%u', '%x', '%X', '%o', '%ld', '%lu', '%lx', '%lld', '%llu', '%hhd', '%hhu', '%hd', '%hu', '%zu', '%jd'];
  for (const bits of [8, 16, 32, 64]) {
    for (const signed of [true, false]) {
      it(`every integer conversion of a ${signed ? 's' : 'u'}${bits} prints as the general path does`, () => {
        const t = int(bits, signed) as Extract<Type, { kind: 'int' }>;
        for (const conv of convs) {
          const fmt = `a ${conv} b\n`;
          const fast = compileRecordPrintf(fmt, [t], [8]);
          expect(fast, fmt).toBeDefined();
          const slow = compilePrintf(fmt);
          for (const v of EDGES) {
            const rec = record([stored(v, t)]);
            const want = slow([decodeValue(rec, 8, t, { probeNames: [] })]);
            expect(fast!(rec), `${fmt} ${v}`).toBe(want);
            expect(nativeText(fmt, [t], [8], rec), `native ${fmt} ${v}`).toBe(want);
          }
        }
      });
    }
  }

  it('strings and several arguments (the benchmark format: pid, tid, comm, cpu)', () => {
    const types: Type[] = [int(64, false), int(64, false), { kind: 'string', size: 16 }, int(64, false)];
    const fmt = '%d %d %s %d\n';
    const fast = compileRecordPrintf(fmt, types, [8, 16, 24, 40])!;
    const slow = compilePrintf(fmt);
    for (const name of ['loadgen', '', 'exactly16bytes!!', 'x']) {
      const rec = Buffer.alloc(48);
      rec.writeBigUInt64LE(4242n, 8);
      rec.writeBigUInt64LE(4243n, 16);
      rec.write(name.slice(0, 16), 24, 'latin1');
      rec.writeBigUInt64LE(1n, 40);
      const args = types.map((t, i) => decodeValue(rec, [8, 16, 24, 40][i], t, { probeNames: [] }));
      expect(fast(rec)).toBe(slow(args));
      expect(nativeText(fmt, types, [8, 16, 24, 40], rec)).toBe(slow(args));
    }
  });

  it('the native consumer leaves records of other sites alone', () => {
    const f = recordPrintfFormat(3, '%d\n', [int(64, true)], [8])!;
    const other = record([5n]); // header 0: site 0, not site 3
    expect(native.formatRecordsForTest([f], [other])[0].length).toBe(0);
    const mine = record([5n]);
    mine.writeBigUInt64LE(3n, 0);
    expect(native.formatRecordsForTest([f], [mine])[0].toString()).toBe('5\n');
  });

  it('leaves flags, widths, precisions and other conversions to the general path', () => {
    for (const fmt of ['%5d', '%-d', '%05d', '%.3d', '%+d', '%#x', '%c', '%p', '%10s', '%.2s', '%r']) {
      expect(compileRecordPrintf(fmt, [int(64, true)], [8]), fmt).toBeUndefined();
    }
    expect(compileRecordPrintf('%s', [int(64, true)], [8])).toBeUndefined();
    expect(compileRecordPrintf('%d', [{ kind: 'string', size: 16 }], [8])).toBeUndefined();
  });
});
