// Symbolising user addresses needs the process's mappings (/proc/PID/maps),
// which are gone once it exits; bpftrace 0.17 then prints bare addresses.
// The first time a process records a user stack, usym or uprobe `func`, the
// program tells user space its pid (once: a hash of pids seen, inserted with
// BPF_NOEXIST so only one CPU reports it), and user space reads and keeps
// the mappings while the process still runs (src/runtime/symbols.ts).
// Only when tracing one process (-p/-c, CodegenOptions.pidFilter): that is
// where a process ending before the maps print is the rule (the -c command's
// exit ends the run), and elsewhere the lookup would cost every ustack
// program ~55 instructions (harness case ustack: 40 -> 95 xlated insns).
import type * as LLVM from 'llvm-bindings';
import { INT64 } from '../checker/types';
import { Helper } from './helpers';
import type { ProbeCodegen } from './irgen';
import { EVENT_PID_SEEN } from './plan';

const BPF_NOEXIST = 1;

export function notePid(g: ProbeCodegen, pid: LLVM.Value): void {
  if (!g.m.pidFilter) return;
  const b = g.b;
  const plan = g.m.pidsMap();
  const key = g.stackBuffer(4, 'pidkey');
  b.CreateStore(b.CreateTrunc(pid, b.getInt32Ty()), g.wordPtr(key, 0, 32));
  const known = g.helper(Helper.map_lookup_elem, g.i8p, [g.mapRef(plan), key]);
  const fresh = g.newBlock('pid_fresh');
  const report = g.newBlock('pid_report');
  const done = g.newBlock('pid_done');
  b.CreateCondBr(b.CreateIsNull(known), fresh, done);
  b.SetInsertPoint(fresh);
  const one = g.stackBuffer(1, 'pidseen');
  b.CreateStore(g.m.llvm.ConstantInt.get(g.i8, 1), g.bytePtr(one, 0));
  const inserted = g.helper(Helper.map_update_elem, g.i64, [g.mapRef(plan), key, one, b.getInt64(BPF_NOEXIST)]);
  b.CreateCondBr(b.CreateICmpEQ(inserted, b.getInt64(0)), report, done);
  b.SetInsertPoint(report);
  g.emitEvent(EVENT_PID_SEEN, [{ v: { kind: 'int', v: pid }, t: INT64 }]);
  b.CreateBr(done);
  b.SetInsertPoint(done);
}
