// `for ($kv : @map) { body }` (HEAD): the body becomes a static callback
// subprogram run by bpf_for_each_map_elem, as HEAD lowers it.
//
// The probe passes the callback a loop context on its stack:
//   word 0  the probe's context pointer (for args, arg0, stacks, …)
//   word 1  "end the probe" flag, set by `return` / exit() in the body
//   word 2… pointers to the probe's variables the body uses (shared, so
//           assignments in the body are seen after the loop)
// The callback returns 0 to continue, 1 to stop (`break`, `return`).
// Variables declared inside the body live on the callback's own stack.
import type * as LLVM from 'llvm-bindings';
import type { ForMapStmt, Loc } from '../ast/nodes';
import { Type, storageSize, tupleOffsets } from '../checker/types';
import { ProbeCodegen } from './irgen';
import { Helper } from './helpers';

/**
 * Upper bound on CPUs summed for a per-CPU value. The loop also stops at the
 * first CPU the kernel reports as absent (bpf_map_lookup_percpu_elem returns
 * NULL at cpu >= nr_cpu_ids), so the bound only keeps the verifier's loop finite.
 */
const MAX_CPUS = 512;

const LOOP_CTX_PROBE_CTX = 0;
const LOOP_CTX_STOP = 1;
const LOOP_CTX_VARS = 2;

export function emitForMap(g: ProbeCodegen, s: ForMapStmt): void {
  const plan = g.mapPlan(s.map.name);
  const shared = sharedVariables(s);
  const loopCtx = g.stackBuffer((LOOP_CTX_VARS + shared.length) * 8, 'loopctx');
  g.b.CreateStore(g.b.CreatePtrToInt(g.ctxArg, g.i64), g.wordPtr(loopCtx, LOOP_CTX_PROBE_CTX * 8));
  shared.forEach(({ key, type }, i) => {
    const slot = g.variable(key, type);
    g.b.CreateStore(g.b.CreatePtrToInt(slot.ptr, g.i64), g.wordPtr(loopCtx, (LOOP_CTX_VARS + i) * 8));
  });

  const name = `${g.programName}_for${g.subprograms.length}`;
  g.subprograms.push(name);
  const body = new LoopBodyCodegen(g, name, shared, s.loc);
  body.generateBody(s);

  g.helper(Helper.for_each_map_elem, g.i64, [g.mapRef(plan), g.b.CreateBitCast(body.fn, g.i8p), loopCtx, g.b.getInt64(0)]);
  const stop = g.b.CreateLoad(g.i64, g.wordPtr(loopCtx, LOOP_CTX_STOP * 8));
  const endProbe = g.newBlock('formap_return');
  const after = g.newBlock('formap_after');
  g.b.CreateCondBr(g.isTrue(stop), endProbe, after);
  g.b.SetInsertPoint(endProbe);
  g.returnNow();
  g.b.CreateBr(after);
  g.b.SetInsertPoint(after);
}

class LoopBodyCodegen extends ProbeCodegen {
  private readonly loopCtx: LLVM.Value;
  private readonly sharedSlots = new Map<string, number>();

  constructor(parent: ProbeCodegen, name: string, shared: { key: string; type: Type }[], loc: Loc) {
    super(parent.m, parent.match, name, loc, true);
    this.subprograms = parent.subprograms;
    this.programName = parent.programName;
    this.loopCtx = this.fn.getArg(3);
    const ctxWord = this.allocas.CreateBitCast(this.loopCtx, this.m.llvm.PointerType.get(this.i64, 0));
    this.ctxArg = this.allocas.CreateIntToPtr(this.allocas.CreateLoad(this.i64, ctxWord), this.i8p);
    shared.forEach(({ key }, i) => this.sharedSlots.set(key, LOOP_CTX_VARS + i));
  }

  override variable(name: string, t: Type): { ptr: LLVM.Value; type: Type } {
    const index = this.sharedSlots.get(name);
    if (index === undefined || this.vars.has(name)) return super.variable(name, t);
    const wordPtr = this.allocas.CreateBitCast(
      this.allocas.CreateGEP(this.i8, this.loopCtx, this.allocas.getInt64(index * 8)), this.m.llvm.PointerType.get(this.i64, 0));
    const slot = { ptr: this.allocas.CreateIntToPtr(this.allocas.CreateLoad(this.i64, wordPtr), this.i8p), type: t };
    this.vars.set(name, slot);
    return slot;
  }

  /** `return` and exit() end the whole probe: flag it to the caller and stop iterating. */
  override returnNow(): void {
    this.b.CreateStore(this.b.getInt64(1), this.wordPtr(this.loopCtx, LOOP_CTX_STOP * 8));
    this.b.CreateRet(this.b.getInt64(1));
    this.b.SetInsertPoint(this.newBlock('dead'));
  }

  generateBody(s: ForMapStmt): void {
    const info = this.mapInfo(s.map.name);
    const kvType = s.variable.type as Extract<Type, { kind: 'tuple' }>;
    const kv = this.variable(s.variable.slot!, kvType);
    const [keyOffset, valueOffset] = tupleOffsets(kvType);
    this.copy(this.bytePtr(kv.ptr, keyOffset), this.fn.getArg(1), storageSize(kvType.elems[0]));
    if (info.valueType.kind === 'agg') {
      this.b.CreateStore(this.combinePerCpu(s, this.bytePtr(kv.ptr, keyOffset)), this.wordPtr(kv.ptr, valueOffset));
    } else {
      this.copy(this.bytePtr(kv.ptr, valueOffset), this.fn.getArg(2), storageSize(kvType.elems[1]));
    }

    const breakBB = this.newBlock('cb_break');
    const continueBB = this.newBlock('cb_continue');
    this.loops.push({ breakBB, continueBB });
    this.block(s.body);
    this.loops.pop();
    if (!this.terminated()) this.b.CreateBr(continueBB);
    this.b.SetInsertPoint(breakBB);
    this.b.CreateRet(this.b.getInt64(1));
    this.b.SetInsertPoint(continueBB);
    this.b.CreateRet(this.b.getInt64(0));
    this.allocas.CreateBr(this.bodyBB);
    this.finishDebugInfo();
  }

  /**
   * A per-CPU aggregation's value over all CPUs, as user space prints it:
   * count/sum add up, min/max take the extreme of CPUs that saw a value,
   * avg is total / count (truncated toward zero).
   */
  private combinePerCpu(s: ForMapStmt, key: LLVM.Value): LLVM.Value {
    const b = this.b;
    const t = this.mapInfo(s.map.name).valueType as Extract<Type, { kind: 'agg' }>;
    const plan = this.mapPlan(s.map.name);
    const acc = this.stackBuffer(24, 'percpu_acc'); // [value or count, total, seen]
    const cpuSlot = this.stackBuffer(8, 'percpu_cpu');
    const cond = this.newBlock('percpu_cond');
    const body = this.newBlock('percpu_body');
    const next = this.newBlock('percpu_next');
    const done = this.newBlock('percpu_done');
    b.CreateBr(cond);
    b.SetInsertPoint(cond);
    const cpu = b.CreateLoad(this.i64, this.wordPtr(cpuSlot, 0));
    b.CreateCondBr(b.CreateICmpULT(cpu, b.getInt64(MAX_CPUS)), body, done);
    b.SetInsertPoint(body);
    const ptr = this.helper(Helper.map_lookup_percpu_elem, this.i8p, [this.mapRef(plan), key, b.CreateTrunc(cpu, b.getInt32Ty())]);
    const found = this.newBlock('percpu_found');
    b.CreateCondBr(b.CreateIsNull(ptr), done, found);
    b.SetInsertPoint(found);
    const load = (word: number) => b.CreateLoad(this.i64, this.wordPtr(ptr, word * 8));
    const accWord = (word: number) => this.wordPtr(acc, word * 8);
    const add = (word: number, v: LLVM.Value) => b.CreateStore(b.CreateAdd(b.CreateLoad(this.i64, accWord(word)), v), accWord(word));
    switch (t.agg) {
      case 'count': case 'sum':
        add(0, load(0));
        break;
      case 'avg':
        add(0, load(0)); // count
        add(1, load(1)); // total
        break;
      case 'min': case 'max': {
        const take = this.newBlock('percpu_take');
        const v = load(0);
        const best = b.CreateLoad(this.i64, accWord(0));
        const better = t.agg === 'min'
          ? (t.signed ? b.CreateICmpSLT(v, best) : b.CreateICmpULT(v, best))
          : (t.signed ? b.CreateICmpSGT(v, best) : b.CreateICmpUGT(v, best));
        const cpuSeen = b.CreateICmpNE(load(1), b.getInt64(0));
        const firstSeen = b.CreateICmpEQ(b.CreateLoad(this.i64, accWord(2)), b.getInt64(0));
        b.CreateCondBr(b.CreateAnd(cpuSeen, b.CreateOr(firstSeen, better)), take, next);
        b.SetInsertPoint(take);
        b.CreateStore(v, accWord(0));
        b.CreateStore(b.getInt64(1), accWord(2));
        break;
      }
      default:
        break; // rejected by the checker
    }
    b.CreateBr(next);
    b.SetInsertPoint(next);
    b.CreateStore(b.CreateAdd(b.CreateLoad(this.i64, this.wordPtr(cpuSlot, 0)), b.getInt64(1)), this.wordPtr(cpuSlot, 0));
    b.CreateBr(cond);
    b.SetInsertPoint(done);
    if (t.agg !== 'avg') return b.CreateLoad(this.i64, accWord(0));
    return this.averageOf(b.CreateLoad(this.i64, accWord(1)), b.CreateLoad(this.i64, accWord(0)), t.signed);
  }

  /** total / count, 0 when count is 0; signed totals divide their magnitude (BPF v3 has no sdiv). */
  private averageOf(total: LLVM.Value, count: LLVM.Value, signed: boolean): LLVM.Value {
    const b = this.b;
    const zero = b.CreateICmpEQ(count, b.getInt64(0));
    const safe = b.CreateSelect(zero, b.getInt64(1), count);
    let q: LLVM.Value;
    if (signed) {
      const negative = b.CreateICmpSLT(total, b.getInt64(0));
      const magnitude = b.CreateSelect(negative, b.CreateNeg(total), total);
      const mq = b.CreateUDiv(magnitude, safe);
      q = b.CreateSelect(negative, b.CreateNeg(mq), mq);
    } else {
      q = b.CreateUDiv(total, safe);
    }
    return b.CreateSelect(zero, b.getInt64(0), q);
  }
}

/**
 * The probe variables the body uses: every variable it names that is not
 * declared inside the body (by `let` or an inner loop). Storage key → type.
 */
function sharedVariables(s: ForMapStmt): { key: string; type: Type }[] {
  const declared = new Set<string>([s.variable.slot!]);
  const used = new Map<string, Type>();
  walk(s.body, (n) => {
    if ((n.kind === 'Let' || n.kind === 'For' || n.kind === 'ForMap') && n.variable.slot) declared.add(n.variable.slot);
    if (n.kind === 'Variable' && n.type) {
      const key = n.slot ?? n.name;
      if (!used.has(key)) used.set(key, n.type);
    }
  });
  return [...used].filter(([key]) => !declared.has(key)).map(([key, type]) => ({ key, type }));
}

type AnyNode = { kind: string; [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

function walk(node: unknown, visit: (n: AnyNode) => void): void {
  if (Array.isArray(node)) {
    for (const x of node) walk(x, visit);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const n = node as AnyNode;
  if (typeof n.kind === 'string') visit(n);
  for (const [k, v] of Object.entries(n)) if (k !== 'type' && k !== 'loc') walk(v, visit);
}

