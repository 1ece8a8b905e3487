// Typed AST → LLVM IR, one BPF function per concrete probe, built with
// llvm-bindings' IRBuilder. Every value of integer type is held as an i64
// extended (sign or zero) from its declared width; strings and tuples live in
// 8-aligned stack buffers and are passed around as i8* pointers.
import type * as LLVM from 'llvm-bindings';
import { lowerArgOperand } from './operand';
import type { Block, CallExpr, Expr, Stmt, MapExpr } from '../ast/nodes';
import type { CheckedProgram, MapInfo } from '../checker';
import { Type, storageSize, tupleOffsets, align8, INT64 as INT64_T } from '../checker/types';
import type { ProbeMatch } from '../probes/provider';
import { CodegenError } from './errors';
import { Helper } from './helpers';
import { EVENT_EXIT, COUNTER_ONE, CONFIG_START_NS, CONFIG_CPID, CONFIG_TARGET_PID, CONFIG_NCPUS, CONFIG_WAKEUP, COUNTER_EXIT, COUNTER_LOST_EVENTS, COUNTER_MAP_FULL, MapPlan, MapUpdateSite, keyLayout, isKeylessArrayAgg, histKeyTypes } from './plan';
import type { Loc } from '../ast/nodes';
import { emitCall, writeStrInto } from './calls';
import { emitAccess, pointerStride } from './memory';
import { PT_REGS_OFFSETS } from '../probes/regs';
import type { DebugInfo } from './debuginfo';
import { notePid } from './pidseen';
import { configReads } from '../checker/config';

type Llvm = typeof LLVM;

/** A value during codegen: an integer in a register, or a pointer to a stack buffer. */
export type CgValue =
  | { kind: 'int'; v: LLVM.Value }
  | { kind: 'buf'; ptr: LLVM.Value; size: number };

const BPF_PSEUDO_MAP_IDX = 5;
const BPF_PSEUDO_MAP_IDX_VALUE = 6;
const BPF_RB_FORCE_WAKEUP = 2;
/** Prefix of the marker functions of ProbeCodegen.atomic (see atomicRmwInIr). */
export const ATOMIC_MARKER = 'tstrace.atomic.';

export interface ModuleContext {
  llvm: Llvm;
  ctx: LLVM.LLVMContext;
  module: LLVM.Module;
  checked: CheckedProgram;
  maps: Map<string, MapPlan>;
  ringbuf: MapPlan;
  config: MapPlan;
  /** Per-CPU counts of lost ring-buffer records and failed map inserts (plan.ts COUNTER_*). */
  counters: MapPlan;
  /** Source locations of map inserts, by the site id a map-full event carries. */
  mapUpdateSites: MapUpdateSite[];
  /** join() separators; a join event carries its index. */
  joins: string[];
  /** time() formats; a time event carries its index. */
  timeFormats: string[];
  probeIds: Map<string, number>;
  /** The stack-trace map of kstack (user=false) or ustack with `limit` frames, created on first use. */
  stackMap(user: boolean, limit: number): MapPlan;
  /** A per-CPU scratch value of STACK_MAX_FRAMES * 8 bytes, created on first use. */
  scratchMap(): MapPlan;
  /** Pids whose user addresses were recorded (u32 → u8), created on first use (src/codegen/pidseen.ts). */
  pidsMap(): MapPlan;
  /** The perf event array skboutput() writes packets to, created on first use. */
  perfMap(): MapPlan;
  /** skboutput() pcap paths; a packet's header carries the index. */
  skboutputs: string[];
  params: string[];
  /** Probes (not BEGIN/END) run only in the -p/-c process, as in current bpftrace. */
  pidFilter?: boolean;
  /** Source locations for the IR (absent when debug info is off). */
  debug?: DebugInfo;
  /** Test-only: leave out one safety step so the verifier rejects the program (test/verifier.test.ts). */
  badCode?: BadCodegen;
}

/**
 * Deliberately wrong code, to provoke real verifier rejections in tests
 * (TSTRACE_TEST_BAD_CODEGEN): `no-null-check` reads map values without
 * testing the lookup result; `no-probe-read` loads through a pointer field
 * of `args` directly instead of with probe_read_kernel.
 */
export type BadCodegen = 'no-null-check' | 'no-probe-read';

export class ProbeCodegen {
  readonly b: LLVM.IRBuilder;
  /** Inserts into the entry block (stack slots, one-time set-up). */
  protected readonly allocas: LLVM.IRBuilder;
  readonly fn: LLVM.Function;
  /** The probe's context (for a loop-body callback: loaded from the loop context). */
  ctxArg: LLVM.Value;
  readonly i64: LLVM.IntegerType;
  readonly i8: LLVM.IntegerType;
  readonly i8p: LLVM.PointerType;
  protected readonly vars = new Map<string, { ptr: LLVM.Value; type: Type }>();
  readonly loops: { breakBB: LLVM.BasicBlock; continueBB: LLVM.BasicBlock }[] = [];
  /**
   * Names of the callback subprograms (for-map loop bodies) emitted for this
   * program, shared with nested callbacks; they go into the program's section.
   */
  subprograms: string[] = [];
  /** The BPF program this function belongs to (itself, or the probe of a callback). */
  programName: string;

  private readonly scope?: LLVM.DISubprogram;

  /** `callback`: a static loop-body subprogram `i64 (map, key, value, loopctx)` instead of a probe. */
  constructor(readonly m: ModuleContext, readonly match: ProbeMatch, readonly name: string, loc?: Loc, callback = false) {
    const { llvm, ctx, module } = m;
    this.b = new llvm.IRBuilder(ctx);
    this.allocas = new llvm.IRBuilder(ctx);
    this.i64 = this.b.getInt64Ty();
    this.i8 = this.b.getInt8Ty();
    this.i8p = this.b.getInt8PtrTy();
    const fnType = llvm.FunctionType.get(this.i64, callback ? [this.i8p, this.i8p, this.i8p, this.i8p] : [this.i8p], false);
    const linkage = callback ? llvm.Function.LinkageTypes.InternalLinkage : llvm.Function.LinkageTypes.ExternalLinkage;
    this.fn = llvm.Function.Create(fnType, linkage, name, module);
    this.programName = name;
    this.ctxArg = this.fn.getArg(0);
    const entry = llvm.BasicBlock.Create(ctx, 'entry', this.fn);
    this.allocas.SetInsertPoint(entry);
    const body = llvm.BasicBlock.Create(ctx, 'body', this.fn);
    this.trackInsertPoint(body);
    this.blockIds.set(body, this.blockCount++);
    this.b.SetInsertPoint(body);
    this.bodyBB = body;
    if (m.debug && loc) {
      this.scope = callback
        ? m.debug.subprogram(this.fn, name, loc.line, ['map', 'key', 'value', 'ctx'], true)
        : m.debug.subprogram(this.fn, name, loc.line);
      this.currentLoc = [loc, loc];
      this.b.SetCurrentDebugLocation(m.debug.location(this.scope, loc));
      // Entry-block code (stack slots, zeroing) belongs to the probe as a whole.
      this.allocas.SetCurrentDebugLocation(m.debug.location(this.scope, loc));
    }
  }
  private currentLoc?: [Loc, Loc];

  /** Runs `emit` with `loc` (anchored at `anchor`, see DebugInfo.location) as the debug location of the instructions it creates. */
  private at<T>(loc: Loc, anchor: Loc, emit: () => T): T {
    const debug = this.m.debug;
    if (!debug || !this.scope) return emit();
    const outer = this.currentLoc;
    this.currentLoc = [loc, anchor];
    this.b.SetCurrentDebugLocation(debug.location(this.scope, loc, anchor));
    try {
      return emit();
    } finally {
      this.currentLoc = outer;
      if (outer) this.b.SetCurrentDebugLocation(debug.location(this.scope, outer[0], outer[1]));
    }
  }
  protected readonly bodyBB: LLVM.BasicBlock;

  // ---- small IR helpers ---------------------------------------------------

  const64(v: bigint): LLVM.Value {
    const u = BigInt.asUintN(64, v);
    if (u < 0x8000_0000n) return this.b.getInt64(Number(u));
    const hi = Number(u >> 32n);
    const lo = Number(u & 0xffff_ffffn);
    return this.b.CreateOr(this.b.CreateShl(this.b.getInt64(hi), this.b.getInt64(32)), this.b.getInt64(lo));
  }

  /**
   * An 8-aligned, zeroed stack buffer (allocated in the entry block: BPF can't
   * grow the stack). Temporaries die with their statement: `stmt` returns the
   * buffers a statement took to a pool the next statements reuse, so a probe
   * of many statements (capable.bt's 41 map assignments) fits in 512 bytes.
   */
  stackBuffer(size: number, name = 'buf', zeroed = true): LLVM.Value {
    const words = Math.max(1, align8(size) / 8);
    let ptr = this.freeBuffers.get(words)?.pop();
    if (!ptr) {
      const arr = this.allocas.CreateAlloca(this.m.llvm.ArrayType.get(this.i64, words), null, name);
      ptr = this.allocas.CreateBitCast(arr, this.i8p);
    }
    this.liveBuffers.push({ words, ptr });
    if (zeroed) this.zero(ptr, size);
    return ptr;
  }

  private readonly freeBuffers = new Map<number, LLVM.Value[]>();
  private readonly liveBuffers: { words: number; ptr: LLVM.Value }[] = [];

  /** Returns the buffers taken since `mark` to the pool. */
  private releaseBuffers(mark: number): void {
    for (const { words, ptr } of this.liveBuffers.splice(mark)) {
      let pool = this.freeBuffers.get(words);
      if (!pool) this.freeBuffers.set(words, (pool = []));
      pool.push(ptr);
    }
  }

  zero(ptr: LLVM.Value, size: number): void {
    for (let off = 0; off < align8(size); off += 8) this.b.CreateStore(this.b.getInt64(0), this.wordPtr(ptr, off));
  }

  bytePtr(ptr: LLVM.Value, offset: number): LLVM.Value {
    return offset === 0 ? ptr : this.b.CreateGEP(this.i8, ptr, this.b.getInt64(offset));
  }

  wordPtr(ptr: LLVM.Value, offset: number, bits = 64): LLVM.Value {
    const ty = this.b.getIntNTy(bits);
    return this.b.CreateBitCast(this.bytePtr(ptr, offset), this.m.llvm.PointerType.get(ty, 0));
  }

  /** Copies `size` bytes (rounded up to 8) between 8-aligned buffers. */
  copy(dst: LLVM.Value, src: LLVM.Value, size: number): void {
    for (let off = 0; off < align8(size); off += 8) {
      this.b.CreateStore(this.b.CreateLoad(this.i64, this.wordPtr(src, off)), this.wordPtr(dst, off));
    }
  }

  helper(id: Helper, ret: LLVM.Type, args: LLVM.Value[]): LLVM.Value {
    const { llvm } = this.m;
    const pure = args.length === 0 && SAME_IN_ONE_RUN.has(id);
    if (pure) {
      const known = this.knownResult(id);
      if (known) return known;
    }
    const fnTy = llvm.FunctionType.get(ret, args.map((a) => a.getType()), false);
    const callee = this.b.CreateIntToPtr(this.b.getInt64(id), llvm.PointerType.get(fnTy, 0));
    const v = this.b.CreateCall(fnTy, callee, args);
    if (pure && this.currentBlock >= 0) this.pureResults.set(id, { bb: this.currentBlock, v });
    return v;
  }

  /**
   * The result of an argument-less helper whose value cannot change during
   * one run (pid, cpu, …), called before in a block that dominates this one:
   * the same block, or one of its recorded single predecessors.
   */
  private knownResult(id: Helper): LLVM.Value | undefined {
    const known = this.pureResults.get(id);
    if (!known) return undefined;
    for (let bb: number | undefined = this.currentBlock; bb !== undefined && bb >= 0; bb = this.onlyPredecessor.get(bb)) {
      if (bb === known.bb) return known.v;
    }
    return undefined;
  }
  private readonly pureResults = new Map<Helper, { bb: number; v: LLVM.Value }>();
  /** Blocks entered only from one other block, so everything computed there is available in them. */
  private readonly onlyPredecessor = new Map<number, number>();
  /**
   * Blocks by number: llvm-bindings hands out a new wrapper for the same
   * block from GetInsertBlock (and blocks have no getName), so the blocks
   * newBlock made are numbered, and SetInsertPoint tracks the current one.
   */
  private readonly blockIds = new WeakMap<object, number>();
  private currentBlock = -1;

  private trackInsertPoint(first: LLVM.BasicBlock): void {
    const set = this.b.SetInsertPoint.bind(this.b) as (bb: LLVM.BasicBlock) => void;
    // (A read-only method on the prototype: an own property shadows it.)
    Object.defineProperty(this.b, 'SetInsertPoint', {
      value: (bb: LLVM.BasicBlock) => {
        this.currentBlock = this.blockIds.get(bb) ?? -1;
        set(bb);
      },
    });
    this.blockIds.set(first, this.blockIds.get(first) ?? -2);
    this.currentBlock = -1;
  }

  /** A conditional branch to `then` or `other`, each entered only from here. */
  branchTo(cond: LLVM.Value, then: LLVM.BasicBlock, other: LLVM.BasicBlock): void {
    const here = this.currentBlock;
    for (const bb of [then, other]) {
      const id = this.blockIds.get(bb);
      if (id !== undefined && here >= 0) this.onlyPredecessor.set(id, here);
    }
    this.b.CreateCondBr(cond, then, other);
  }

  mapRef(map: MapPlan): LLVM.Value {
    return this.pseudo(BPF_PSEUDO_MAP_IDX, map);
  }

  /**
   * The address of the value of a one-element array map (`ld_imm64` with
   * BPF_PSEUDO_MAP_IDX_VALUE): no lookup call, no null check.
   */
  mapValueRef(map: MapPlan): LLVM.Value {
    return this.pseudo(BPF_PSEUDO_MAP_IDX_VALUE, map);
  }

  private pseudo(kind: number, map: MapPlan): LLVM.Value {
    const { llvm, module } = this.m;
    const pseudo = module.getOrInsertFunction('llvm.bpf.pseudo', llvm.FunctionType.get(this.i64, [this.i64, this.i64], false));
    return this.b.CreateIntToPtr(this.b.CreateCall(pseudo, [this.b.getInt64(kind), this.b.getInt64(map.index)]), this.i8p);
  }

  /**
   * `lock *(u64 *)ptr += operand` (or `|=`). llvm-bindings has no atomicrmw:
   * this calls a marker function that generateIR turns into one in the IR text.
   */
  atomic(op: 'add' | 'or', ptr: LLVM.Value, operand: LLVM.Value): void {
    const { llvm, module } = this.m;
    const i64p = llvm.PointerType.get(this.i64, 0);
    const marker = module.getOrInsertFunction(ATOMIC_MARKER + op, llvm.FunctionType.get(llvm.Type.getVoidTy(this.m.ctx), [i64p, this.i64], false));
    this.b.CreateCall(marker, [ptr, operand]);
  }

  newBlock(name: string): LLVM.BasicBlock {
    const bb = this.m.llvm.BasicBlock.Create(this.m.ctx, name, this.fn);
    this.blockIds.set(bb, this.blockCount++);
    return bb;
  }
  private blockCount = 0;

  terminated(): boolean {
    return this.b.GetInsertBlock()?.getTerminator() != null;
  }

  /** Ends the probe invocation here; code after it goes to an unreachable block LLVM drops. */
  returnNow(): void {
    this.b.CreateRet(this.b.getInt64(0));
    this.b.SetInsertPoint(this.newBlock('dead'));
  }

  /** Extends the low `bits` of an i64 back to 64 bits, as the type's signedness says. */
  normalize(v: LLVM.Value, t: Type): LLVM.Value {
    if (t.kind !== 'int' || t.bits === 64) return v;
    const narrow = this.b.CreateTrunc(v, this.b.getIntNTy(t.bits));
    return t.signed ? this.b.CreateSExt(narrow, this.i64) : this.b.CreateZExt(narrow, this.i64);
  }

  boolToI64(v: LLVM.Value): LLVM.Value {
    return this.b.CreateZExt(v, this.i64);
  }

  isTrue(v: LLVM.Value): LLVM.Value {
    return this.b.CreateICmpNE(v, this.b.getInt64(0));
  }

  paramText(p: Extract<Expr, { kind: 'Param' }>): string {
    return p.count ? String(this.m.params.length) : this.m.params[p.index - 1] ?? '';
  }

  // ---- probe body ----------------------------------------------------------

  generate(predicate: Expr | undefined, body: Block): void {
    if (this.m.pidFilter && !this.match.provider.special && !this.match.provider.runsInReader) this.returnUnlessTargetPid();
    if (predicate) {
      const mark = this.liveBuffers.length;
      const cond = this.intValue(predicate);
      this.releaseBuffers(mark);
      const pass = this.newBlock('pred_true');
      const fail = this.newBlock('pred_false');
      this.branchTo(this.isTrue(cond), pass, fail);
      this.b.SetInsertPoint(fail);
      this.b.CreateRet(this.b.getInt64(0));
      this.b.SetInsertPoint(pass);
    }
    this.block(body);
    if (!this.terminated()) this.b.CreateRet(this.b.getInt64(0));
    this.allocas.CreateBr(this.bodyBB);
    this.finishDebugInfo();
  }

  /** A program whose body is not script code (the set-up uprobe of watchpoint:FUNC+argN): `emit` builds it. */
  generateWith(emit: () => void): void {
    emit();
    if (!this.terminated()) this.b.CreateRet(this.b.getInt64(0));
    this.allocas.CreateBr(this.bodyBB);
    this.finishDebugInfo();
  }

  protected finishDebugInfo(): void {
    if (this.scope) this.m.debug!.finishFunction(this.scope);
  }

  block(b: Block): void {
    for (const s of b.stmts) this.stmt(s);
  }

  stmt(s: Stmt): void {
    this.at(s.loc, s.kind === 'Assign' ? s.opLoc : s.loc, () => {
      // No value outlives its statement (variables have their own slots).
      const mark = this.liveBuffers.length;
      this.stmtHere(s);
      this.releaseBuffers(mark);
    });
  }

  private stmtHere(s: Stmt): void {
    switch (s.kind) {
      case 'ExprStmt':
        this.expr(s.expr);
        return;
      case 'Assign':
        this.assign(s);
        return;
      case 'If': {
        const cond = this.intValue(s.cond);
        const thenBB = this.newBlock('if_then');
        const elseBB = this.newBlock('if_else');
        const endBB = this.newBlock('if_end');
        this.b.CreateCondBr(this.isTrue(cond), thenBB, elseBB);
        this.b.SetInsertPoint(thenBB);
        this.block(s.then);
        if (!this.terminated()) this.b.CreateBr(endBB);
        this.b.SetInsertPoint(elseBB);
        if (s.else) this.block(s.else);
        if (!this.terminated()) this.b.CreateBr(endBB);
        this.b.SetInsertPoint(endBB);
        return;
      }
      case 'While': {
        const condBB = this.newBlock('while_cond');
        const bodyBB = this.newBlock('while_body');
        const endBB = this.newBlock('while_end');
        this.b.CreateBr(condBB);
        this.b.SetInsertPoint(condBB);
        this.b.CreateCondBr(this.isTrue(this.intValue(s.cond)), bodyBB, endBB);
        this.b.SetInsertPoint(bodyBB);
        this.loops.push({ breakBB: endBB, continueBB: condBB });
        this.block(s.body);
        this.loops.pop();
        if (!this.terminated()) this.b.CreateBr(condBB);
        this.b.SetInsertPoint(endBB);
        return;
      }
      case 'Unroll': {
        const n = s.count.kind === 'Int' ? Number(s.count.value) : s.count.kind === 'Param' ? Number(this.paramText(s.count)) || 0 : 1;
        for (let i = 0; i < n; i++) this.block(s.body);
        return;
      }
      case 'Let': {
        const t = s.variable.type;
        if (!t) {
          // `let $x;` with no type yet: nothing reads it before an assignment.
          if (s.value) this.expr(s.value);
          return;
        }
        const slot = this.variable(s.variable.slot!, t);
        // Declared again on every pass through the block: reset, then store.
        if (s.value) {
          const v = this.expr(s.value);
          this.storeValue(slot.ptr, v.kind === 'int' ? { kind: 'int', v: this.normalize(v.v, t) } : v, t);
        } else {
          this.zero(slot.ptr, t.kind === 'int' ? 8 : storageSize(t));
        }
        return;
      }
      case 'For': {
        // Bounds are evaluated once. The counter runs start..end-1 (signed
        // compare); the verifier sees a loop whose exit test is on the counter.
        const start = this.intValue(s.start);
        const end = this.intValue(s.end);
        const endSlot = this.allocas.CreateAlloca(this.i64, null, 'for_end');
        this.b.CreateStore(end, endSlot);
        const slot = this.variable(s.variable.slot!, INT64_T);
        const iPtr = this.wordPtr(slot.ptr, 0);
        this.b.CreateStore(start, iPtr);
        const condBB = this.newBlock('for_cond');
        const bodyBB = this.newBlock('for_body');
        const stepBB = this.newBlock('for_step');
        const endBB = this.newBlock('for_end');
        this.b.CreateBr(condBB);
        this.b.SetInsertPoint(condBB);
        const i = this.b.CreateLoad(this.i64, iPtr);
        this.b.CreateCondBr(this.b.CreateICmpSLT(i, this.b.CreateLoad(this.i64, endSlot)), bodyBB, endBB);
        this.b.SetInsertPoint(bodyBB);
        this.loops.push({ breakBB: endBB, continueBB: stepBB });
        this.block(s.body);
        this.loops.pop();
        if (!this.terminated()) this.b.CreateBr(stepBB);
        this.b.SetInsertPoint(stepBB);
        this.b.CreateStore(this.b.CreateAdd(this.b.CreateLoad(this.i64, iPtr), this.b.getInt64(1)), iPtr);
        this.b.CreateBr(condBB);
        this.b.SetInsertPoint(endBB);
        return;
      }
      case 'ForMap':
        // Required here, not imported: formap.ts subclasses ProbeCodegen, so it must load after this module.
        (require('./formap') as typeof import('./formap')).emitForMap(this, s);
        return;
      case 'Jump': {
        if (s.jump === 'return') return this.returnNow();
        const loop = this.loops[this.loops.length - 1];
        this.b.CreateBr(s.jump === 'break' ? loop.breakBB : loop.continueBB);
        this.b.SetInsertPoint(this.newBlock('after_jump'));
        return;
      }
    }
  }

  assign(s: Extract<Stmt, { kind: 'Assign' }>): void {
    const value: Expr = s.op === '='
      ? s.value
      : { kind: 'Binary', op: s.op.slice(0, -1) as never, left: s.target, right: s.value, opLoc: s.opLoc, loc: s.loc, type: s.target.type };
    if (s.target.kind === 'Variable') {
      const t = s.target.type!;
      const slot = this.variable(s.target.slot ?? s.target.name, t);
      const v = this.expr(value);
      this.storeValue(slot.ptr, v.kind === 'int' ? { kind: 'int', v: this.normalize(v.v, t) } : v, t);
      return;
    }
    const map = s.target;
    const info = this.mapInfo(map.name);
    if (info.valueType.kind === 'agg' && value.kind === 'Call') {
      emitCall(this, value, { map, info });
      return;
    }
    const v = this.expr(value);
    this.mapStore(map, v, s.loc);
  }

  variable(name: string, t: Type): { ptr: LLVM.Value; type: Type } {
    let slot = this.vars.get(name);
    if (!slot) {
      // Variables are zeroed at probe entry: bpftrace variables start at 0/"".
      const size = t.kind === 'int' ? 8 : align8(storageSize(t));
      const words = Math.max(1, size / 8);
      const arr = this.allocas.CreateAlloca(this.m.llvm.ArrayType.get(this.i64, words), null, name.slice(1));
      const ptr = this.allocas.CreateBitCast(arr, this.i8p);
      for (let off = 0; off < size; off += 8) {
        const w = off === 0 ? this.allocas.CreateBitCast(ptr, this.m.llvm.PointerType.get(this.i64, 0))
          : this.allocas.CreateBitCast(this.allocas.CreateGEP(this.i8, ptr, this.allocas.getInt64(off)), this.m.llvm.PointerType.get(this.i64, 0));
        this.allocas.CreateStore(this.allocas.getInt64(0), w);
      }
      slot = { ptr, type: t };
      this.vars.set(name, slot);
    }
    return slot;
  }

  /** Stores a value of type `t` at `ptr` in storage layout. */
  storeValue(ptr: LLVM.Value, v: CgValue, t: Type): void {
    if (v.kind === 'int') {
      this.b.CreateStore(v.v, this.wordPtr(ptr, 0));
      return;
    }
    const size = storageSize(t);
    if (v.size < size) this.zero(ptr, size);
    this.copy(ptr, v.ptr, Math.min(v.size, size));
  }

  /**
   * Stores the value of `e` at `ptr` in the storage layout of `t`; `comm` is
   * written there by its helper, with no stack copy in between.
   */
  writeExpr(e: Expr, ptr: LLVM.Value, t: Type, padded = true): void {
    if (isComm(e) && t.kind === 'string' && t.size === COMM_SIZE) {
      this.at(e.loc, e.loc, () => this.helper(Helper.get_current_comm, this.i64, [ptr, this.b.getInt64(COMM_SIZE)]));
      return;
    }
    if (e.kind === 'Call' && t.kind === 'string' && this.at(e.loc, e.loc, () => writeStrInto(this, e, ptr, t.size, padded))) return;
    if (t.kind === 'stack' && t.user && isUstack(e)) {
      this.at(e.loc, e.loc, () => this.writeUserStackId(t, ptr));
      return;
    }
    this.storeValue(ptr, this.expr(e), t);
  }

  /** Loads a value of type `t` from storage layout at `ptr` (copying buffers to the stack). */
  loadValue(ptr: LLVM.Value, t: Type): CgValue {
    if (t.kind === 'int' || t.kind === 'bool' || t.kind === 'pointer' || t.kind === 'text' || t.kind === 'stack') {
      return { kind: 'int', v: this.b.CreateLoad(this.i64, this.wordPtr(ptr, 0)) };
    }
    const size = storageSize(t);
    const buf = this.stackBuffer(size, 'val');
    this.copy(buf, ptr, size);
    return { kind: 'buf', ptr: buf, size };
  }

  mapInfo(name: string): MapInfo {
    const info = this.m.checked.maps.find((x) => x.name === name);
    if (!info) throw new CodegenError(`internal: unknown map ${name}`);
    return info;
  }

  mapPlan(name: string): MapPlan {
    return this.m.maps.get(name)!;
  }

  /**
   * Builds the key buffer for `@map[keys]` (a u32 0 for keyless per-CPU
   * arrays). hist/lhist maps append the bucket index as a last key part.
   */
  mapKey(map: MapExpr, bucket?: LLVM.Value): LLVM.Value {
    const info = this.mapInfo(map.name);
    const plan = this.mapPlan(map.name);
    const keyless = info.valueType.kind === 'agg' && isKeylessArrayAgg(info.valueType.agg, info.keyTypes);
    // Padding and short strings must be zero (the bytes are the key); parts that fill their slots need no zeroing first.
    const filled = !keyless && (map.keys.length > 0 || bucket !== undefined) && map.keys.every((k, i) => fillsSlot(k, info.keyTypes[i]));
    const key = this.stackBuffer(plan.keySize, 'key', !filled);
    if (keyless) return key;
    const keyTypes = bucket ? histKeyTypes(info.keyTypes) : info.keyTypes;
    const layout = keyLayout(keyTypes);
    map.keys.forEach((k, i) => this.writeExpr(k, this.bytePtr(key, layout.offsets[i]), info.keyTypes[i]));
    if (bucket) this.b.CreateStore(bucket, this.wordPtr(key, layout.offsets[layout.offsets.length - 1]));
    return key;
  }

  mapStore(map: MapExpr, v: CgValue, loc: Loc = map.loc): void {
    const info = this.mapInfo(map.name);
    const plan = this.mapPlan(map.name);
    const key = this.mapKey(map);
    const val = this.stackBuffer(plan.valueSize, 'mapval');
    this.storeValue(val, v, info.valueType);
    this.updateMap(plan, key, val, loc);
  }

  /**
   * bpf_map_update_elem that reports a full map: the return code is OR-ed
   * into the counters word of its update site (no branch; 0 on success),
   * which user space reads after every batch, every
   * second and at exit, and warns once per map. `val` 'one': the value is
   * counters word COUNTER_ONE, whose address stays in a callee-saved
   * register for the OR (one instruction instead of an ld_imm64 each).
   * `canFill` false: the caller proved the map holds all its possible keys.
   */
  updateMap(plan: MapPlan, key: LLVM.Value, val: LLVM.Value | 'one', loc: Loc, canFill = true): void {
    // One llvm.bpf.pseudo call: LLVM does not merge two (they are not readnone), so it would load the address twice.
    const counters = this.mapValueRef(this.m.counters);
    const value = val === 'one' ? this.counterWord(COUNTER_ONE, counters) : val;
    const rc = this.helper(Helper.map_update_elem, this.i64, [this.mapRef(plan), key, value, this.b.getInt64(0)]);
    if (!canFill) return;
    const site = this.m.mapUpdateSites.push({ map: plan.name, loc }) - 1;
    this.atomic('or', this.counterWord(COUNTER_MAP_FULL + site, counters), rc);
  }

  /** Word `word` of the counters map (one value shared by all CPUs). */
  counterWord(word: number, counters = this.mapValueRef(this.m.counters)): LLVM.Value {
    return this.wordPtr(counters, word * 8);
  }

  /** The null branch of a ring-buffer reserve: count the record as lost (atomically: every CPU adds to one word). */
  countLostEvent(): void {
    this.atomic('add', this.counterWord(COUNTER_LOST_EVENTS), this.b.getInt64(1));
  }

  /** Reads `@map[keys]`; a missing key reads as zero / empty. */
  mapLoad(map: MapExpr): CgValue {
    const info = this.mapInfo(map.name);
    const plan = this.mapPlan(map.name);
    const key = this.mapKey(map);
    const ptr = this.helper(Helper.map_lookup_elem, this.i8p, [this.mapRef(plan), key]);
    const found = this.newBlock('map_found');
    const missing = this.newBlock('map_missing');
    const done = this.newBlock('map_done');
    const t = info.valueType;
    const scalar = t.kind === 'int' || t.kind === 'pointer' || t.kind === 'text' || t.kind === 'bool' || t.kind === 'agg' || t.kind === 'stack';
    const result = scalar ? undefined : this.stackBuffer(storageSize(t), 'mapread');
    if (this.m.badCode === 'no-null-check') this.b.CreateBr(found);
    else this.b.CreateCondBr(this.b.CreateIsNull(ptr), missing, found);
    this.b.SetInsertPoint(found);
    let loaded: LLVM.Value | undefined;
    if (result) this.copy(result, ptr, storageSize(t));
    else loaded = this.b.CreateLoad(this.i64, this.wordPtr(ptr, 0));
    const foundEnd = this.b.GetInsertBlock()!;
    this.b.CreateBr(done);
    this.b.SetInsertPoint(missing);
    this.b.CreateBr(done);
    this.b.SetInsertPoint(done);
    if (result) return { kind: 'buf', ptr: result, size: storageSize(t) };
    const phi = this.b.CreatePHI(this.i64, 2);
    phi.addIncoming(loaded!, foundEnd);
    phi.addIncoming(this.b.getInt64(0), missing);
    return { kind: 'int', v: phi };
  }

  /**
   * Writes a ring-buffer event: u64 header, then the payload values in
   * storage layout. A record that does not fit is counted as lost (and
   * `onLost` runs). Values given as expressions (`e`, side-effect free) are
   * computed once the record is reserved, straight into it.
   */
  emitEvent(header: number, values: ({ v: CgValue; t: Type } | { e: Expr; t: Type })[], onLost?: () => void, countLost = true): void {
    let size = 8;
    const offsets = values.map(({ t }) => {
      const at = size;
      size += align8(storageSize(t));
      return at;
    });
    const ringbuf = this.mapRef(this.m.ringbuf);
    const rec = this.helper(Helper.ringbuf_reserve, this.i8p, [ringbuf, this.b.getInt64(size), this.b.getInt64(0)]);
    const ok = this.newBlock('event_ok');
    const lost = this.newBlock('event_lost');
    const done = this.newBlock('event_done');
    this.branchTo(this.b.CreateIsNull(rec), lost, ok);
    this.b.SetInsertPoint(lost);
    if (countLost) this.countLostEvent();
    onLost?.();
    this.b.CreateBr(done);
    this.b.SetInsertPoint(ok);
    this.b.CreateStore(this.b.getInt64(header), this.wordPtr(rec, 0));
    values.forEach((x, i) => {
      const at = this.bytePtr(rec, offsets[i]);
      // (Record bytes after a string's NUL are never read: no padding.)
      if ('e' in x) return this.writeExpr(x.e, at, x.t, false);
      const { v, t } = x;
      if (v.kind === 'int') this.b.CreateStore(v.v, this.wordPtr(at, 0));
      else this.copy(at, v.ptr, Math.min(v.size, storageSize(t)));
    });
    this.helper(Helper.ringbuf_submit, this.m.llvm.Type.getVoidTy(this.m.ctx), [rec, header === EVENT_EXIT ? this.b.getInt64(BPF_RB_FORCE_WAKEUP) : this.wakeupFlag()]);
    this.b.CreateBr(done);
    this.b.SetInsertPoint(done);
  }

  /**
   * The submit flags user space keeps in config word CONFIG_WAKEUP (see
   * plan.ts): one load, where a rate limit in BPF took a clock read, a
   * compare and a store (twelve instructions and ~30 ns more per record).
   */
  private wakeupFlag(): LLVM.Value {
    return this.configWord(CONFIG_WAKEUP);
  }

  exit(code: CgValue | undefined): void {
    const value = code ?? { kind: 'int' as const, v: this.b.getInt64(0) };
    // Ring buffer full: user space finds the request in the counters after its next batch (not counted as a lost event).
    const requestInCounters = () => {
      if (value.kind === 'int') this.b.CreateStore(this.b.CreateAdd(value.v, this.b.getInt64(1)), this.counterWord(COUNTER_EXIT));
    };
    // exit() without a code sends the header alone (user space reads a missing code as 0): two instructions fewer.
    const payload: { v: CgValue; t: Type }[] = code ? [{ v: value, t: { kind: 'int', bits: 64, signed: true } }] : [];
    this.emitEvent(EVENT_EXIT, payload, requestInCounters, false);
    this.returnNow();
  }

  // ---- expressions -----------------------------------------------------------

  intValue(e: Expr): LLVM.Value {
    const v = this.expr(e);
    if (v.kind !== 'int') throw new CodegenError(`internal: expected an integer for ${e.kind}`);
    return v.v;
  }

  expr(e: Expr): CgValue {
    return this.at(e.loc, e.kind === 'Binary' ? e.opLoc : e.loc, () => this.exprHere(e));
  }

  private exprHere(e: Expr): CgValue {
    const int = (v: LLVM.Value): CgValue => ({ kind: 'int', v });
    switch (e.kind) {
      case 'Int':
        return int(this.const64(e.value));
      case 'Bool':
        return int(this.b.getInt64(e.value ? 1 : 0));
      case 'String': {
        const bytes = Buffer.from(e.value, 'latin1');
        const size = bytes.length + 1;
        const buf = this.stackBuffer(size, 'str');
        for (let off = 0; off < bytes.length; off += 8) {
          const word = Buffer.alloc(8);
          bytes.copy(word, 0, off, Math.min(off + 8, bytes.length));
          const w = word.readBigUInt64LE(0);
          if (w !== 0n) this.b.CreateStore(this.const64(w), this.wordPtr(buf, off));
        }
        return { kind: 'buf', ptr: buf, size };
      }
      case 'Param':
        return int(this.const64(e.count ? BigInt(this.m.params.length) : BigInt(/^[0-9]+$/.test(this.paramText(e)) ? this.paramText(e) : '0')));
      case 'Identifier':
        if (e.value !== undefined) return int(this.const64(e.value));
        return this.builtin(e.name, e.type!);
      case 'Variable': {
        const slot = this.variable(e.slot ?? e.name, e.type!);
        return this.loadValue(slot.ptr, slot.type);
      }
      case 'Map':
        return this.mapLoad(e);
      case 'Call':
        return emitCall(this, e, undefined) ?? int(this.b.getInt64(0));
      case 'Binary':
        return this.binary(e);
      case 'Unary': {
        if (e.op === '*') return emitAccess(this, e);
        const v = this.intValue(e.operand);
        switch (e.op) {
          case '-': return int(this.normalize(this.b.CreateNeg(v), e.type!));
          case '~': return int(this.normalize(this.b.CreateNot(v), e.type!));
          case '!': return int(this.boolToI64(this.b.CreateICmpEQ(v, this.b.getInt64(0))));
          default: throw new CodegenError(`unsupported operator ${e.op}`, e.loc);
        }
      }
      case 'IncDec': {
        // (getInt64(-1) would be 0xffffffff: llvm-bindings takes the number as unsigned 32-bit.)
        const old = this.intValue(e.target);
        const one = this.b.getInt64(1);
        const updated = this.normalize(e.op === '++' ? this.b.CreateAdd(old, one) : this.b.CreateSub(old, one), e.type!);
        if (e.target.kind === 'Variable') this.b.CreateStore(updated, this.wordPtr(this.variable(e.target.slot ?? e.target.name, e.target.type!).ptr, 0));
        else this.mapStore(e.target as MapExpr, int(updated), e.loc);
        return int(e.prefix ? updated : old);
      }
      case 'Ternary': {
        const cond = this.intValue(e.cond);
        const t = e.type!;
        const result = t.kind === 'int' ? undefined : this.stackBuffer(storageSize(t), 'ternary');
        const thenBB = this.newBlock('tern_then');
        const elseBB = this.newBlock('tern_else');
        const endBB = this.newBlock('tern_end');
        this.b.CreateCondBr(this.isTrue(cond), thenBB, elseBB);
        const arms: [LLVM.Value, LLVM.BasicBlock][] = [];
        for (const [bb, arm] of [[thenBB, e.then], [elseBB, e.else]] as const) {
          this.b.SetInsertPoint(bb);
          const v = e.elvis && bb === thenBB ? int(cond) : this.expr(arm);
          if (result && v.kind === 'buf') this.copy(result, v.ptr, Math.min(v.size, storageSize(t)));
          if (v.kind === 'int') arms.push([v.v, this.b.GetInsertBlock()!]);
          this.b.CreateBr(endBB);
        }
        this.b.SetInsertPoint(endBB);
        if (result) return { kind: 'buf', ptr: result, size: storageSize(t) };
        const phi = this.b.CreatePHI(this.i64, 2);
        for (const [v, bb] of arms) phi.addIncoming(v, bb);
        return int(phi);
      }
      case 'Field':
        return configReads.has(e) ? int(this.b.getInt64(Number(configReads.get(e)!))) : this.field(e);
      case 'TupleIndex': {
        const tuple = this.expr(e.object);
        const tt = e.object.type as Extract<Type, { kind: 'tuple' }>;
        if (tuple.kind !== 'buf') throw new CodegenError('internal: tuple is not a buffer', e.loc);
        return this.loadValue(this.bytePtr(tuple.ptr, tupleOffsets(tt)[e.index]), tt.elems[e.index]);
      }
      case 'Tuple': {
        const tt = e.type as Extract<Type, { kind: 'tuple' }>;
        const buf = this.stackBuffer(storageSize(tt), 'tuple');
        const offsets = tupleOffsets(tt);
        e.elems.forEach((x, i) => this.storeValue(this.bytePtr(buf, offsets[i]), this.expr(x), tt.elems[i]));
        return { kind: 'buf', ptr: buf, size: storageSize(tt) };
      }
      case 'Sizeof':
        return int(this.b.getInt64(e.size ?? 0));
      case 'Offsetof':
        return int(this.b.getInt64(e.offset ?? 0));
      case 'BlockExpr':
        for (const st of e.stmts) this.stmt(st);
        return e.value ? this.expr(e.value) : int(this.b.getInt64(0));
      case 'Cast': {
        const v = this.intValue(e.expr);
        return int(this.normalize(v, e.type!));
      }
      case 'Index':
        if (e.tupleIndex !== undefined) return this.expr({ kind: 'TupleIndex', object: e.object, index: e.tupleIndex, loc: e.loc, type: e.type });
        return emitAccess(this, e);
    }
  }

  binary(e: Extract<Expr, { kind: 'Binary' }>): CgValue {
    const int = (v: LLVM.Value): CgValue => ({ kind: 'int', v });
    if (e.op === '&&' || e.op === '||') return int(this.shortCircuit(e));
    const lt = e.left.type!;
    const rt = e.right.type!;
    if (lt.kind === 'string' && rt.kind === 'string') {
      const eq = this.stringsEqual(this.expr(e.left), this.expr(e.right));
      return int(this.boolToI64(e.op === '==' ? eq : this.b.CreateNot(eq)));
    }
    let l = this.intValue(e.left);
    let r = this.intValue(e.right);
    if ((e.op === '+' || e.op === '-') && (lt.kind === 'pointer') !== (rt.kind === 'pointer')) {
      // Pointer arithmetic moves by whole elements.
      if (lt.kind === 'pointer') r = this.b.CreateMul(r, this.b.getInt64(pointerStride(lt)));
      else l = this.b.CreateMul(l, this.b.getInt64(pointerStride(rt)));
    }
    const signed = lt.kind === 'int' && rt.kind === 'int' && lt.signed && rt.signed;
    const b = this.b;
    switch (e.op) {
      case '+': return int(b.CreateAdd(l, r));
      case '-': return int(b.CreateSub(l, r));
      case '*': return int(b.CreateMul(l, r));
      case '/': case '%': {
        // Unsigned, and x/0 == 0, as BPF (and bpftrace 0.17) define it.
        const zero = b.CreateICmpEQ(r, b.getInt64(0));
        const safe = b.CreateSelect(zero, b.getInt64(1), r);
        const q = e.op === '/' ? b.CreateUDiv(l, safe) : b.CreateURem(l, safe);
        return int(b.CreateSelect(zero, b.getInt64(0), q));
      }
      case '&': return int(b.CreateAnd(l, r));
      case '|': return int(b.CreateOr(l, r));
      case '^': return int(b.CreateXor(l, r));
      case '<<': return int(b.CreateShl(l, r));
      case '>>': return int(b.CreateLShr(l, r));
      case '==': return int(this.boolToI64(b.CreateICmpEQ(l, r)));
      case '!=': return int(this.boolToI64(b.CreateICmpNE(l, r)));
      case '<': return int(this.boolToI64(signed ? b.CreateICmpSLT(l, r) : b.CreateICmpULT(l, r)));
      case '<=': return int(this.boolToI64(signed ? b.CreateICmpSLE(l, r) : b.CreateICmpULE(l, r)));
      case '>': return int(this.boolToI64(signed ? b.CreateICmpSGT(l, r) : b.CreateICmpUGT(l, r)));
      case '>=': return int(this.boolToI64(signed ? b.CreateICmpSGE(l, r) : b.CreateICmpUGE(l, r)));
    }
    throw new CodegenError(`unsupported operator ${e.op}`, e.opLoc);
  }

  private shortCircuit(e: Extract<Expr, { kind: 'Binary' }>): LLVM.Value {
    const l = this.isTrue(this.intValue(e.left));
    const leftEnd = this.b.GetInsertBlock()!;
    const rhsBB = this.newBlock('sc_rhs');
    const endBB = this.newBlock('sc_end');
    if (e.op === '&&') this.b.CreateCondBr(l, rhsBB, endBB);
    else this.b.CreateCondBr(l, endBB, rhsBB);
    this.b.SetInsertPoint(rhsBB);
    const r = this.boolToI64(this.isTrue(this.intValue(e.right)));
    const rhsEnd = this.b.GetInsertBlock()!;
    this.b.CreateBr(endBB);
    this.b.SetInsertPoint(endBB);
    const phi = this.b.CreatePHI(this.i64, 2);
    phi.addIncoming(this.b.getInt64(e.op === '&&' ? 0 : 1), leftEnd);
    phi.addIncoming(r, rhsEnd);
    return phi;
  }

  /** C-string equality over the shorter capacity, stopping at the first NUL. */
  stringsEqual(a: CgValue, b: CgValue): LLVM.Value {
    if (a.kind !== 'buf' || b.kind !== 'buf') throw new CodegenError('internal: string is not a buffer');
    const n = Math.min(a.size, b.size);
    const endBB = this.newBlock('streq_end');
    const incoming: [LLVM.Value, LLVM.BasicBlock][] = [];
    for (let i = 0; i < n; i++) {
      const ca = this.b.CreateLoad(this.i8, this.bytePtr(a.ptr, i));
      const cb = this.b.CreateLoad(this.i8, this.bytePtr(b.ptr, i));
      const same = this.b.CreateICmpEQ(ca, cb);
      const next = this.newBlock('streq_next');
      incoming.push([this.b.getFalse(), this.b.GetInsertBlock()!]);
      this.b.CreateCondBr(same, next, endBB);
      this.b.SetInsertPoint(next);
      const atEnd = this.b.CreateICmpEQ(ca, this.m.llvm.ConstantInt.get(this.i8, 0));
      const cont = this.newBlock('streq_cont');
      incoming.push([this.b.getTrue(), this.b.GetInsertBlock()!]);
      this.b.CreateCondBr(atEnd, endBB, cont);
      this.b.SetInsertPoint(cont);
    }
    // Equal over the whole shorter capacity (no NUL seen): treat as equal.
    incoming.push([this.b.getTrue(), this.b.GetInsertBlock()!]);
    this.b.CreateBr(endBB);
    this.b.SetInsertPoint(endBB);
    const phi = this.b.CreatePHI(this.b.getInt1Ty(), incoming.length);
    for (const [v, bb] of incoming) phi.addIncoming(v, bb);
    return phi;
  }

  field(e: Extract<Expr, { kind: 'Field' }>): CgValue {
    return emitAccess(this, e);
  }

  /** The implicit `pid == PID` filter of -p/-c. */
  private returnUnlessTargetPid(): void {
    const b = this.b;
    const pid = b.CreateLShr(this.helper(Helper.get_current_pid_tgid, this.i64, []), b.getInt64(32));
    const pass = this.newBlock('pid_match');
    const fail = this.newBlock('pid_other');
    b.CreateCondBr(b.CreateICmpEQ(pid, this.configWord(CONFIG_TARGET_PID)), pass, fail);
    b.SetInsertPoint(fail);
    b.CreateRet(b.getInt64(0));
    b.SetInsertPoint(pass);
  }

  /**
   * `v`, hidden from LLVM's folds by llvm.bpf.passthrough (the BPF backend
   * drops the call before instruction selection). InstCombine rewrites
   * `(x >> 32) == C` into `(x & 0xffffffff00000000) == C << 32`, two ld_imm64
   * more than the shift and a compare with an immediate.
   */
  opaque(v: LLVM.Value): LLVM.Value {
    const { llvm, module } = this.m;
    const ty = v.getType();
    const bits = ty.isIntegerTy(32) ? 32 : 64;
    const fn = module.getOrInsertFunction(`llvm.bpf.passthrough.i${bits}.i${bits}`, llvm.FunctionType.get(ty, [this.b.getInt32Ty(), ty], false));
    return this.b.CreateCall(fn, [this.b.getInt32(this.passthroughSeq++), v]);
  }
  private passthroughSeq = 0;

  /** A word of the config map that user space wrote before BEGIN. */
  configWord(index: number): LLVM.Value {
    return this.b.CreateLoad(this.i64, this.wordPtr(this.mapValueRef(this.m.config), index * 8));
  }

  /** kstack/ustack value: the stack id (ustack: (pid << 32) | id); see checker/types. */
  stackId(t: Type): LLVM.Value {
    const b = this.b;
    const id = this.rawStackId(t);
    if (!(t.kind === 'stack' && t.user)) return id;
    const pid = this.stackPid();
    return b.CreateOr(b.CreateShl(pid, b.getInt64(32)), b.CreateAnd(id, b.getInt64(0xffffffff)));
  }

  private rawStackId(t: Type): LLVM.Value {
    const user = t.kind === 'stack' && t.user;
    const map = this.m.stackMap(user, t.kind === 'stack' ? t.limit : 127);
    return this.helper(Helper.get_stackid, this.i64, [this.ctxArg, this.mapRef(map), this.b.getInt64(user ? 256 : 0)]);
  }

  /** The pid a user stack id is tagged with (user space reads that process's mappings). */
  private stackPid(): LLVM.Value {
    const pid = this.opaque(this.b.CreateLShr(this.helper(Helper.get_current_pid_tgid, this.i64, []), this.b.getInt64(32)));
    notePid(this, pid);
    return pid;
  }

  /**
   * A ustack value written into storage (a map key): the two 32-bit halves
   * of stackId's (pid << 32) | id stored apiece, the id before the pid call
   * (no register to keep it in): four instructions fewer than shifting,
   * masking and OR-ing them.
   */
  private writeUserStackId(t: Type, ptr: LLVM.Value): void {
    const i32 = this.b.getInt32Ty();
    this.b.CreateStore(this.b.CreateTrunc(this.rawStackId(t), i32), this.wordPtr(ptr, 0, 32));
    this.b.CreateStore(this.b.CreateTrunc(this.stackPid(), i32), this.wordPtr(ptr, 4, 32));
  }

  /**
   * `func`: the probed function's address, symbolised in user space. Kernel
   * probes ask bpf_get_func_ip (the function's entry even in return probes);
   * uprobes take the instruction pointer, tagged with the pid as usym does.
   */
  funcAddress(): LLVM.Value {
    const b = this.b;
    const p = this.match.provider.name;
    if (p !== 'uprobe' && p !== 'uretprobe' && p !== 'usdt') return this.helper(Helper.get_func_ip, this.i64, [this.ctxArg]);
    const ip = p === 'uretprobe' ? this.helper(Helper.get_func_ip, this.i64, [this.ctxArg]) : b.CreateLoad(this.i64, this.wordPtr(this.ctxArg, PT_REGS_OFFSETS.ip));
    const pid = b.CreateLShr(this.helper(Helper.get_current_pid_tgid, this.i64, []), b.getInt64(32));
    notePid(this, pid);
    return b.CreateOr(b.CreateShl(pid, b.getInt64(47)), b.CreateAnd(ip, this.const64((1n << 47n) - 1n)));
  }

  builtin(name: string, t: Type): CgValue {
    const int = (v: LLVM.Value): CgValue => ({ kind: 'int', v });
    const b = this.b;
    switch (name) {
      case 'pid': return int(this.opaque(b.CreateLShr(this.helper(Helper.get_current_pid_tgid, this.i64, []), b.getInt64(32))));
      case 'tid': return int(b.CreateAnd(this.helper(Helper.get_current_pid_tgid, this.i64, []), b.getInt64(0xffffffff)));
      case 'uid': case 'username': return int(b.CreateAnd(this.helper(Helper.get_current_uid_gid, this.i64, []), b.getInt64(0xffffffff)));
      case 'gid': return int(b.CreateLShr(this.helper(Helper.get_current_uid_gid, this.i64, []), b.getInt64(32)));
      case 'nsecs': return int(this.helper(Helper.ktime_get_boot_ns, this.i64, []));
      // The helper's u32 comes back zero-extended in r0 (the kernel inlines it as a u32 load): no extension here.
      case 'cpu': return int(this.helper(Helper.get_smp_processor_id, this.i64, []));
      case 'cgroup': return int(this.helper(Helper.get_current_cgroup_id, this.i64, []));
      case 'rand': return int(b.CreateZExt(this.helper(Helper.get_prandom_u32, b.getInt32Ty(), []), this.i64));
      case 'numaid': return int(this.helper(Helper.get_numa_node_id, this.i64, []));
      case 'jiffies': return int(this.helper(Helper.jiffies64, this.i64, []));
      case 'curtask': return int(this.helper(Helper.get_current_task, this.i64, []));
      // x86_64: the privilege level of the interrupted code is the low 2 bits of cs.
      case 'usermode': return int(this.boolToI64(b.CreateICmpEQ(b.CreateAnd(b.CreateLoad(this.i64, this.wordPtr(this.ctxArg, PT_REGS_OFFSETS.cs)), b.getInt64(3)), b.getInt64(3))));
      case 'probe': return int(b.getInt64(this.m.probeIds.get(this.match.name) ?? 0));
      case 'kstack': case 'ustack': return int(this.stackId(t));
      case 'comm': {
        // bpf_get_current_comm pads with zeros: the buffer needs no zeroing first.
        const buf = this.stackBuffer(COMM_SIZE, 'comm', false);
        this.helper(Helper.get_current_comm, this.i64, [buf, b.getInt64(COMM_SIZE)]);
        return { kind: 'buf', ptr: buf, size: COMM_SIZE };
      }
      case 'args': case 'ctx':
        return int(b.CreatePtrToInt(this.ctxArg, this.i64));
      case 'cpid':
        return int(this.configWord(CONFIG_CPID));
      case 'func': return int(this.funcAddress());
      case 'elapsed': {
        const now = this.helper(Helper.ktime_get_boot_ns, this.i64, []);
        const start = this.configWord(CONFIG_START_NS);
        return int(b.CreateSelect(b.CreateICmpEQ(start, b.getInt64(0)), start, b.CreateSub(now, start)));
      }
      case 'ncpus': return int(this.configWord(CONFIG_NCPUS));
    }
    const sargN = /^sarg([0-9])$/.exec(name);
    if (sargN) {
      // Stack arguments: above the return address at the probed function's entry (x86_64).
      const sp = b.CreateLoad(this.i64, this.wordPtr(this.ctxArg, PT_REGS_OFFSETS.sp));
      const slot = this.stackBuffer(8, 'sarg');
      const helper = this.match.provider.name === 'uprobe' ? Helper.probe_read_user : Helper.probe_read_kernel;
      const addr = b.CreateAdd(sp, b.getInt64(8 * (Number(sargN[1]) + 1)));
      this.helper(helper, this.i64, [slot, b.getInt32(8), b.CreateIntToPtr(addr, this.i8p)]);
      return int(b.CreateLoad(this.i64, this.wordPtr(slot, 0)));
    }
    const argN = /^arg([0-9]+)$/.exec(name);
    if (argN || name === 'retval') {
      // Registers (pt_regs) or trampoline arguments: a direct u64 load from the context.
      const slots = this.match.provider.contextArgs?.(this.match);
      const offset = argN ? slots?.args[Number(argN[1])] : slots?.retval;
      // Wildcards can expand to functions with fewer arguments than the first match has.
      if (offset === undefined) throw new CodegenError(`${name} does not exist in ${this.match.name}`);
      if (typeof offset === 'object') return int(lowerArgOperand(this, offset));
      return int(b.CreateLoad(this.i64, this.wordPtr(this.ctxArg, offset)));
    }
    throw new CodegenError(`builtin ${name} (${t.kind}) is not supported yet`);
  }
}

export type { CallExpr };

/** Helpers without arguments whose result is fixed for one run of a program (the current task, its CPU). */
const SAME_IN_ONE_RUN = new Set<Helper>([Helper.get_current_pid_tgid, Helper.get_current_uid_gid, Helper.get_smp_processor_id, Helper.get_current_task, Helper.get_current_cgroup_id, Helper.get_numa_node_id]);

/** TASK_COMM_LEN; bpf_get_current_comm writes all of it (the name, then zeros). */
const COMM_SIZE = 16;

function isUstack(e: Expr): boolean {
  return (e.kind === 'Identifier' && e.name === 'ustack' && e.value === undefined) || (e.kind === 'Call' && e.name === 'ustack');
}

function isComm(e: Expr): boolean {
  return (e.kind === 'Identifier' && e.name === 'comm' && e.value === undefined) || (e.kind === 'Call' && e.name === 'comm' && e.args.length === 0);
}

/** True when writeExpr of `e` stores every byte of its 8-aligned slot of type `t` (so the slot needs no zeroing first). */
export function fillsSlot(e: Expr, t: Type): boolean {
  if (t.kind === 'int' || t.kind === 'bool' || t.kind === 'pointer' || t.kind === 'text' || t.kind === 'stack') return true;
  return isComm(e) && t.kind === 'string' && t.size === COMM_SIZE;
}
