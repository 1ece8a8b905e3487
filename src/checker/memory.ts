// Type rules for memory: casts to pointers, `->` and `.` on records, `[ ]` on
// arrays and pointers, `*ptr`, `sizeof(TYPE)` and `offsetof`, with kernel
// types from BTF and the script's C definitions (src/ctypes TypeRegistry).
import type { Expr, OffsetofExpr } from '../ast/nodes';
import type { Checker, Scope } from './index';
import { AddrSpace, INT64, NONE, StructField, Type, UINT64, int, memorySize, typeName } from './types';
import { suggest } from './suggest';

type StructType = Extract<Type, { kind: 'struct' }>;

/** User-space probes read user memory by default; everything else reads kernel memory. */
export function defaultAddrSpace(scope: Scope): AddrSpace {
  const p = scope.match.provider.name;
  return p === 'uprobe' || p === 'uretprobe' || p === 'usdt' ? 'user' : 'kernel';
}

/** Memory reached through a pointer in `space` stays in that space. */
function inSpace(t: Type, space: AddrSpace): Type {
  return t.kind === 'pointer' && space !== 'kernel' && t.addrSpace !== space ? { ...t, addrSpace: space } : t;
}

function completed(c: Checker, t: Type): Type {
  return t.kind === 'struct' ? c.types.complete(t) : t;
}

export function checkCast(c: Checker, e: Extract<Expr, { kind: 'Cast' }>, scope: Scope): Type {
  const from = c.expr(e.expr, scope);
  const base = c.types.resolve(e.typeName);
  if (!base) {
    const record = /^(struct|union) /.test(e.typeName);
    c.error(record ? `Unknown struct/union: '${e.typeName}'` : `Unknown type: '${e.typeName}'`, e.loc);
    return NONE;
  }
  if (e.pointerDepth === 0) {
    if (base.kind === 'struct') {
      c.error(`Cannot cast to struct type "${e.typeName}"`, e.loc);
      return NONE;
    }
    if (base.kind !== 'int') {
      c.error(`Cannot cast to "${e.typeName}"`, e.loc);
      return NONE;
    }
    if (from.kind !== 'int' && from.kind !== 'pointer' && from.kind !== 'bool' && from.kind !== 'none') {
      c.error(`Cannot cast from "${typeName(from)}" to "${e.typeName}"`, e.loc);
    }
    return base;
  }
  if (from.kind !== 'int' && from.kind !== 'pointer' && from.kind !== 'bool' && from.kind !== 'none') {
    c.error(`Cannot cast from "${typeName(from)}" to "${e.typeName} ${'*'.repeat(e.pointerDepth)}"`, e.loc);
    return NONE;
  }
  const space = from.kind === 'pointer' ? from.addrSpace : defaultAddrSpace(scope);
  let t: Type = base;
  for (let i = 0; i < e.pointerDepth; i++) t = { kind: 'pointer', to: t, addrSpace: space };
  return t;
}

/** The member `name` of a record, or an error at `loc` (with a did-you-mean). */
function member(c: Checker, rec: StructType, name: string, e: Expr): StructField | undefined {
  const fields = c.types.fields(rec);
  if (!fields) {
    c.error(`Unknown struct/union: '${rec.name}'`, e.loc);
    return undefined;
  }
  const f = fields.find((x) => x.name === name);
  if (!f) {
    const hint = suggest(name, fields.map((x) => x.name).filter(Boolean));
    c.error(`Struct/union of type '${rec.name}' does not contain a field named '${name}'${hint ? `; did you mean '${hint}'?` : ''}`, e.loc);
  }
  return f;
}

/**
 * `p->f` and `s.f`. Both operators work on records and on pointers to records
 * (bpftrace 0.17 wants `->` for pointers, HEAD `.` for both: tstrace accepts both).
 */
export function checkField(c: Checker, e: Extract<Expr, { kind: 'Field' }>, scope: Scope): Type {
  const t = c.expr(e.object, scope);
  if (t.kind === 'none') return NONE;
  let rec: StructType | undefined;
  let space: AddrSpace = 'kernel';
  if (t.kind === 'struct') rec = t;
  else if (t.kind === 'pointer' && t.to.kind === 'struct') {
    rec = t.to;
    space = t.addrSpace;
  }
  if (!rec) {
    c.error(`Can not access field '${e.field}' on expression of type '${typeName(t)}'`, e.loc);
    return NONE;
  }
  const f = member(c, rec, e.field, e);
  if (!f) return NONE;
  if (rec.isCtx && f.name.startsWith('common_')) {
    c.error('BPF does not support accessing common tracepoint fields', e.loc);
    return NONE;
  }
  e.member = f;
  return inSpace(completed(c, f.type), space);
}

export function checkIndex(c: Checker, e: Extract<Expr, { kind: 'Index' }>, t: Type, scope: Scope): Type {
  const it = c.expr(e.index, scope);
  if (it.kind !== 'int' && it.kind !== 'none') {
    c.error(`The array index operator [] only accepts integer indices (${typeName(it)} provided)`, e.index.loc);
    return NONE;
  }
  if (t.kind === 'array') {
    if (e.index.kind === 'Int' && (e.index.value < 0n || e.index.value >= BigInt(t.length)) && t.length > 0) {
      c.error(`the index ${e.index.value} is out of bounds for array of size ${t.length}`, e.loc);
      return NONE;
    }
    // A variable index into an array would need a bounds check the verifier
    // accepts; as in bpftrace 0.17 only literal indices are allowed (pointers take any).
    if (e.index.kind !== 'Int' && t.length > 0) {
      c.error('The array index operator [] only accepts literal integer indices.', e.index.loc);
      return NONE;
    }
    return completed(c, t.elem);
  }
  if (t.kind === 'pointer') {
    if (memorySize(completed(c, t.to)) === 0) {
      c.error(`The array index operator [] can not be used on a pointer to an incomplete type '${typeName(t)}'`, e.loc);
      return NONE;
    }
    return inSpace(completed(c, t.to), t.addrSpace);
  }
  if (t.kind !== 'none') c.error(`The array index operator [] can only be used on arrays and pointers, found ${typeName(t)}.`, e.loc);
  return NONE;
}

export function checkDeref(c: Checker, e: Expr, t: Type): Type {
  if (t.kind === 'pointer') {
    const to = completed(c, t.to);
    if (to.kind === 'struct' && to.size === 0) {
      c.error(`Unknown struct/union: '${to.name}'`, e.loc);
      return NONE;
    }
    return inSpace(to, t.addrSpace);
  }
  return UINT64;
}

/** sizeof(TYPE): bpftrace integer names, C types, typedefs, records. */
export function sizeofType(c: Checker, name: string, e: Expr): number {
  const t = c.types.resolve(name);
  if (!t) {
    // bpftrace 0.17's message for sizeof of an unknown type.
    c.error(`Unknown identifier: '${name}'`, e.loc);
    return 0;
  }
  return c.types.sizeOf(t);
}

export function checkOffsetof(c: Checker, e: OffsetofExpr): Type {
  let t = c.types.resolve(e.typeName);
  if (!t) {
    c.error(`Unknown struct/union: '${e.typeName}'`, e.loc);
    return NONE;
  }
  let offset = 0;
  for (const name of e.fields) {
    if (t.kind !== 'struct') {
      c.error(`'${typeName(t)}' is not a record type.`, e.loc);
      return NONE;
    }
    const f = member(c, t, name, e);
    if (!f) return NONE;
    offset += f.offset;
    t = completed(c, f.type);
  }
  e.offset = offset;
  return UINT64;
}

/** A bare name that is no builtin: an integer constant from an enum or an #include'd header. */
export function constantIdentifier(c: Checker, e: Extract<Expr, { kind: 'Identifier' }>): Type | undefined {
  const k = c.types.constant(e.name);
  if (!k) return undefined;
  e.value = k.value;
  return k.type.kind === 'int' ? int(64, k.type.signed) : INT64;
}

