// The BTF a program with callback subprograms must be loaded with: the
// verifier requires func_info for every function (`missing btf func_info`
// otherwise) and a callback's FUNC must have static linkage. tstrace's
// functions all have one of two fixed signatures, so one constant blob serves
// every program:
//   [1] INT long (64-bit signed)    [2] PTR -> void
//   [3] FUNC_PROTO long (void *ctx)
//   [4] FUNC_PROTO long (void *map, void *key, void *value, void *ctx)
//   [5] FUNC probe (global, [3])    [6] FUNC loop_body (static, [4])
import { BTF_INT_SIGNED, BTF_MAGIC, BtfFuncLinkage, BtfKind } from '../btf/kinds';

export const BTF_PROBE_FUNC = 5;
export const BTF_CALLBACK_FUNC = 6;

export function programBtf(): Buffer {
  const strings: string[] = [];
  let strLen = 1; // offset 0 is the empty string
  const name = (s: string): number => {
    const off = strLen;
    strings.push(s);
    strLen += Buffer.byteLength(s) + 1;
    return off;
  };
  const words: number[] = [];
  const type = (nameOff: number, kind: number, vlen: number, sizeOrType: number) => words.push(nameOff, (kind << 24) | vlen, sizeOrType);
  const param = (p: string) => words.push(name(p), 2);

  type(name('long'), BtfKind.INT, 0, 8);
  words.push((BTF_INT_SIGNED << 24) | 64);
  type(0, BtfKind.PTR, 0, 0);
  type(0, BtfKind.FUNC_PROTO, 1, 1);
  param('ctx');
  type(0, BtfKind.FUNC_PROTO, 4, 1);
  for (const p of ['map', 'key', 'value', 'ctx']) param(p);
  type(name('probe'), BtfKind.FUNC, BtfFuncLinkage.GLOBAL, 3);
  type(name('loop_body'), BtfKind.FUNC, BtfFuncLinkage.STATIC, 4);

  const typeBytes = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => typeBytes.writeUInt32LE(w >>> 0, i * 4));
  const strBytes = Buffer.concat([Buffer.from([0]), ...strings.map((s) => Buffer.from(s + '\0'))]);
  const header = Buffer.alloc(24);
  header.writeUInt16LE(BTF_MAGIC, 0);
  header.writeUInt8(1, 2); // version
  header.writeUInt8(0, 3); // flags
  header.writeUInt32LE(24, 4); // hdr_len
  header.writeUInt32LE(0, 8); // type_off
  header.writeUInt32LE(typeBytes.length, 12);
  header.writeUInt32LE(typeBytes.length, 16); // str_off
  header.writeUInt32LE(strBytes.length, 20);
  return Buffer.concat([header, typeBytes, strBytes]);
}

/** func_info records for a program whose subprograms start at `offsets` (instruction indexes). */
export function funcInfo(offsets: number[]): Buffer {
  const buf = Buffer.alloc((offsets.length + 1) * 8);
  buf.writeUInt32LE(0, 0);
  buf.writeUInt32LE(BTF_PROBE_FUNC, 4);
  offsets.forEach((off, i) => {
    buf.writeUInt32LE(off, (i + 1) * 8);
    buf.writeUInt32LE(BTF_CALLBACK_FUNC, (i + 1) * 8 + 4);
  });
  return buf;
}
