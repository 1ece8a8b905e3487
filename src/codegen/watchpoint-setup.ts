// The hidden set-up program of watchpoint:FUNC+argN and asyncwatchpoint (as
// bpftrace 0.17's generateWatchpointSetupProbe): a uprobe on FUNC that reports
// argN, the address to watch, to user space, which opens the breakpoint there
// (runtime attachReported). `watchpoint` also stops the process (SIGSTOP)
// until the breakpoint is in place; the record is reserved first, so a full
// ring buffer never leaves the process stopped with nobody to continue it.
import type { Loc } from '../ast/nodes';
import type { ProbeMatch } from '../probes/provider';
import { ptRegsArgs } from '../probes/regs';
import { Helper } from './helpers';
import { ModuleContext, ProbeCodegen } from './irgen';
import { EVENT_ATTACH_REPORTED } from './plan';

const SIGSTOP = 19;
const RECORD_SIZE = 24;

/** Emits function `functionName`: the set-up program of `watch`, the plan's program number `watchIndex`. */
export function generateWatchpointSetup(m: ModuleContext, watch: ProbeMatch, functionName: string, watchIndex: number, loc: Loc): void {
  const g = new ProbeCodegen(m, watch, functionName, loc);
  g.generateWith(() => {
    const b = g.b;
    const rec = g.helper(Helper.ringbuf_reserve, g.i8p, [g.mapRef(m.ringbuf), b.getInt64(RECORD_SIZE), b.getInt64(0)]);
    const report = g.newBlock('report');
    const lost = g.newBlock('lost');
    b.CreateCondBr(b.CreateIsNull(rec), lost, report);
    b.SetInsertPoint(lost);
    g.countLostEvent();
    b.CreateRet(b.getInt64(0));
    b.SetInsertPoint(report);
    if (watch.detail.stopsProcess) g.helper(Helper.send_signal, g.i64, [b.getInt32(SIGSTOP)]);
    const argOffset = ptRegsArgs(false).args[Number(watch.detail.argN)] as number;
    b.CreateStore(b.getInt64(EVENT_ATTACH_REPORTED), g.wordPtr(rec, 0));
    b.CreateStore(b.getInt64(watchIndex), g.wordPtr(rec, 8));
    b.CreateStore(b.CreateLoad(g.i64, g.wordPtr(g.ctxArg, argOffset)), g.wordPtr(rec, 16));
    g.helper(Helper.ringbuf_submit, m.llvm.Type.getVoidTy(m.ctx), [rec, b.getInt64(0)]);
  });
}
