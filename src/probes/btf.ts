// A reader for kernel BTF (/sys/kernel/btf/vmlinux), enough for fentry/fexit:
// the kernel's functions by name, their BTF ids, and their parameters typed
// as tstrace types (integers, enums, pointers; structs passed by value and
// floats read as their raw 64-bit slot).
import * as fs from 'fs';
import type { IntBits, Type } from '../checker/types';

export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

const BTF_MAGIC = 0xeb9f;
const enum Kind {
  INT = 1, PTR = 2, ARRAY = 3, STRUCT = 4, UNION = 5, ENUM = 6, FWD = 7, TYPEDEF = 8, VOLATILE = 9,
  CONST = 10, RESTRICT = 11, FUNC = 12, FUNC_PROTO = 13, VAR = 14, DATASEC = 15, FLOAT = 16,
  DECL_TAG = 17, TYPE_TAG = 18, ENUM64 = 19,
}

export interface BtfParam {
  name: string;
  type: Type;
}

export interface BtfFunc {
  /** BTF id of the FUNC type: the attach_btf_id of fentry/fexit programs. */
  id: number;
  name: string;
  params: BtfParam[];
  /** undefined for void. */
  ret?: Type;
}

export class Btf {
  private readonly kind: Uint8Array;
  private readonly nameOff: Uint32Array;
  private readonly info: Uint32Array;
  /** `size` or `type` word of each type. */
  private readonly sizeType: Uint32Array;
  /** Byte offset of each type's trailing data. */
  private readonly extra: Uint32Array;
  private readonly strBase: number;
  private funcIds?: Map<string, number>;

  constructor(private readonly buf: Buffer) {
    if (buf.length < 24 || buf.readUInt16LE(0) !== BTF_MAGIC) throw new Error('not a little-endian BTF blob');
    const hdrLen = buf.readUInt32LE(4);
    const typeOff = buf.readUInt32LE(8);
    const typeLen = buf.readUInt32LE(12);
    const strOff = buf.readUInt32LE(16);
    this.strBase = hdrLen + strOff;
    const start = hdrLen + typeOff;
    const end = start + typeLen;
    // First pass: count types, so the tables are typed arrays (vmlinux has ~150k types).
    let n = 0;
    for (let at = start; at < end; n++) at = this.next(at);
    this.kind = new Uint8Array(n + 1);
    this.nameOff = new Uint32Array(n + 1);
    this.info = new Uint32Array(n + 1);
    this.sizeType = new Uint32Array(n + 1);
    this.extra = new Uint32Array(n + 1);
    let id = 1;
    for (let at = start; at < end; id++) {
      this.nameOff[id] = buf.readUInt32LE(at);
      this.info[id] = buf.readUInt32LE(at + 4);
      this.kind[id] = (this.info[id] >>> 24) & 0x1f;
      this.sizeType[id] = buf.readUInt32LE(at + 8);
      this.extra[id] = at + 12;
      at = this.next(at);
    }
  }

  /** Offset of the type record after the one at `at`. */
  private next(at: number): number {
    const info = this.buf.readUInt32LE(at + 4);
    const vlen = info & 0xffff;
    const kind = (info >>> 24) & 0x1f;
    let extra = 0;
    switch (kind) {
      case Kind.INT: case Kind.VAR: case Kind.DECL_TAG: extra = 4; break;
      case Kind.ARRAY: extra = 12; break;
      case Kind.STRUCT: case Kind.UNION: case Kind.DATASEC: case Kind.ENUM64: extra = 12 * vlen; break;
      case Kind.ENUM: case Kind.FUNC_PROTO: extra = 8 * vlen; break;
      case Kind.PTR: case Kind.FWD: case Kind.TYPEDEF: case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT:
      case Kind.FUNC: case Kind.FLOAT: case Kind.TYPE_TAG: break;
      default: throw new Error(`unknown BTF kind ${kind}`);
    }
    return at + 12 + extra;
  }

  private str(off: number): string {
    const at = this.strBase + off;
    const end = this.buf.indexOf(0, at);
    return this.buf.toString('latin1', at, end < 0 ? this.buf.length : end);
  }

  private functionIds(): Map<string, number> {
    if (!this.funcIds) {
      this.funcIds = new Map();
      for (let id = 1; id < this.kind.length; id++) {
        if (this.kind[id] === Kind.FUNC) {
          const name = this.str(this.nameOff[id]);
          if (!this.funcIds.has(name)) this.funcIds.set(name, id);
        }
      }
    }
    return this.funcIds;
  }

  functionNames(): string[] {
    return [...this.functionIds().keys()];
  }

  func(name: string): BtfFunc | undefined {
    const id = this.functionIds().get(name);
    if (id === undefined) return undefined;
    const proto = this.sizeType[id];
    if (this.kind[proto] !== Kind.FUNC_PROTO) return undefined;
    const params: BtfParam[] = [];
    const vlen = this.info[proto] & 0xffff;
    for (let i = 0; i < vlen; i++) {
      const at = this.extra[proto] + 8 * i;
      const type = this.buf.readUInt32LE(at + 4);
      if (type === 0) break; // trailing `...` of a variadic function
      params.push({ name: this.str(this.buf.readUInt32LE(at)) || `arg${i}`, type: this.toType(type) });
    }
    const ret = this.sizeType[proto];
    return { id, name, params, ret: ret === 0 ? undefined : this.toType(ret) };
  }

  /** The tstrace type of BTF type `id` as a function argument or return value (one u64 slot). */
  toType(id: number, depth = 0): Type {
    const u64: Type = { kind: 'int', bits: 64, signed: false };
    if (depth > 32) return u64;
    switch (this.kind[id]) {
      case Kind.INT: {
        const enc = this.buf.readUInt32LE(this.extra[id]);
        const size = this.sizeType[id];
        const bits = ({ 1: 8, 2: 16, 4: 32, 8: 64 } as Record<number, IntBits>)[size];
        if (!bits) return u64;
        if ((enc >>> 24) & 4) return { kind: 'int', bits: 8, signed: false }; // bool
        return { kind: 'int', bits, signed: ((enc >>> 24) & 1) === 1 };
      }
      case Kind.ENUM: case Kind.ENUM64: {
        const bits = ({ 1: 8, 2: 16, 4: 32, 8: 64 } as Record<number, IntBits>)[this.sizeType[id]] ?? 64;
        return { kind: 'int', bits, signed: (this.info[id] >>> 31) === 1 };
      }
      case Kind.PTR: return { kind: 'pointer', to: this.pointee(this.sizeType[id], depth + 1), addrSpace: 'kernel' };
      case Kind.TYPEDEF: case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT: case Kind.TYPE_TAG:
        return this.toType(this.sizeType[id], depth + 1);
      default: return u64;
    }
  }

  /** What a pointer points to; structs are named but opaque (no fields yet). */
  private pointee(id: number, depth: number): Type {
    if (id === 0) return { kind: 'int', bits: 8, signed: false }; // void *
    switch (this.kind[id]) {
      case Kind.STRUCT: case Kind.UNION: case Kind.FWD: {
        const union = this.kind[id] === Kind.UNION || (this.kind[id] === Kind.FWD && (this.info[id] >>> 31) === 1);
        const size = this.kind[id] === Kind.FWD ? 0 : this.sizeType[id];
        return { kind: 'struct', name: `${union ? 'union' : 'struct'} ${this.str(this.nameOff[id])}`, size, fields: [] };
      }
      case Kind.TYPEDEF: case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT: case Kind.TYPE_TAG:
        return this.pointee(this.sizeType[id], depth + 1);
      default: return this.toType(id, depth);
    }
  }
}

let vmlinux: Btf | null | undefined;
let vmlinuxProblem = 'is missing';

/** The running kernel's BTF, or null when the kernel publishes none (or it cannot be read). */
export function vmlinuxBtf(): Btf | null {
  if (vmlinux === undefined) {
    try {
      vmlinux = new Btf(fs.readFileSync(VMLINUX_BTF));
    } catch (e) {
      vmlinux = null;
      const code = (e as NodeJS.ErrnoException).code;
      vmlinuxProblem = code === 'ENOENT' ? 'is missing' : code ? `cannot be read (${code})` : `is not valid BTF (${(e as Error).message})`;
    }
  }
  return vmlinux;
}

/** Why vmlinuxBtf() returned null, as the end of a sentence about VMLINUX_BTF: `is missing`, `is not valid BTF (…)`. */
export function vmlinuxBtfProblem(): string {
  return vmlinuxProblem;
}
