// A reader for kernel BTF (/sys/kernel/btf/vmlinux), written in TypeScript
// (see README "Design choices"): one pass over the 5.5 MB blob indexes the
// ~150k type records into typed arrays; names are decoded only when asked
// for, and the by-name indexes (records, enum constants, functions) are built
// on first use. Gives:
// - kernel functions and their parameters (fentry/fexit);
// - structs, unions, enums, typedefs, arrays and pointers as tstrace types
//   (records stay `lazy` and are laid out field by field on demand);
// - enum constants by name (`TASK_COMM_LEN`, `TCP_ESTABLISHED`).
import * as fs from 'fs';
import type { IntBits, StructField, Type } from '../checker/types';

export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

import { BTF_MAGIC, BtfKind as Kind } from './kinds';

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

/** `struct`, `union`, `enum` or a typedef name: the namespaces C keeps apart. */
export type BtfNamespace = 'struct' | 'union' | 'enum' | 'typedef';

const INT_BITS: Record<number, IntBits> = { 1: 8, 2: 16, 4: 32, 8: 64 };

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
  private named?: Map<string, number>;
  private enumConsts?: Map<string, { value: bigint; signed: boolean; bits: IntBits }>;
  private readonly layouts = new Map<number, StructField[]>();
  private readonly aligns = new Map<number, number>();

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

  private vlen(id: number): number {
    return this.info[id] & 0xffff;
  }

  private kindFlag(id: number): boolean {
    return (this.info[id] >>> 31) === 1;
  }

  // ---- functions (fentry/fexit) ----------------------------------------------

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

  /** The type id of the global variable (VAR) `name`, e.g. a per-CPU one (`runqueues`). */
  variableId(name: string): number | undefined {
    for (let id = 1; id < this.kind.length; id++) {
      if (this.kind[id] === Kind.VAR && this.str(this.nameOff[id]) === name) return id;
    }
    return undefined;
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
    const vlen = this.vlen(proto);
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
  toType(id: number): Type {
    const t = this.valueType(id);
    // Records and arrays passed by value don't fit a register slot: read the raw slot.
    return t.kind === 'struct' || t.kind === 'array' || t.kind === 'string' ? { kind: 'int', bits: 64, signed: false } : t;
  }

  // ---- types by name --------------------------------------------------------

  /** Id of the named record, enum or typedef; complete definitions win over forward declarations. */
  lookup(ns: BtfNamespace, name: string): number | undefined {
    if (!this.named) {
      this.named = new Map();
      for (let id = 1; id < this.kind.length; id++) {
        const k = this.kind[id];
        if (this.nameOff[id] === 0) continue;
        let space: BtfNamespace;
        if (k === Kind.STRUCT) space = 'struct';
        else if (k === Kind.UNION) space = 'union';
        else if (k === Kind.ENUM || k === Kind.ENUM64) space = 'enum';
        else if (k === Kind.TYPEDEF) space = 'typedef';
        else continue;
        const key = `${space} ${this.str(this.nameOff[id])}`;
        if (!this.named.has(key)) this.named.set(key, id);
      }
    }
    return this.named.get(`${ns} ${name}`);
  }

  /** Value of an enumerator of any kernel enum (the first enum that declares it). */
  enumConstant(name: string): { value: bigint; signed: boolean; bits: IntBits } | undefined {
    if (!this.enumConsts) {
      this.enumConsts = new Map();
      for (let id = 1; id < this.kind.length; id++) {
        const k = this.kind[id];
        if (k !== Kind.ENUM && k !== Kind.ENUM64) continue;
        const signed = this.kindFlag(id);
        const bits = INT_BITS[this.sizeType[id]] ?? 64;
        const stride = k === Kind.ENUM ? 8 : 12;
        for (let i = 0; i < this.vlen(id); i++) {
          const at = this.extra[id] + stride * i;
          const n = this.str(this.buf.readUInt32LE(at));
          if (this.enumConsts.has(n)) continue;
          let value: bigint;
          if (k === Kind.ENUM) value = signed ? BigInt(this.buf.readInt32LE(at + 4)) : BigInt(this.buf.readUInt32LE(at + 4));
          else value = (BigInt(this.buf.readUInt32LE(at + 8)) << 32n) | BigInt(this.buf.readUInt32LE(at + 4));
          if (k === Kind.ENUM64 && signed) value = BigInt.asIntN(64, value);
          this.enumConsts.set(n, { value, signed, bits });
        }
      }
    }
    return this.enumConsts.get(name);
  }

  /** Every record/typedef name of namespace `ns` (for did-you-mean). */
  names(ns: BtfNamespace): string[] {
    this.lookup(ns, '');
    const prefix = `${ns} `;
    return [...this.named!.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  }

  // ---- values -----------------------------------------------------------------

  /** Skips typedefs and qualifiers. */
  private strip(id: number): number {
    for (let depth = 0; depth < 64 && id !== 0; depth++) {
      const k = this.kind[id];
      if (k === Kind.TYPEDEF || k === Kind.VOLATILE || k === Kind.CONST || k === Kind.RESTRICT || k === Kind.TYPE_TAG) id = this.sizeType[id];
      else break;
    }
    return id;
  }

  /** Size in bytes of BTF type `id`. */
  sizeOf(id: number): number {
    id = this.strip(id);
    switch (this.kind[id]) {
      case Kind.INT: case Kind.ENUM: case Kind.ENUM64: case Kind.STRUCT: case Kind.UNION: case Kind.FLOAT: return this.sizeType[id];
      case Kind.PTR: return 8;
      case Kind.ARRAY: {
        const at = this.extra[id];
        return this.sizeOf(this.buf.readUInt32LE(at)) * this.buf.readUInt32LE(at + 8);
      }
      default: return 0;
    }
  }

  /** Alignment in bytes of BTF type `id` (records: their most aligned member). */
  alignOf(id: number): number {
    id = this.strip(id);
    switch (this.kind[id]) {
      case Kind.STRUCT: case Kind.UNION: {
        const cached = this.aligns.get(id);
        if (cached) return cached;
        this.aligns.set(id, 1); // guards against a malformed self-containing record
        let align = 1;
        for (let i = 0; i < this.vlen(id); i++) align = Math.max(align, this.alignOf(this.buf.readUInt32LE(this.extra[id] + 12 * i + 4)));
        this.aligns.set(id, align);
        return align;
      }
      case Kind.ARRAY: return this.alignOf(this.buf.readUInt32LE(this.extra[id]));
      default: return Math.min(8, Math.max(1, this.sizeOf(id)));
    }
  }

  /** The record's name as bpftrace prints it: `struct sock`, `union (anonymous)`. */
  recordName(id: number): string {
    id = this.strip(id);
    const union = this.kind[id] === Kind.UNION || (this.kind[id] === Kind.FWD && this.kindFlag(id));
    const name = this.str(this.nameOff[id]);
    return `${union ? 'union' : 'struct'} ${name || '(anonymous)'}`;
  }

  /**
   * The tstrace type of a value of BTF type `id` in memory. Records are
   * `lazy` references (fields via `fields(btfId)`); `char` arrays are strings,
   * as bpftrace types them.
   */
  valueType(id: number, depth = 0): Type {
    const u64: Type = { kind: 'int', bits: 64, signed: false };
    id = this.strip(id);
    if (id === 0 || depth > 32) return u64;
    switch (this.kind[id]) {
      case Kind.INT: {
        const enc = this.buf.readUInt32LE(this.extra[id]);
        const bits = INT_BITS[this.sizeType[id]];
        if (!bits) return { kind: 'array', elem: { kind: 'int', bits: 8, signed: false }, length: this.sizeType[id] };
        if ((enc >>> 24) & 4) return { kind: 'int', bits: 8, signed: false }; // bool
        return { kind: 'int', bits, signed: ((enc >>> 24) & 1) === 1 };
      }
      case Kind.ENUM: case Kind.ENUM64:
        return { kind: 'int', bits: INT_BITS[this.sizeType[id]] ?? 64, signed: this.kindFlag(id) };
      case Kind.FLOAT:
        return { kind: 'int', bits: INT_BITS[this.sizeType[id]] ?? 64, signed: false };
      case Kind.PTR: return { kind: 'pointer', to: this.pointee(this.sizeType[id], depth + 1), addrSpace: 'kernel' };
      case Kind.ARRAY: {
        const at = this.extra[id];
        const elemId = this.buf.readUInt32LE(at);
        const length = this.buf.readUInt32LE(at + 8);
        if (this.isChar(elemId)) return { kind: 'string', size: length };
        return { kind: 'array', elem: this.valueType(elemId, depth + 1), length };
      }
      case Kind.STRUCT: case Kind.UNION: case Kind.FWD:
        return this.recordRef(id);
      default: return u64;
    }
  }

  private isChar(id: number): boolean {
    id = this.strip(id);
    return this.kind[id] === Kind.INT && this.sizeType[id] === 1 && this.str(this.nameOff[id]) === 'char';
  }

  private recordRef(id: number): Type {
    const size = this.kind[id] === Kind.FWD ? 0 : this.sizeType[id];
    const anonymous = this.nameOff[id] === 0;
    return { kind: 'struct', name: this.recordName(id), size, fields: [], lazy: true, ...(anonymous ? { btfId: id } : {}) };
  }

  /** What a pointer points to; `void *` points to bytes. */
  private pointee(id: number, depth: number): Type {
    id = this.strip(id);
    if (id === 0 || this.kind[id] === Kind.FUNC_PROTO) return { kind: 'int', bits: 8, signed: false };
    return this.valueType(id, depth);
  }

  /** The direct members of record `id` with their BTF type ids (for printing C types, as `-lv` does). */
  members(id: number): { name: string; btfType: number }[] {
    id = this.strip(id);
    if (this.kind[id] !== Kind.STRUCT && this.kind[id] !== Kind.UNION) return [];
    const out: { name: string; btfType: number }[] = [];
    for (let i = 0; i < this.vlen(id); i++) {
      const at = this.extra[id] + 12 * i;
      const name = this.str(this.buf.readUInt32LE(at));
      const btfType = this.buf.readUInt32LE(at + 4);
      const inner = this.strip(btfType);
      // Anonymous members are named through (bpf_iter__* wrap each pointer in a union).
      if (!name && (this.kind[inner] === Kind.STRUCT || this.kind[inner] === Kind.UNION)) out.push(...this.members(inner).slice(0, this.kind[inner] === Kind.UNION ? 1 : undefined));
      else out.push({ name, btfType });
    }
    return out;
  }

  /**
   * The members of record `id`, each at its byte offset. Members of anonymous
   * struct/union members are listed in their place too, as C lets them be
   * named directly (`skb->sk` lives in an anonymous union).
   */
  fields(id: number): StructField[] {
    id = this.strip(id);
    const cached = this.layouts.get(id);
    if (cached) return cached;
    const out: StructField[] = [];
    if (this.kind[id] === Kind.STRUCT || this.kind[id] === Kind.UNION) {
      const bitfields = this.kindFlag(id);
      for (let i = 0; i < this.vlen(id); i++) {
        const at = this.extra[id] + 12 * i;
        const name = this.str(this.buf.readUInt32LE(at));
        const type = this.buf.readUInt32LE(at + 4);
        const word = this.buf.readUInt32LE(at + 8);
        const bitOffset = bitfields ? word & 0xffffff : word;
        const bitSize = bitfields ? word >>> 24 : 0;
        const inner = this.strip(type);
        if (!name && (this.kind[inner] === Kind.STRUCT || this.kind[inner] === Kind.UNION)) {
          for (const f of this.fields(inner)) out.push({ ...f, offset: f.offset + bitOffset / 8 });
          continue;
        }
        if (bitSize > 0 || bitOffset % 8 !== 0) {
          const width = bitSize || this.sizeOf(type) * 8;
          const byte = Math.floor(bitOffset / 8);
          const t = this.valueType(type);
          out.push({ name, type: t, offset: byte, bitfield: { shift: bitOffset % 8, bits: width } });
          continue;
        }
        out.push({ name, type: this.valueType(type), offset: bitOffset / 8 });
      }
    }
    this.layouts.set(id, out);
    return out;
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
