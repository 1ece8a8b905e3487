// comm(pid): bpf_task_from_pid(pid); if a task came back, its comm is read
// with bpf_probe_read_kernel and the reference released (the verifier
// demands the release on every path that holds it). No task: "" (zeroed).
// The kfuncs are declared as `__kfunc_<btf id>_<name>`: the native emitter
// turns calls of such names into kfunc calls (native/src/emit.cc).
import type { CallExpr } from '../ast/nodes';
import { commByPid } from '../checker/commpid';
import { Helper } from './helpers';
import type { CgValue, ProbeCodegen } from './irgen';

const COMM_SIZE = 16;

function commOfPid(g: ProbeCodegen, e: CallExpr): CgValue {
  const info = commByPid.get(e);
  if (!info) return g.builtin('comm', e.type!);
  const { llvm } = g.m;
  const i32 = g.b.getInt32Ty();
  const fromPid = g.m.module.getOrInsertFunction(`__kfunc_${info.fromPid}_bpf_task_from_pid`, llvm.FunctionType.get(g.i8p, [i32], false));
  const release = g.m.module.getOrInsertFunction(`__kfunc_${info.release}_bpf_task_release`, llvm.FunctionType.get(llvm.Type.getVoidTy(g.m.ctx), [g.i8p], false));
  const pid = g.b.CreateTrunc(g.intValue(e.args[0]), i32);
  const buf = g.stackBuffer(COMM_SIZE, 'comm_pid');
  const task = g.b.CreateCall(fromPid, [pid]);
  const found = g.newBlock('comm_pid_found');
  const done = g.newBlock('comm_pid_done');
  g.branchTo(g.b.CreateICmpNE(g.b.CreatePtrToInt(task, g.i64), g.b.getInt64(0)), found, done);
  g.b.SetInsertPoint(found);
  g.helper(Helper.probe_read_kernel, g.i64, [buf, g.b.getInt32(COMM_SIZE), g.b.CreateGEP(g.i8, task, g.b.getInt64(info.commOffset))]);
  g.b.CreateCall(release, [task]);
  g.b.CreateBr(done);
  g.b.SetInsertPoint(done);
  return { kind: 'buf', ptr: buf, size: COMM_SIZE };
}

export const COMMPID_LOWERINGS: Record<string, (g: ProbeCodegen, e: CallExpr) => CgValue | undefined> = {
  comm: commOfPid,
};
