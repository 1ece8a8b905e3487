// The type system, built for the whole language: integers of every width and
// signedness, fixed-capacity strings, tuples, pointers, structs (tracepoint
// records, BTF and C definitions), arrays, and the aggregation value kinds.

export type IntBits = 8 | 16 | 32 | 64;
export type AddrSpace = 'kernel' | 'user' | 'none';

export interface StructField {
  name: string;
  type: Type;
  /** Byte offset in the struct; for a bitfield, of the bytes holding it. */
  offset: number;
  /** A bitfield: `bits` wide, starting `shift` bits into the bytes at `offset`. */
  bitfield?: { shift: number; bits: number };
}

export type AggKind = 'count' | 'sum' | 'min' | 'max' | 'avg' | 'stats' | 'hist' | 'lhist';

export type Type =
  | { kind: 'none' }
  | { kind: 'int'; bits: IntBits; signed: boolean }
  | { kind: 'bool' }
  | { kind: 'string'; size: number }
  | { kind: 'tuple'; elems: Type[] }
  | { kind: 'pointer'; to: Type; addrSpace: AddrSpace }
  /**
   * A record. `lazy`: the fields are not listed here (kernel BTF types and the
   * script's C definitions are large and cyclic); src/ctypes `TypeRegistry`
   * resolves them by `name`, or by `btfId` for anonymous BTF records.
   */
  | { kind: 'struct'; name: string; size: number; fields: StructField[]; isCtx?: boolean; lazy?: boolean; btfId?: number }
  | { kind: 'array'; elem: Type; length: number }
  | { kind: 'agg'; agg: AggKind; signed: boolean; lhist?: { min: bigint; max: bigint; step: bigint }; histBits?: number }
  /** Values resolved to text in user space: `probe`, `username`, … */
  | { kind: 'text'; what: 'probe' | 'username' | 'ksym' | 'usym' | 'timestamp' | 'strerror' | 'macaddr' | 'cgroup_path' | 'signal_name' | 'syscall_name'; /** strftime() format */ format?: string }
  /** buf(): a u64 length, then `size` bytes (only the first `length` are the value). */
  | { kind: 'buffer'; size: number }
  /** ntop(): a u64 address family (AF_INET 2, AF_INET6 10), then 16 address bytes. */
  | { kind: 'inet' }
  /**
   * kstack/ustack: stored as one u64. kstack: the stack id from
   * bpf_get_stackid. ustack: (pid << 32) | stack id, since user symbols need
   * the process. Frames are read from the stack map and symbolised in user space.
   */
  | { kind: 'stack'; user: boolean; mode: 'bpftrace' | 'perf' | 'raw'; limit: number };

/** Storage of an `inet` value: family word + 16 address bytes. */
export const INET_SIZE = 24;

export const NONE: Type = { kind: 'none' };
export const INT64: Type = { kind: 'int', bits: 64, signed: true };
export const UINT64: Type = { kind: 'int', bits: 64, signed: false };
export const UINT32: Type = { kind: 'int', bits: 32, signed: false };

export function int(bits: IntBits, signed: boolean): Type {
  return { kind: 'int', bits, signed };
}

export function str(size: number): Type {
  return { kind: 'string', size };
}

export function isInt(t: Type | undefined): t is Extract<Type, { kind: 'int' }> {
  return t?.kind === 'int';
}

/** Names as bpftrace prints them in messages: `int64`, `unsigned int64`, `string[2]`, `count`. */
export function typeName(t: Type): string {
  switch (t.kind) {
    case 'none': return 'none';
    case 'int': return `${t.signed ? '' : 'unsigned '}int${t.bits}`;
    case 'bool': return 'bool';
    case 'string': return `string[${t.size}]`;
    case 'tuple': return `(${t.elems.map(typeName).join(',')})`;
    case 'pointer': return `${typeName(t.to)} *`;
    case 'struct': return t.isCtx ? `(ctx) ${t.name} *` : t.name;
    case 'array': return `${typeName(t.elem)}[${t.length}]`;
    case 'agg': return t.agg;
    case 'text': return t.what;
    case 'stack': return t.user ? 'ustack' : 'kstack';
    case 'buffer': return 'buffer';
    case 'inet': return 'inet';
  }
}

export function sameType(a: Type, b: Type): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'int': return b.kind === 'int' && a.bits === b.bits && a.signed === b.signed;
    case 'string': return true; // capacities may differ; the larger wins
    case 'tuple': return b.kind === 'tuple' && a.elems.length === b.elems.length && a.elems.every((e, i) => sameType(e, b.elems[i]));
    case 'pointer': return b.kind === 'pointer' && sameType(a.to, b.to);
    case 'struct': return b.kind === 'struct' && a.name === b.name && a.btfId === b.btfId;
    case 'array': return b.kind === 'array' && a.length === b.length && sameType(a.elem, b.elem);
    case 'agg': return b.kind === 'agg' && a.agg === b.agg;
    case 'text': return b.kind === 'text' && a.what === b.what && a.format === b.format;
    case 'stack': return b.kind === 'stack' && a.user === b.user && a.mode === b.mode && a.limit === b.limit;
    case 'buffer': return true; // capacities may differ; the larger wins
    default: return true;
  }
}

/**
 * Size in bytes of a value stored in a map key, map value, or event record.
 * Integers are stored as 64-bit, as bpftrace 0.17 does for map keys; every
 * element of a tuple starts on an 8-byte boundary.
 */
export function storageSize(t: Type): number {
  switch (t.kind) {
    case 'int': case 'bool': case 'pointer': case 'text': case 'stack': return 8;
    case 'string': return t.size;
    case 'tuple': return t.elems.reduce((n, e) => n + align8(storageSize(e)), 0);
    // C layout: integer elements packed (a `u8 saddr[4]` is 4 bytes).
    // Arrays and records keep their C layout (as read from memory).
    case 'array': return memorySize(t);
    case 'struct': return t.size;
    case 'agg': return aggValueSize(t.agg);
    case 'buffer': return 8 + t.size;
    case 'inet': return INET_SIZE;
    case 'none': return 0;
  }
}

/** Size in bytes of a value of type `t` in kernel or user memory (C layout). */
export function memorySize(t: Type): number {
  switch (t.kind) {
    case 'int': return t.bits / 8;
    case 'bool': return 1;
    case 'string': return t.size;
    case 'array': return t.length * memorySize(t.elem);
    case 'struct': return t.size;
    default: return 8;
  }
}

export function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Per-CPU value layout of an aggregation (one CPU's slot). */
export function aggValueSize(agg: AggKind): number {
  switch (agg) {
    case 'count': case 'sum': case 'hist': case 'lhist': return 8;
    // min/max: value and a "seen" flag, so CPUs that never saw the key don't contribute 0.
    // avg/stats: count and total.
    case 'min': case 'max': case 'avg': case 'stats': return 16;
  }
}

/** Offsets of a tuple's elements under `storageSize`'s layout. */
export function tupleOffsets(t: Extract<Type, { kind: 'tuple' }>): number[] {
  const offsets: number[] = [];
  let at = 0;
  for (const e of t.elems) {
    offsets.push(at);
    at += align8(storageSize(e));
  }
  return offsets;
}
