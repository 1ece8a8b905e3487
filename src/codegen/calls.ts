// Lowering of builtin functions; src/checker/calls.ts holds their type rules.
import type * as LLVM from 'llvm-bindings';
import type { CallExpr, Expr, MapExpr } from '../ast/nodes';
import type { MapInfo } from '../checker';
import { str as strType } from '../checker/types';
import { CodegenError } from './errors';
import { kernelSymbolAddress } from '../checker/kaddr';
import { Helper } from './helpers';
import { EVENT_CLEAR_MAP, EVENT_JOIN, EVENT_TIME, EVENT_PRINT_BASE, EVENT_PRINT_MAP, EVENT_ZERO_MAP, JOIN_ARG_SIZE, JOIN_MAX_ARGS } from './plan';
import type { CgValue, ProbeCodegen } from './irgen';
import { FUNCTION_LOWERINGS, lowerBuiltinCall, retaggedAddrSpace } from './functions';
import { STRING_LOWERINGS } from './strings';
import { TASK_LOWERINGS } from './task';
import { LEADER_LOWERINGS } from './leader';
import { COMMPID_LOWERINGS } from './commpid';
import { PERCPU_LOWERINGS } from './percpu';
import { SKBOUTPUT_LOWERINGS } from './skboutput';
import { FIND_LOWERINGS } from './find';
import { KFUNC_LOWERINGS } from './kfunc';
import { PIDNS_LOWERINGS } from './pidns';
import { TYPE_PREDICATE_LOWERINGS } from './typepredicates';
import { ASSERT_LOWERINGS } from './assert';
import { STATIC_ASSERT_LOWERINGS } from './staticassert';
import { FAIL_LOWERINGS } from './fail';
import { WRITE_USER_LOWERINGS } from './writeuser';
import { GETOPT_LOWERINGS } from './getopt';
import { SOCKET_LOWERINGS } from './socket';
import { ISERR_LOWERINGS } from './iserr';
import { notePid } from './pidseen';
import { positionalStrTexts } from '../checker/functions';
import { BUILTIN_NAMES } from '../checker/builtins';
import { emitSeqPrintf } from './seq-printf';

interface MapTarget {
  map: MapExpr;
  info: MapInfo;
  /** The aggregation call, where a map-full warning points. */
  call?: CallExpr;
}

type Lowering = (g: ProbeCodegen, e: CallExpr, target: MapTarget | undefined) => CgValue | undefined;

/**
 * Read-modify-write of this CPU's slot of an aggregation: look the key up,
 * update in place when present, insert `initial` otherwise. Per-CPU maps need
 * no atomics, and the common (present) path makes no update call.
 */
function aggregate(g: ProbeCodegen, target: MapTarget, update: (slot: LLVM.Value) => void, initial: ((buf: LLVM.Value) => void) | 'one', bucket?: { index: LLVM.Value; count: bigint }): void {
  const loc = target.call?.loc ?? target.map.loc;
  const plan = g.mapPlan(target.map.name);
  const key = g.mapKey(target.map, bucket?.index);
  // A histogram without keys has at most `count` keys: when they all fit, no insert can find the map full.
  const canFill = !(bucket && target.map.keys.length === 0 && bucket.count <= BigInt(plan.maxEntries));
  const slot = g.helper(Helper.map_lookup_elem, g.i8p, [g.mapRef(plan), key]);
  const present = g.newBlock('agg_present');
  const absent = g.newBlock('agg_absent');
  const done = g.newBlock('agg_done');
  g.b.CreateCondBr(g.b.CreateIsNull(slot), absent, present);
  g.b.SetInsertPoint(present);
  update(slot);
  g.b.CreateBr(done);
  g.b.SetInsertPoint(absent);
  if (plan.bpfType === 6 /* per-CPU array: the slot always exists */) {
    g.b.CreateBr(done);
  } else {
    // A first value of 1 (count, histogram buckets) is read from the counters map: no stack slot to fill.
    let val: LLVM.Value | 'one';
    if (initial === 'one') {
      val = 'one';
    } else {
      val = g.stackBuffer(plan.valueSize, 'agginit');
      initial(val);
    }
    g.updateMap(plan, key, val, loc, canFill);
    g.b.CreateBr(done);
  }
  g.b.SetInsertPoint(done);
}

function word(g: ProbeCodegen, ptr: LLVM.Value, index: number): LLVM.Value {
  return g.wordPtr(ptr, index * 8);
}

function addTo(g: ProbeCodegen, ptr: LLVM.Value, index: number, delta: LLVM.Value): void {
  const p = word(g, ptr, index);
  g.b.CreateStore(g.b.CreateAdd(g.b.CreateLoad(g.i64, p), delta), p);
}

function requireTarget(e: CallExpr, target: MapTarget | undefined): MapTarget {
  if (!target) throw new CodegenError(`${e.name}() should be directly assigned to a map`, e.loc);
  return target;
}

/** min/max slot: [value, seen]; a CPU that never saw the key has seen = 0. */
function extreme(kind: 'min' | 'max'): Lowering {
  return (g, e, target) => {
    const t = requireTarget(e, target);
    const x = g.intValue(e.args[0]);
    const signed = t.info.valueType.kind === 'agg' && t.info.valueType.signed;
    aggregate(g, t, (slot) => {
      const old = g.b.CreateLoad(g.i64, word(g, slot, 0));
      const seen = g.b.CreateLoad(g.i64, word(g, slot, 1));
      const better = kind === 'min'
        ? (signed ? g.b.CreateICmpSLT(x, old) : g.b.CreateICmpULT(x, old))
        : (signed ? g.b.CreateICmpSGT(x, old) : g.b.CreateICmpUGT(x, old));
      const take = g.b.CreateOr(better, g.b.CreateICmpEQ(seen, g.b.getInt64(0)));
      g.b.CreateStore(g.b.CreateSelect(take, x, old), word(g, slot, 0));
      g.b.CreateStore(g.b.getInt64(1), word(g, slot, 1));
    }, (buf) => {
      g.b.CreateStore(x, word(g, buf, 0));
      g.b.CreateStore(g.b.getInt64(1), word(g, buf, 1));
    });
    return undefined;
  };
}

/**
 * Bucket of hist(x, k) (branch-free): 0 for x < 0; x + 1 for x < 2^(k+1);
 * above, with p = floor(log2 x): ((p - k + 1) << k) + (x >> (p - k)) - 2^k + 1,
 * so each power of two has 2^k buckets. k = 0 is bpftrace's classic
 * 0 / 1 / 2 + floor(log2 x), over all 64 bits (DIV-08).
 */
function log2Bucket(g: ProbeCodegen, x: LLVM.Value, signed: boolean, bits: number): LLVM.Value {
  const b = g.b;
  if (bits === 0) return classicLog2Bucket(g, x, signed);
  let v = x;
  let p: LLVM.Value = b.getInt64(0);
  for (const shift of [32, 16, 8, 4, 2, 1]) {
    const big = b.CreateICmpUGE(v, g.const64(1n << BigInt(shift)));
    v = b.CreateSelect(big, b.CreateLShr(v, b.getInt64(shift)), v);
    p = b.CreateSelect(big, b.CreateAdd(p, b.getInt64(shift)), p);
  }
  const n = 1 << bits;
  const shift = b.CreateSub(p, b.getInt64(bits));
  const coarse = b.CreateAdd(
    b.CreateAdd(b.CreateShl(b.CreateAdd(shift, b.getInt64(1)), b.getInt64(bits)), b.CreateLShr(x, shift)),
    g.const64(BigInt(1 - n)),
  );
  let index = b.CreateSelect(b.CreateICmpULT(x, b.getInt64(2 * n)), b.CreateAdd(x, b.getInt64(1)), coarse);
  if (signed) index = b.CreateSelect(b.CreateICmpSLT(x, b.getInt64(0)), b.getInt64(0), index);
  return index;
}

/**
 * hist(x): 0 for x < 0, 1 for 0, else 2 + floor(log2 x). Halving steps
 * down to v < 4 (p: the bits shifted out); each is a compare with an
 * immediate and two conditional moves, four BPF instructions (the 2^32 step,
 * whose compare would need two ld_imm64, shifts first). Then the index is
 * p + (v >> 1) + ((v + 7) >> 2): p + 1, 2, 3, 3 for v = 0 … 3, no branch.
 */
function classicLog2Bucket(g: ProbeCodegen, x: LLVM.Value, signed: boolean): LLVM.Value {
  const b = g.b;
  let v = x;
  let p: LLVM.Value = b.getInt64(0);
  for (const shift of [32, 16, 8, 4, 2]) {
    const shifted = b.CreateLShr(v, b.getInt64(shift));
    const high = shift === 32 ? g.opaque(shifted) : shifted;
    const nz = b.CreateICmpNE(high, b.getInt64(0));
    v = b.CreateSelect(nz, high, v);
    p = b.CreateSelect(nz, b.CreateOr(p, b.getInt64(shift)), p);
  }
  const low = b.CreateAdd(b.CreateLShr(v, b.getInt64(1)), b.CreateLShr(b.CreateAdd(v, b.getInt64(7)), b.getInt64(2)));
  let index = b.CreateAdd(p, low);
  if (signed) index = b.CreateSelect(b.CreateICmpSLT(x, b.getInt64(0)), b.getInt64(0), index);
  return index;
}

/** Bucket of lhist(): 0 below min, 1 + (x-min)/step inside, the overflow bucket from max on. */
function linearBucket(g: ProbeCodegen, x: LLVM.Value, min: bigint, max: bigint, step: bigint): LLVM.Value {
  const b = g.b;
  const overflow = g.const64((max - min) / step + 1n);
  const inside = b.CreateAdd(b.CreateUDiv(b.CreateSub(x, g.const64(min)), g.const64(step)), b.getInt64(1));
  const above = b.CreateSelect(b.CreateICmpSGT(x, g.const64(max)), overflow, inside);
  return b.CreateSelect(b.CreateICmpSLT(x, g.const64(min)), b.getInt64(0), above);
}

/**
 * +1 in place: `lock` add of a register holding 1 is one instruction fewer
 * than load, add, store (the slot is this CPU's: the lock never waits).
 */
function increment(g: ProbeCodegen, slot: LLVM.Value): void {
  g.atomic('add', word(g, slot, 0), g.b.getInt64(1));
}

function countInBucket(g: ProbeCodegen, target: MapTarget, bucket: LLVM.Value, buckets: bigint): void {
  aggregate(g, target, (slot) => increment(g, slot), 'one', { index: bucket, count: buckets });
}

/** How many buckets log2Bucket can return: 0 … (65 - k) * 2^k. */
function log2BucketCount(bits: number): bigint {
  return BigInt(65 - bits) * (1n << BigInt(bits)) + 1n;
}

function mapIndexOf(g: ProbeCodegen, e: CallExpr): CgValue {
  const m = e.args[0] as MapExpr;
  return { kind: 'int', v: g.b.getInt64(g.mapPlan(m.name).index) };
}

const I64 = { kind: 'int', bits: 64, signed: true } as const;

const LOWERINGS: Record<string, Lowering> = {
  /** Resolved at compile time (the checker reported a missing symbol; --dry-run compiles 0). */
  kaddr: (g, e) => ({ kind: 'int', v: g.const64(e.args[0]?.kind === 'String' ? kernelSymbolAddress(e.args[0].value) ?? 0n : 0n) }),
  ...FUNCTION_LOWERINGS,
  ...STRING_LOWERINGS,
  ...TASK_LOWERINGS,
  ...LEADER_LOWERINGS,
  ...COMMPID_LOWERINGS,
  ...PERCPU_LOWERINGS,
  ...SKBOUTPUT_LOWERINGS,
  ...FIND_LOWERINGS,
  ...KFUNC_LOWERINGS,
  ...PIDNS_LOWERINGS,
  ...TYPE_PREDICATE_LOWERINGS,
  ...ASSERT_LOWERINGS,
  ...STATIC_ASSERT_LOWERINGS,
  ...FAIL_LOWERINGS,
  ...WRITE_USER_LOWERINGS,
  ...GETOPT_LOWERINGS,
  ...SOCKET_LOWERINGS,
  ...ISERR_LOWERINGS,
  kstack: (g, e) => ({ kind: 'int', v: g.stackId(e.type!) }),
  ustack: (g, e) => ({ kind: 'int', v: g.stackId(e.type!) }),
  ksym: (g, e) => ({ kind: 'int', v: g.intValue(e.args[0]) }),
  /** usym: (pid << 47) | address (user addresses are below 2^47 on x86-64; pids above 2^17 are lost). */
  usym(g, e) {
    const b = g.b;
    const pid = b.CreateLShr(g.helper(Helper.get_current_pid_tgid, g.i64, []), b.getInt64(32));
    notePid(g, pid);
    const addr = b.CreateAnd(g.intValue(e.args[0]), g.const64((1n << 47n) - 1n));
    return { kind: 'int', v: b.CreateOr(b.CreateShl(pid, b.getInt64(47)), addr) };
  },
  strftime: (g, e) => ({ kind: 'int', v: g.intValue(e.args[1]) }),
  time(g, e) {
    const fmt = e.args[0]?.kind === 'String' ? e.args[0].value : '%H:%M:%S\n';
    let site = g.m.timeFormats.indexOf(fmt);
    if (site < 0) site = g.m.timeFormats.push(fmt) - 1;
    g.emitEvent(EVENT_TIME, [{ v: { kind: 'int', v: g.b.getInt64(site) }, t: I64 }]);
    return undefined;
  },

  hist(g, e, target) {
    const t = requireTarget(e, target);
    const signed = t.info.valueType.kind === 'agg' && t.info.valueType.signed;
    const bits = t.info.valueType.kind === 'agg' ? t.info.valueType.histBits ?? 0 : 0;
    countInBucket(g, t, log2Bucket(g, g.intValue(e.args[0]), signed, bits), log2BucketCount(bits));
    return undefined;
  },
  lhist(g, e, target) {
    const t = requireTarget(e, target);
    const vt = t.info.valueType;
    if (vt.kind !== 'agg' || !vt.lhist) throw new CodegenError('internal: lhist bounds missing', e.loc);
    const { min, max, step } = vt.lhist;
    countInBucket(g, t, linearBucket(g, g.intValue(e.args[0]), min, max, step), (max - min) / step + 2n);
    return undefined;
  },
  print(g, e) {
    const first = e.args[0];
    if (first.kind === 'Map' && first.keys.length === 0 && g.m.maps.has(first.name) && !g.m.checked.prints.has(e)) {
      const top = e.args[1]?.kind === 'Int' ? e.args[1].value : 0n;
      const div = e.args[2]?.kind === 'Int' ? e.args[2].value : 0n;
      g.emitEvent(EVENT_PRINT_MAP, [
        { v: mapIndexOf(g, e), t: I64 }, { v: { kind: 'int', v: g.const64(top) }, t: I64 }, { v: { kind: 'int', v: g.const64(div) }, t: I64 },
      ]);
      return undefined;
    }
    const site = g.m.checked.prints.get(e);
    if (!site) throw new CodegenError('internal: print site missing', e.loc);
    g.emitEvent(EVENT_PRINT_BASE + site.id, [{ v: g.expr(first), t: site.type }]);
    return undefined;
  },
  clear(g, e) {
    g.emitEvent(EVENT_CLEAR_MAP, [{ v: mapIndexOf(g, e), t: I64 }]);
    return undefined;
  },
  zero(g, e) {
    g.emitEvent(EVENT_ZERO_MAP, [{ v: mapIndexOf(g, e), t: I64 }]);
    return undefined;
  },
  /**
   * join(argv[, sep]): reads up to JOIN_MAX_ARGS strings of a NULL-terminated
   * user `char *[]` straight into a ring-buffer record (16 KiB would never fit
   * on the 512-byte stack); user space prints them joined.
   */
  join(g, e) {
    const b = g.b;
    const sep = e.args[1]?.kind === 'String' ? e.args[1].value : ' ';
    let site = g.m.joins.indexOf(sep);
    if (site < 0) site = g.m.joins.push(sep) - 1;
    const argv = g.intValue(e.args[0]);
    const size = 24 + JOIN_MAX_ARGS * JOIN_ARG_SIZE;
    const rec = g.helper(Helper.ringbuf_reserve, g.i8p, [g.mapRef(g.m.ringbuf), b.getInt64(size), b.getInt64(0)]);
    const ok = g.newBlock('join_ok');
    const lost = g.newBlock('join_lost');
    const done = g.newBlock('join_done');
    b.CreateCondBr(b.CreateIsNull(rec), lost, ok);
    b.SetInsertPoint(lost);
    g.countLostEvent();
    b.CreateBr(done);
    b.SetInsertPoint(ok);
    b.CreateStore(b.getInt64(EVENT_JOIN), g.wordPtr(rec, 0));
    b.CreateStore(b.getInt64(site), g.wordPtr(rec, 8));
    const slot = g.stackBuffer(8, 'argp');
    const submit = g.newBlock('join_submit');
    const counts: [LLVM.Value, LLVM.BasicBlock][] = [];
    for (let i = 0; i < JOIN_MAX_ARGS; i++) {
      g.helper(Helper.probe_read_user, g.i64, [slot, b.getInt32(8), b.CreateIntToPtr(b.CreateAdd(argv, b.getInt64(8 * i)), g.i8p)]);
      const p = b.CreateLoad(g.i64, g.wordPtr(slot, 0));
      const read = g.newBlock('join_read');
      counts.push([b.getInt64(i), b.GetInsertBlock()!]);
      b.CreateCondBr(b.CreateICmpEQ(p, b.getInt64(0)), submit, read);
      b.SetInsertPoint(read);
      g.helper(Helper.probe_read_user_str, g.i64, [g.bytePtr(rec, 24 + i * JOIN_ARG_SIZE), b.getInt32(JOIN_ARG_SIZE), b.CreateIntToPtr(p, g.i8p)]);
    }
    counts.push([b.getInt64(JOIN_MAX_ARGS), b.GetInsertBlock()!]);
    b.CreateBr(submit);
    b.SetInsertPoint(submit);
    const n = b.CreatePHI(g.i64, counts.length);
    for (const [v, bb] of counts) n.addIncoming(v, bb);
    b.CreateStore(n, g.wordPtr(rec, 16));
    g.helper(Helper.ringbuf_submit, g.m.llvm.Type.getVoidTy(g.m.ctx), [rec, b.getInt64(0)]);
    b.CreateBr(done);
    b.SetInsertPoint(done);
    return undefined;
  },

  delete(g, e) {
    const m = e.args[0] as MapExpr;
    g.helper(Helper.map_delete_elem, g.i64, [g.mapRef(g.mapPlan(m.name)), g.mapKey(m)]);
    return undefined;
  },
  count(g, e, target) {
    aggregate(g, requireTarget(e, target), (slot) => increment(g, slot), 'one');
    return undefined;
  },
  sum(g, e, target) {
    const t = requireTarget(e, target);
    const x = g.intValue(e.args[0]);
    aggregate(g, t, (slot) => addTo(g, slot, 0, x), (buf) => g.b.CreateStore(x, word(g, buf, 0)));
    return undefined;
  },
  min: extreme('min'),
  max: extreme('max'),
  stats: (g, e, target) => LOWERINGS.avg(g, e, target),
  /** avg and stats slot: [count, total]. */
  avg(g, e, target) {
    const t = requireTarget(e, target);
    const x = g.intValue(e.args[0]);
    aggregate(g, t, (slot) => {
      addTo(g, slot, 0, g.b.getInt64(1));
      addTo(g, slot, 1, x);
    }, (buf) => {
      g.b.CreateStore(g.b.getInt64(1), word(g, buf, 0));
      g.b.CreateStore(x, word(g, buf, 1));
    });
    return undefined;
  },

  printf: formatCall,
  system: formatCall,
  cat: formatCall,
  errorf: formatCall,
  warnf: formatCall,

  exit(g, e) {
    g.exit(e.args[0] ? g.expr(e.args[0]) : undefined);
    return undefined;
  },

  str(g, e) {
    const t = e.type!;
    const size = t.kind === 'string' ? t.size : 64;
    const arg = e.args[0];
    const literal = positionalStrTexts.get(e);
    if (literal !== undefined) return g.expr({ kind: 'String', value: literal, loc: arg.loc, type: strType(size) });
    const buf = g.stackBuffer(size, 'str');
    return readStr(g, e, buf, size);
  },
};

/**
 * Writes str(x) straight into `dst` (a map key or an event record) when it
 * can: true when done. bpf_probe_read_*_str stops at the NUL (zeroing all
 * of `dst` only on failure): `padded` zeroes the rest first, as keys need.
 */
export function writeStrInto(g: ProbeCodegen, e: CallExpr, dst: LLVM.Value, size: number, padded: boolean): boolean {
  const t = e.type;
  if (e.name !== 'str' || t?.kind !== 'string' || t.size !== size || positionalStrTexts.has(e) || g.m.badCode) return false;
  if (padded) g.zero(dst, size);
  readStr(g, e, dst, size);
  return true;
}

function readStr(g: ProbeCodegen, e: CallExpr, buf: LLVM.Value, size: number): CgValue {
  const arg = e.args[0];
  const src = g.intValue(arg);
  let limit: LLVM.Value = g.b.getInt64(size);
  if (e.args[1]) {
    const n = g.b.CreateAdd(g.intValue(e.args[1]), g.b.getInt64(1));
    limit = g.b.CreateSelect(g.b.CreateICmpULT(n, limit), n, limit);
  }
  if (g.m.badCode === 'no-probe-read') {
    // Test-only (see BadCodegen): a plain load through the pointer, which the verifier refuses.
    g.b.CreateStore(g.b.CreateLoad(g.i64, g.b.CreateIntToPtr(src, g.m.llvm.PointerType.get(g.i64, 0))), g.wordPtr(buf, 0));
    return { kind: 'buf', ptr: buf, size };
  }
  const at = retaggedAddrSpace(arg) ?? (arg.type?.kind === 'pointer' ? arg.type.addrSpace : 'none');
  const helper = at === 'user' ? Helper.probe_read_user_str : at === 'kernel' ? Helper.probe_read_kernel_str : Helper.probe_read_str;
  g.helper(helper, g.i64, [buf, g.b.CreateTrunc(limit, g.b.getInt32Ty()), g.b.CreateIntToPtr(src, g.i8p)]);
  return { kind: 'buf', ptr: buf, size };
}

/** printf, system, cat: the arguments go to user space, which formats them (src/runtime). */
function formatCall(g: ProbeCodegen, e: CallExpr): undefined {
  if (e.name === 'printf' && g.match.provider.name === 'iter') {
    emitSeqPrintf(g, e);
    return undefined;
  }
  const site = g.m.checked.printfs.get(e);
  if (!site) throw new CodegenError(`internal: ${e.name} site missing`, e.loc);
  // Side-effect-free arguments are computed straight into the reserved record (with any other, all first, in order).
  const args = e.args.slice(1);
  const lazy = args.every(isPure);
  const values = args.map((a, i) => (lazy ? { e: a, t: site.argTypes[i] } : { v: g.expr(a), t: site.argTypes[i] }));
  g.emitEvent(site.id, values);
  return undefined;
}

/** Calls that only read (so an argument made of them can be computed later, or not at all when the record is lost). */
const READ_ONLY_CALLS = new Set(['str', 'comm', 'pid', 'tid', 'cpu', 'uid', 'gid', 'nsecs', 'ksym', 'usym', 'kaddr', 'uaddr', 'ntop', 'kptr', 'uptr', 'strerror', 'bswap', 'macaddr', 'buf', 'reg', 'strncmp', 'strcontains', 'has_key', 'cgroupid', 'sizeof', 'offsetof']);

/** True when computing `e` has no effect besides its value (no map writes, no events, no ++). */
function isPure(e: Expr): boolean {
  switch (e.kind) {
    case 'Int': case 'String': case 'Bool': case 'Identifier': case 'Variable': case 'Param': case 'Sizeof': case 'Offsetof': case 'Map':
      return e.kind !== 'Map' || e.keys.every(isPure);
    case 'Binary': return isPure(e.left) && isPure(e.right);
    case 'Unary': return isPure(e.operand);
    case 'Cast': return isPure(e.expr);
    case 'Field': return isPure(e.object);
    case 'Index': return isPure(e.object) && isPure(e.index);
    case 'TupleIndex': return isPure(e.object);
    case 'Ternary': return isPure(e.cond) && isPure(e.then) && isPure(e.else);
    case 'Tuple': return e.elems.every(isPure);
    case 'Call': return READ_ONLY_CALLS.has(e.name) && e.args.every(isPure);
    default: return false;
  }
}

export function emitCall(g: ProbeCodegen, e: CallExpr, target: MapTarget | undefined): CgValue | undefined {
  const lower = LOWERINGS[e.name];
  if (!lower && BUILTIN_NAMES.includes(e.name)) return lowerBuiltinCall(g, e);
  if (!lower) throw new CodegenError(`${e.name}() is not supported by codegen yet`, e.loc);
  return lower(g, e, target && { ...target, call: e });
}
