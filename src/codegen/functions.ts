// Lowering of the helper functions typed in src/checker/functions.ts.
import type * as LLVM from 'llvm-bindings';
import type { CallExpr, Expr } from '../ast/nodes';
import { cgroupIdOf, hasKeyLookups, ptonBytes, uaddrSymbols } from '../checker/functions';
import { signalNumber } from '../checker/signals';
import { INET_SIZE, type Type } from '../checker/types';
import { AF_INET, AF_INET6 } from '../output/inet';
import { PT_REGS_OFFSETS } from '../probes/regs';
import { CodegenError } from './errors';
import { memoryAddress } from './memory';
import { emitIterPath } from './iter-path';
import { Helper } from './helpers';
import { EVENT_UNWATCH } from './plan';
import type { CgValue, ProbeCodegen } from './irgen';

type Lowering = (g: ProbeCodegen, e: CallExpr) => CgValue | undefined;

const int = (v: LLVM.Value): CgValue => ({ kind: 'int', v });

function asBuf(g: ProbeCodegen, v: CgValue, what: string): Extract<CgValue, { kind: 'buf' }> {
  if (v.kind !== 'buf') throw new CodegenError(`internal: ${what} is not a buffer`);
  return v;
}

/** Where an integer used as an address points: user memory in user-space probes, kernel memory elsewhere. */
function defaultAddrSpace(g: ProbeCodegen): 'user' | 'kernel' {
  const p = g.match.provider.name;
  return p === 'uprobe' || p === 'uretprobe' || p === 'usdt' ? 'user' : 'kernel';
}

/** Reads `size` bytes at address `src` (a u64) into `dst`, with the helper for the pointer's address space. */
function probeRead(g: ProbeCodegen, dst: LLVM.Value, size: number | LLVM.Value, src: LLVM.Value, t: Type | undefined): void {
  const as = t?.kind === 'pointer' && t.addrSpace !== 'none' ? t.addrSpace : defaultAddrSpace(g);
  const helper = as === 'user' ? Helper.probe_read_user : Helper.probe_read_kernel;
  const n = typeof size === 'number' ? g.b.getInt32(size) : g.b.CreateTrunc(size, g.b.getInt32Ty());
  g.helper(helper, g.i64, [dst, n, g.b.CreateIntToPtr(src, g.i8p)]);
}

/** Byte `i` of a string buffer, 0 past its capacity. */
function byteAt(g: ProbeCodegen, s: Extract<CgValue, { kind: 'buf' }>, i: number): LLVM.Value {
  return i < s.size ? g.b.CreateLoad(g.i8, g.bytePtr(s.ptr, i)) : g.m.llvm.ConstantInt.get(g.i8, 0);
}

/** A block that joins control flow carrying an i64 result. */
export class Result {
  readonly bb: LLVM.BasicBlock;
  private readonly incoming: [LLVM.Value, LLVM.BasicBlock][] = [];
  constructor(private readonly g: ProbeCodegen, name: string) {
    this.bb = g.newBlock(name);
  }
  /** Branches to the join block with `v` from the current block. */
  jump(v: number): void {
    this.incoming.push([this.g.const64(BigInt(v)), this.g.b.GetInsertBlock()!]);
    this.g.b.CreateBr(this.bb);
  }
  /** Branches to the join block with `v` when `cond` holds; continues in a new block otherwise. */
  jumpIf(cond: LLVM.Value, v: number | LLVM.Value, name: string): void {
    const next = this.g.newBlock(name);
    this.incoming.push([typeof v === 'number' ? this.g.const64(BigInt(v)) : v, this.g.b.GetInsertBlock()!]);
    this.g.b.CreateCondBr(cond, this.bb, next);
    this.g.b.SetInsertPoint(next);
  }
  /** Continues in the join block; the result value (`extra`: computed values branched in by the caller). */
  finish(extra: [LLVM.Value, LLVM.BasicBlock][] = []): LLVM.Value {
    this.g.b.SetInsertPoint(this.bb);
    const all = [...this.incoming, ...extra];
    const phi = this.g.b.CreatePHI(this.g.i64, all.length);
    for (const [v, bb] of all) phi.addIncoming(v, bb);
    return phi;
  }
}

/** strncmp: 0 when the first n characters (stopping at a shared NUL) are equal, else 1. */
function strncmp(g: ProbeCodegen, e: CallExpr): CgValue {
  const a = asBuf(g, g.expr(e.args[0]), 'strncmp argument');
  const b = asBuf(g, g.expr(e.args[1]), 'strncmp argument');
  const n = e.args[2].kind === 'Int' ? Number(e.args[2].value) : 0;
  const result = new Result(g, 'strncmp_done');
  const zero = g.m.llvm.ConstantInt.get(g.i8, 0);
  for (let i = 0; i < Math.min(n, Math.max(a.size, b.size)); i++) {
    const ca = byteAt(g, a, i);
    result.jumpIf(g.b.CreateICmpNE(ca, byteAt(g, b, i)), 1, 'strncmp_same');
    result.jumpIf(g.b.CreateICmpEQ(ca, zero), 0, 'strncmp_next');
  }
  result.jump(0);
  return int(result.finish());
}

/** strcontains(haystack, needle): 1 when needle occurs in haystack. */
function strcontains(g: ProbeCodegen, e: CallExpr): CgValue {
  const h = asBuf(g, g.expr(e.args[0]), 'strcontains argument');
  const n = asBuf(g, g.expr(e.args[1]), 'strcontains argument');
  return int(g.boolToI64(g.b.CreateICmpSGE(substringIndex(g, h, n), g.b.getInt64(0))));
}

/**
 * The index of the first occurrence of needle in haystack (up to their NULs),
 * 0 for an empty needle, -1 when absent (strcontains, HEAD's strstr). Two
 * real loops with bounded indices (the verifier walks them), not unrolled:
 * 64 x 64 characters unrolled would be thousands of branches.
 */
export function substringIndex(g: ProbeCodegen, h: Extract<CgValue, { kind: 'buf' }>, n: Extract<CgValue, { kind: 'buf' }>): LLVM.Value {
  const b = g.b;
  const zero8 = g.m.llvm.ConstantInt.get(g.i8, 0);
  const hs = b.getInt64(h.size);
  const ns = b.getInt64(n.size);
  const iSlot = g.stackBuffer(8, 'sc_i');
  const jSlot = g.stackBuffer(8, 'sc_j');
  const load = (slot: LLVM.Value) => b.CreateLoad(g.i64, g.wordPtr(slot, 0));
  const result = new Result(g, 'strcontains_done');
  const outer = g.newBlock('sc_outer');
  const inner = g.newBlock('sc_inner');
  const next = g.newBlock('sc_next');
  b.CreateBr(outer);

  b.SetInsertPoint(outer);
  const i = load(iSlot);
  result.jumpIf(b.CreateICmpUGE(i, hs), -1, 'sc_outer_body');
  b.CreateStore(b.getInt64(0), g.wordPtr(jSlot, 0));
  b.CreateBr(inner);

  b.SetInsertPoint(inner);
  const j = load(jSlot);
  result.jumpIf(b.CreateICmpUGE(j, ns), load(iSlot), 'sc_inner_body');
  const nc = b.CreateLoad(g.i8, b.CreateGEP(g.i8, n.ptr, j));
  result.jumpIf(b.CreateICmpEQ(nc, zero8), load(iSlot), 'sc_compare');
  const at = b.CreateAdd(load(iSlot), j);
  const inRange = g.newBlock('sc_in_range');
  b.CreateCondBr(b.CreateICmpUGE(at, hs), next, inRange);
  b.SetInsertPoint(inRange);
  const hc = b.CreateLoad(g.i8, b.CreateGEP(g.i8, h.ptr, at));
  const same = g.newBlock('sc_same');
  b.CreateCondBr(b.CreateICmpNE(hc, nc), next, same);
  b.SetInsertPoint(same);
  b.CreateStore(b.CreateAdd(j, b.getInt64(1)), g.wordPtr(jSlot, 0));
  b.CreateBr(inner);

  b.SetInsertPoint(next);
  const i2 = load(iSlot);
  result.jumpIf(b.CreateICmpEQ(b.CreateLoad(g.i8, b.CreateGEP(g.i8, h.ptr, i2)), zero8), -1, 'sc_advance');
  b.CreateStore(b.CreateAdd(i2, b.getInt64(1)), g.wordPtr(iSlot, 0));
  b.CreateBr(outer);
  return result.finish();
}

/** ntop([af,] addr): family word + 16 address bytes. */
function ntop(g: ProbeCodegen, e: CallExpr): CgValue {
  const b = g.b;
  const addrExpr = e.args[e.args.length - 1];
  const out = g.stackBuffer(INET_SIZE, 'inet');
  const addr = g.expr(addrExpr);
  let family: LLVM.Value;
  if (addr.kind === 'int') {
    family = b.getInt64(AF_INET);
    b.CreateStore(b.CreateTrunc(addr.v, b.getInt32Ty()), g.wordPtr(out, 8, 32));
  } else {
    const size = Math.min(addr.size, 16);
    family = b.getInt64(size === 16 ? AF_INET6 : AF_INET);
    for (let i = 0; i < size; i++) b.CreateStore(b.CreateLoad(g.i8, g.bytePtr(addr.ptr, i)), g.bytePtr(out, 8 + i));
  }
  if (e.args.length === 2) family = g.intValue(e.args[0]);
  b.CreateStore(family, g.wordPtr(out, 0));
  return { kind: 'buf', ptr: out, size: INET_SIZE };
}

function sendSignal(g: ProbeCodegen, e: CallExpr, helper: Helper): undefined {
  const a = e.args[0];
  const sig = a.kind === 'String' ? g.b.getInt32(signalNumber(a.value) ?? 0) : g.b.CreateTrunc(g.intValue(a), g.b.getInt32Ty());
  g.helper(helper, g.i64, [sig]);
  return undefined;
}

/** A constant byte array on the stack. */
function constantBytes(g: ProbeCodegen, bytes: number[], name: string): CgValue {
  const buf = g.stackBuffer(bytes.length, name);
  bytes.forEach((x, i) => {
    if (x !== 0) g.b.CreateStore(g.m.llvm.ConstantInt.get(g.i8, x), g.bytePtr(buf, i));
  });
  return { kind: 'buf', ptr: buf, size: bytes.length };
}

/** buf(src[, n]): u64 length, then the bytes (read from memory, or copied from a string/array value). */
function buf(g: ProbeCodegen, e: CallExpr): CgValue {
  const t = e.type as Extract<Type, { kind: 'buffer' }>;
  const b = g.b;
  const out = g.stackBuffer(8 + t.size, 'buf');
  const src = g.expr(e.args[0]);
  let length: LLVM.Value = b.getInt64(t.size);
  if (e.args[1]) {
    const n = g.intValue(e.args[1]);
    length = b.CreateSelect(b.CreateICmpULT(n, length), n, length);
  }
  if (src.kind === 'buf') {
    const n = Math.min(src.size, t.size);
    for (let i = 0; i < n; i++) b.CreateStore(b.CreateLoad(g.i8, g.bytePtr(src.ptr, i)), g.bytePtr(out, 8 + i));
  } else if (t.size > 0) {
    // Reads the whole capacity; only `length` bytes are part of the value.
    probeRead(g, g.bytePtr(out, 8), t.size, src.v, e.args[0].type);
  }
  b.CreateStore(length, g.wordPtr(out, 0));
  return { kind: 'buf', ptr: out, size: 8 + t.size };
}

/** macaddr(x): the six bytes, kept in a u64 (printed in user space). */
function macaddr(g: ProbeCodegen, e: CallExpr): CgValue {
  const b = g.b;
  const slot = g.stackBuffer(8, 'mac');
  const src = g.expr(e.args[0]);
  if (src.kind === 'buf') {
    for (let i = 0; i < 6; i++) b.CreateStore(b.CreateLoad(g.i8, g.bytePtr(src.ptr, i)), g.bytePtr(slot, i));
  } else {
    probeRead(g, slot, 6, src.v, e.args[0].type);
  }
  return int(b.CreateLoad(g.i64, g.wordPtr(slot, 0)));
}

function bswap(g: ProbeCodegen, e: CallExpr): CgValue {
  const t = e.args[0].type;
  const bits = t?.kind === 'int' ? t.bits : 64;
  const v = g.intValue(e.args[0]);
  if (bits === 8) return int(g.b.CreateAnd(v, g.b.getInt64(0xff)));
  const ty = g.b.getIntNTy(bits);
  const fn = g.m.module.getOrInsertFunction(`llvm.bswap.i${bits}`, g.m.llvm.FunctionType.get(ty, [ty], false));
  const swapped = g.b.CreateCall(fn, [g.b.CreateTrunc(v, ty)]);
  return int(bits === 64 ? swapped : g.b.CreateZExt(swapped, g.i64));
}

/** The address space str() reads from when its argument is kptr(x)/uptr(x) of an integer. */
export function retaggedAddrSpace(arg: Expr): 'kernel' | 'user' | undefined {
  if (arg.kind !== 'Call') return undefined;
  return arg.name === 'kptr' ? 'kernel' : arg.name === 'uptr' ? 'user' : undefined;
}

const NSECS_HELPERS: Record<string, Helper> = {
  boot: Helper.ktime_get_boot_ns,
  monotonic: Helper.ktime_get_ns,
  tai: Helper.ktime_get_tai_ns,
  // HEAD computes sw_tai in software for kernels without bpf_ktime_get_tai_ns; every kernel tstrace supports has it.
  sw_tai: Helper.ktime_get_tai_ns,
};

/** debugf(fmt, …): bpf_trace_printk to the kernel's trace buffer; strings are passed by address. */
function debugf(g: ProbeCodegen, e: CallExpr): undefined {
  const fmt = asBuf(g, g.expr(e.args[0]), 'debugf format');
  const args = e.args.slice(1).map((a) => {
    const v = g.expr(a);
    return v.kind === 'int' ? v.v : g.b.CreatePtrToInt(v.ptr, g.i64);
  });
  g.helper(Helper.trace_printk, g.i64, [fmt.ptr, g.b.getInt32(fmt.size), ...args]);
  return undefined;
}

/**
 * len(ustack|kstack): the frame count from bpf_get_stack. Its buffer (up to
 * 127 frames = 1016 bytes) can't live on the 512-byte stack: it is this CPU's
 * slot of a per-CPU scratch map.
 */
function stackLength(g: ProbeCodegen, e: CallExpr): CgValue {
  const t = e.args[0].type;
  const user = t?.kind === 'stack' && t.user;
  const size = 8 * (t?.kind === 'stack' ? t.limit : 127);
  const b = g.b;
  const result = new Result(g, 'len_done');
  const key = g.stackBuffer(4, 'scratchkey');
  const scratch = g.helper(Helper.map_lookup_elem, g.i8p, [g.mapRef(g.m.scratchMap()), key]);
  result.jumpIf(b.CreateIsNull(scratch), 0, 'len_scratch');
  const bytes = g.helper(Helper.get_stack, g.i64, [g.ctxArg, scratch, b.getInt32(size), b.getInt64(user ? 256 : 0)]);
  const frames = b.CreateSelect(b.CreateICmpSGT(bytes, b.getInt64(0)), b.CreateUDiv(bytes, b.getInt64(8)), b.getInt64(0));
  const after = b.GetInsertBlock()!;
  b.CreateBr(result.bb);
  return int(result.finish([[frames, after]]));
}

export const FUNCTION_LOWERINGS: Record<string, Lowering> = {
  // maplen.ts subclasses ProbeCodegen, so it is required here, after irgen has loaded (as irgen requires formap).
  len: (g, e) => (e.args[0].kind === 'Map' ? (require('./maplen') as typeof import('./maplen')).mapLength(g, e) : stackLength(g, e)),
  debugf,
  uaddr(g, e) {
    const sym = uaddrSymbols.get(e);
    if (!sym) throw new CodegenError('internal: uaddr symbol missing', e.loc);
    return int(g.const64(BigInt(sym.value)));
  },
  ntop,
  pton: (g, e) => constantBytes(g, ptonBytes(e), 'pton'),
  macaddr,
  buf,
  strncmp,
  strcontains,
  strerror: (g, e) => int(g.intValue(e.args[0])),
  cgroup_path: (g, e) => int(g.intValue(e.args[0])),
  bswap,
  cgroupid(g, e) {
    const id = e.args[0].kind === 'String' ? cgroupIdOf(e.args[0].value) : 0n;
    return int(g.const64(typeof id === 'bigint' ? id : 0n));
  },
  kptr: (g, e) => g.expr(e.args[0]),
  uptr: (g, e) => g.expr(e.args[0]),

  signal: (g, e) => sendSignal(g, e, Helper.send_signal),
  signal_thread: (g, e) => sendSignal(g, e, Helper.send_signal_thread),
  unwatch(g, e) {
    g.emitEvent(EVENT_UNWATCH, [{ v: int(g.intValue(e.args[0])), t: { kind: 'int', bits: 64, signed: false } }]);
    return undefined;
  },
  override(g, e) {
    g.helper(Helper.override_return, g.i64, [g.ctxArg, g.intValue(e.args[0])]);
    return undefined;
  },
  reg(g, e) {
    const name = e.args[0].kind === 'String' ? e.args[0].value : '';
    const offset = PT_REGS_OFFSETS[name];
    if (offset === undefined) throw new CodegenError(`'${name}' is not a valid register on this architecture (x86_64)`, e.loc);
    return int(g.b.CreateLoad(g.i64, g.wordPtr(g.ctxArg, offset)));
  },
  /** path(p): bpf_d_path into a string buffer (fentry/fexit/iter only; the kernel allows it for a list of functions). */
  path(g, e) {
    const t = e.type!;
    const size = t.kind === 'string' ? t.size : 64;
    // A `struct path` value (args->file->f_path) is passed by its kernel address, a pointer as is.
    const arg = e.args[0];
    const out = g.stackBuffer(size, 'path');
    if (emitIterPath(g, arg, out, size)) return { kind: 'buf', ptr: out, size };
    const addr = arg.type?.kind === 'struct' ? memoryAddress(g, arg) : g.intValue(arg);
    if (!addr) throw new CodegenError('path() needs a struct path in kernel memory (e.g. args->file->f_path) or a pointer to one', e.loc);
    g.helper(Helper.d_path, g.i64, [g.b.CreateIntToPtr(addr, g.i8p), out, g.b.getInt32(size)]);
    return { kind: 'buf', ptr: out, size };
  },
  has_key(g, e) {
    const lookup = hasKeyLookups.get(e);
    if (!lookup) throw new CodegenError('internal: has_key lookup missing', e.loc);
    const ptr = g.helper(Helper.map_lookup_elem, g.i8p, [g.mapRef(g.mapPlan(lookup.name)), g.mapKey(lookup)]);
    return int(g.boolToI64(g.b.CreateIsNotNull(ptr)));
  },
  /** nsecs(CLOCK) (HEAD); `nsecs()` and other builtins called like functions go to the builtin. */
  nsecs(g, e) {
    const a = e.args[0];
    const clock = a?.kind === 'Identifier' ? a.name : 'boot';
    return int(g.helper(NSECS_HELPERS[clock] ?? Helper.ktime_get_boot_ns, g.i64, []));
  },
};

/** A builtin variable written as a call (`pid()`). */
export function lowerBuiltinCall(g: ProbeCodegen, e: CallExpr): CgValue {
  return g.builtin(e.name, e.type!);
}

