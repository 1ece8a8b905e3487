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
  /** The parameter's BTF type id (for printing its C type). */
  btfType: number;
}

export interface BtfFunc {
  /** BTF id of the FUNC type: the attach_btf_id of fentry/fexit programs. */
  id: number;
  name: string;
  params: BtfParam[];
  /** undefined for void. */
  ret?: Type;
  /** BTF type id of the return type (0: void). */
  retBtfType: number;
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
  private rawTpIds?: Map<string, number>;

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
    return { id, name, ...this.prototype(proto) };
  }

  /** Parameters and return type of FUNC_PROTO `proto`. */
  private prototype(proto: number): { params: BtfParam[]; ret?: Type; retBtfType: number } {
    const params: BtfParam[] = [];
    const vlen = this.info[proto] & 0xffff;
    for (let i = 0; i < vlen; i++) {
      const at = this.extra[proto] + 8 * i;
      const type = this.buf.readUInt32LE(at + 4);
      if (type === 0) break; // trailing `...` of a variadic function
      params.push({ name: this.str(this.buf.readUInt32LE(at)) || `arg${i}`, type: this.toType(type), btfType: type });
    }
    const ret = this.sizeType[proto];
    return { params, ret: ret === 0 ? undefined : this.toType(ret), retBtfType: ret };
  }

  /**
   * Raw tracepoints: the kernel declares `typedef void (*btf_trace_NAME)(void *, ARGS…)`
   * for each. Names without the prefix, and the ARGS of one (the `void *` removed).
   */
  rawTracepointNames(): string[] {
    if (!this.rawTpIds) {
      this.rawTpIds = new Map();
      for (let id = 1; id < this.kind.length; id++) {
        if (this.kind[id] !== Kind.TYPEDEF) continue;
        const name = this.str(this.nameOff[id]);
        if (name.startsWith('btf_trace_')) this.rawTpIds.set(name.slice('btf_trace_'.length), id);
      }
    }
    return [...this.rawTpIds.keys()];
  }

  rawTracepoint(name: string): BtfParam[] | undefined {
    this.rawTracepointNames();
    const id = this.rawTpIds!.get(name);
    if (id === undefined) return undefined;
    const ptr = this.sizeType[id];
    const proto = this.kind[ptr] === Kind.PTR ? this.sizeType[ptr] : 0;
    if (this.kind[proto] !== Kind.FUNC_PROTO) return undefined;
    const params = this.prototype(proto).params.slice(1);
    // The typedef's parameters are unnamed; the probe function of the event
    // (or of its event class) has the names, when it is named after the event.
    const named = this.func(`__bpf_trace_${name}`)?.params.slice(1);
    return params.map((p, i) => ({ ...p, name: named?.length === params.length ? named[i].name : `arg${i}` }));
  }

  /** The C spelling of BTF type `id` as bpftrace's -lv prints it (`struct file *`, `const char *`). */
  cTypeName(id: number, depth = 0): string {
    if (id === 0) return 'void';
    if (depth > 32) return '?';
    const name = this.str(this.nameOff[id]);
    switch (this.kind[id]) {
      case Kind.INT: case Kind.TYPEDEF: case Kind.FLOAT: return name;
      case Kind.STRUCT: return `struct ${name}`;
      case Kind.UNION: return `union ${name}`;
      case Kind.ENUM: case Kind.ENUM64: return `enum ${name}`;
      case Kind.FWD: return `${(this.info[id] >>> 31) === 1 ? 'union' : 'struct'} ${name}`;
      case Kind.PTR: return `${this.cTypeName(this.sizeType[id], depth + 1)} *`;
      case Kind.CONST: return `const ${this.cTypeName(this.sizeType[id], depth + 1)}`;
      case Kind.VOLATILE: return `volatile ${this.cTypeName(this.sizeType[id], depth + 1)}`;
      case Kind.RESTRICT: case Kind.TYPE_TAG: return this.cTypeName(this.sizeType[id], depth + 1);
      case Kind.FUNC_PROTO: return `${this.cTypeName(this.sizeType[id], depth + 1)} (*)()`;
      case Kind.ARRAY: return `${this.cTypeName(this.buf.readUInt32LE(this.extra[id]), depth + 1)}[${this.buf.readUInt32LE(this.extra[id] + 8)}]`;
      default: return name || '?';
    }
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

/** The running kernel's BTF, or null when the kernel publishes none. */
export function vmlinuxBtf(): Btf | null {
  if (vmlinux === undefined) {
    try {
      vmlinux = new Btf(fs.readFileSync(VMLINUX_BTF));
    } catch {
      vmlinux = null;
    }
  }
  return vmlinux;
}
