// printf straight from a ring-buffer record: the common conversions (%d %i
// %u %x %X %o without flags, width or precision, %s of a string) read the
// record's bytes and format numbers, with no Value objects and a BigInt only
// for integers beyond 2^53. The output is formatPrintf's; any other format
// or argument type goes through decodeValue and compilePrintf instead. In
// text mode the native consumer formats the same sites itself
// (recordPrintfFormat describes them to it); this path serves JSON output
// and records that reach JS one by one.
import type { Type } from '../checker/types';
import { parsePrintfParts, type PrintfSpec } from '../output/printf';
import type { NativePrintfFormat } from './native';

type Piece = (rec: Buffer) => string;

const TWO_32 = 4294967296;

function signedPiece(off: number, bits: number): Piece {
  if (bits === 8) return (rec) => String(rec.readInt8(off));
  if (bits === 16) return (rec) => String(rec.readInt16LE(off));
  if (bits === 32) return (rec) => String(rec.readInt32LE(off));
  return (rec) => {
    const hi = rec.readInt32LE(off + 4);
    return hi >= -0x200000 && hi < 0x200000 ? String(hi * TWO_32 + rec.readUInt32LE(off)) : rec.readBigInt64LE(off).toString();
  };
}

function unsignedPiece(off: number, bits: number, radix: number, upper: boolean): Piece {
  const text = upper ? (n: number | bigint) => n.toString(radix).toUpperCase() : (n: number | bigint) => n.toString(radix);
  if (bits === 8) return (rec) => text(rec.readUInt8(off));
  if (bits === 16) return (rec) => text(rec.readUInt16LE(off));
  if (bits === 32) return (rec) => text(rec.readUInt32LE(off));
  return (rec) => {
    const hi = rec.readUInt32LE(off + 4);
    return hi < 0x200000 ? text(hi * TWO_32 + rec.readUInt32LE(off)) : text(rec.readBigUInt64LE(off));
  };
}

function stringPiece(off: number, size: number): Piece {
  return (rec) => {
    const end = rec.indexOf(0, off);
    return rec.toString('latin1', off, end < 0 || end > off + size ? off + size : end);
  };
}

/** Bits the conversion sees (0.17: a plain %d is 32 bits). */
function convBits(spec: PrintfSpec): number {
  return spec.length === 'hh' ? 8 : spec.length === 'h' ? 16 : spec.length === '' ? 32 : 64;
}

type Conv = NativePrintfFormat['convs'][number];

function conversion(spec: PrintfSpec, t: Type | undefined, offset: number): Conv | undefined {
  if (t === undefined || spec.width >= 0 || spec.precision >= 0 || spec.minus || spec.plus || spec.space || spec.hash || spec.zero) return undefined;
  if (spec.conv === 's') return t.kind === 'string' ? { conv: 's', offset, bits: 0, size: t.size } : undefined;
  // Integer arguments are stored as 64-bit words extended from their own width, so the low bits are the C value.
  if (t.kind !== 'int') return undefined;
  const bits = convBits(spec);
  switch (spec.conv) {
    case 'd': case 'i': return { conv: 'd', offset, bits, size: 0 };
    case 'u': case 'x': case 'X': case 'o': return { conv: spec.conv, offset, bits, size: 0 };
    default: return undefined;
  }
}

/** A printf site in the form both fast paths take (this module and the native consumer), or undefined. */
export function recordPrintfFormat(id: number, format: string, argTypes: Type[], offsets: number[]): NativePrintfFormat | undefined {
  const parts = parsePrintfParts(format);
  if ('error' in parts) return undefined;
  const { literals, specs } = parts;
  if (specs.length > argTypes.length) return undefined;
  const convs: Conv[] = [];
  for (let i = 0; i < specs.length; i++) {
    const c = conversion(specs[i], argTypes[i], offsets[i]);
    if (!c) return undefined;
    convs.push(c);
  }
  return { id, literals, convs };
}

function piece(c: Conv): Piece {
  switch (c.conv) {
    case 's': return stringPiece(c.offset, c.size);
    case 'd': return signedPiece(c.offset, c.bits);
    case 'u': return unsignedPiece(c.offset, c.bits, 10, false);
    case 'x': return unsignedPiece(c.offset, c.bits, 16, false);
    case 'X': return unsignedPiece(c.offset, c.bits, 16, true);
    case 'o': return unsignedPiece(c.offset, c.bits, 8, false);
  }
}

/** The formatter of one printf site's records, or undefined when it needs the general path. */
export function compileRecordPrintf(format: string, argTypes: Type[], offsets: number[]): ((rec: Buffer) => string) | undefined {
  const f = recordPrintfFormat(0, format, argTypes, offsets);
  if (!f) return undefined;
  const { literals } = f;
  const pieces = f.convs.map(piece);
  const [l0, l1, l2, l3, l4] = literals;
  const [p0, p1, p2, p3] = pieces;
  switch (pieces.length) {
    case 0: return () => l0;
    case 1: return (rec) => l0 + p0(rec) + l1;
    case 2: return (rec) => l0 + p0(rec) + l1 + p1(rec) + l2;
    case 3: return (rec) => l0 + p0(rec) + l1 + p1(rec) + l2 + p2(rec) + l3;
    case 4: return (rec) => l0 + p0(rec) + l1 + p1(rec) + l2 + p2(rec) + l3 + p3(rec) + l4;
    default: return (rec) => {
      let out = l0;
      for (let i = 0; i < pieces.length; i++) out += pieces[i](rec) + literals[i + 1];
      return out;
    };
  }
}
