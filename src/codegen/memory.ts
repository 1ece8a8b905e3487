// Lowering of memory access: `p->f`, `s.f`, `a[i]`, `p[i]`, `*p`. An access
// path is first turned into a place (an address in kernel/user memory, or a
// pointer into the probe context or a stack buffer); only the final value is
// read, with bpf_probe_read_kernel/_user for memory, as bpftrace does.
import type * as LLVM from 'llvm-bindings';
import type { Expr } from '../ast/nodes';
import { AddrSpace, StructField, Type, memorySize } from '../checker/types';
import { CodegenError } from './errors';
import { Helper } from './helpers';
import type { CgValue, ProbeCodegen } from './irgen';

type Place =
  /** `addr` is an i64 address in kernel or user memory. */
  | { kind: 'mem'; addr: LLVM.Value; space: AddrSpace }
  /** `ptr` (i8*) points into the context or a stack buffer: directly loadable. */
  | { kind: 'local'; ptr: LLVM.Value; ctx: boolean };

function offsetPlace(g: ProbeCodegen, p: Place, offset: LLVM.Value | number): Place {
  if (offset === 0) return p;
  const off = typeof offset === 'number' ? g.b.getInt64(offset) : offset;
  if (p.kind === 'mem') return { ...p, addr: g.b.CreateAdd(p.addr, off) };
  return { ...p, ptr: g.b.CreateGEP(g.i8, p.ptr, off) };
}

/** The pointee's space: user pointers read user memory, anything else kernel memory. */
function spaceOf(t: Type | undefined): AddrSpace {
  return t?.kind === 'pointer' && t.addrSpace === 'user' ? 'user' : 'kernel';
}

/** Where the value of `e` lives, when `e` is an access path; undefined for other expressions. */
function place(g: ProbeCodegen, e: Expr): Place | undefined {
  switch (e.kind) {
    case 'Identifier':
      if (e.name === 'args' && e.type?.kind === 'struct' && e.type.isCtx) return { kind: 'local', ptr: g.ctxArg, ctx: true };
      return undefined;
    case 'Unary':
      if (e.op !== '*') return undefined;
      return { kind: 'mem', addr: g.intValue(e.operand), space: spaceOf(e.operand.type) };
    case 'Field': {
      const base = recordPlace(g, e.object);
      return offsetPlace(g, base, memberOf(g, e).offset);
    }
    case 'Index': {
      if (e.tupleIndex !== undefined) return undefined;
      const t = e.object.type!;
      const elem = memorySize(e.type!);
      if (t.kind === 'pointer') {
        const index = g.intValue(e.index);
        return { kind: 'mem', addr: g.b.CreateAdd(g.intValue(e.object), g.b.CreateMul(index, g.b.getInt64(elem))), space: spaceOf(t) };
      }
      const base = valuePlace(g, e.object);
      if (e.index.kind !== 'Int') throw new CodegenError('internal: array index must be a literal', e.loc);
      return offsetPlace(g, base, Number(e.index.value) * elem);
    }
    default:
      return undefined;
  }
}

/** The address in kernel/user memory of an access path (`args->file->f_path`), or undefined when it has none. */
export function memoryAddress(g: ProbeCodegen, e: Expr): LLVM.Value | undefined {
  const p = place(g, e);
  return p?.kind === 'mem' ? p.addr : undefined;
}

/** The place of a record reached with `->` (through a pointer) or `.` (a record value). */
function recordPlace(g: ProbeCodegen, object: Expr): Place {
  const t = object.type!;
  if (t.kind === 'pointer') return { kind: 'mem', addr: g.intValue(object), space: spaceOf(t) };
  return valuePlace(g, object);
}

/** The place of a record or array value: its access path, or a stack copy of it. */
function valuePlace(g: ProbeCodegen, e: Expr): Place {
  const p = place(g, e);
  if (p) return p;
  const v = g.expr(e);
  if (v.kind !== 'buf') throw new CodegenError(`internal: ${e.kind} is not addressable`, e.loc);
  return { kind: 'local', ptr: v.ptr, ctx: false };
}

function isContextRecord(t: Type | undefined): boolean {
  const rec = t?.kind === 'struct' ? t : t?.kind === 'pointer' && t.to.kind === 'struct' ? t.to : undefined;
  return rec?.isCtx === true;
}

/** The member a Field names; tracepoint records are looked up per concrete probe (wildcards differ). */
function memberOf(g: ProbeCodegen, e: Extract<Expr, { kind: 'Field' }>): StructField {
  const t = e.object.type!;
  const rec = t.kind === 'struct' ? t : t.kind === 'pointer' && t.to.kind === 'struct' ? t.to : undefined;
  if (rec?.isCtx) {
    const own = g.match.provider.argsType?.(g.match) ?? rec;
    const f = own.fields.find((x) => x.name === e.field);
    if (!f) throw new CodegenError(`Struct/union of type '${own.name}' does not contain a field named '${e.field}'`, e.loc);
    return f;
  }
  if (!e.member) throw new CodegenError(`internal: field ${e.field} was not resolved`, e.loc);
  return e.member;
}

/** Copies `size` bytes from a place into `dst` (a stack buffer). */
function readInto(g: ProbeCodegen, dst: LLVM.Value, size: number, p: Place): void {
  const helper = p.kind === 'mem' && p.space === 'user' ? Helper.probe_read_user : Helper.probe_read_kernel;
  const src = p.kind === 'mem' ? g.b.CreateIntToPtr(p.addr, g.i8p) : p.ptr;
  g.helper(helper, g.i64, [dst, g.b.getInt64(size), src]);
}

function extend(g: ProbeCodegen, raw: LLVM.Value, t: Extract<Type, { kind: 'int' }>): LLVM.Value {
  if (t.bits === 64) return raw;
  return t.signed ? g.b.CreateSExt(raw, g.i64) : g.b.CreateZExt(raw, g.i64);
}

/** Reads the value of type `t` at place `p`. */
function load(g: ProbeCodegen, p: Place, t: Type, bitfield?: StructField['bitfield']): CgValue {
  const b = g.b;
  if (bitfield) {
    const bytes = Math.ceil((bitfield.shift + bitfield.bits) / 8);
    const tmp = g.stackBuffer(8, 'bitfield');
    readInto(g, tmp, bytes, p);
    const word = b.CreateLoad(g.i64, g.wordPtr(tmp, 0));
    const mask = bitfield.bits >= 64 ? -1n : (1n << BigInt(bitfield.bits)) - 1n;
    let v = b.CreateAnd(b.CreateLShr(word, b.getInt64(bitfield.shift)), g.const64(mask));
    if (t.kind === 'int' && t.signed && bitfield.bits < 64) {
      const up = b.getInt64(64 - bitfield.bits);
      v = b.CreateAShr(b.CreateShl(v, up), up);
    }
    return { kind: 'int', v };
  }
  if (t.kind === 'int' || t.kind === 'pointer' || t.kind === 'bool') {
    const bits = t.kind === 'int' ? t.bits : t.kind === 'bool' ? 8 : 64;
    if (p.kind === 'local') {
      const raw = b.CreateLoad(b.getIntNTy(bits), b.CreateBitCast(p.ptr, g.m.llvm.PointerType.get(b.getIntNTy(bits), 0)));
      return { kind: 'int', v: t.kind === 'int' ? extend(g, raw, t) : b.CreateZExt(raw, g.i64) };
    }
    const tmp = g.stackBuffer(8, 'read');
    readInto(g, tmp, bits / 8, p);
    const raw = b.CreateLoad(b.getIntNTy(bits), g.wordPtr(tmp, 0, bits));
    return { kind: 'int', v: t.kind === 'int' ? extend(g, raw, t) : b.CreateZExt(raw, g.i64) };
  }
  const size = memorySize(t);
  if (size === 0) throw new CodegenError(`cannot read a value of incomplete type`);
  const buf = g.stackBuffer(size, 'record');
  readInto(g, buf, size, p);
  return { kind: 'buf', ptr: buf, size };
}

/** `p->f`, `s.f`, `a[i]`, `p[i]`, `*p`. */
export function emitAccess(g: ProbeCodegen, e: Expr): CgValue {
  const p = place(g, e);
  if (!p) throw new CodegenError(`internal: ${e.kind} is not a memory access`, e.loc);
  if (e.kind !== 'Field') return load(g, p, e.type!);
  const member = memberOf(g, e);
  // A tracepoint record's member has this probe's own type (wildcards differ); others have the checked one.
  return load(g, p, isContextRecord(e.object.type) ? member.type : e.type!, member.bitfield);
}

/** Bytes one step of pointer arithmetic moves (C scaling); 1 for `void *`-like pointees. */
export function pointerStride(t: Type | undefined): number {
  if (t?.kind !== 'pointer') return 1;
  return Math.max(1, memorySize(t.to));
}
