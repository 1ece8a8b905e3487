// comm(pid) (HEAD 0.25): the name of the task with that pid, or an empty
// string when there is none. Like HEAD it takes the task by kfunc:
// bpf_task_from_pid(pid) (a reference, NULL when no such task), then
// reads task->comm and drops the reference with bpf_task_release. The
// kernel decides per program type whether those kfuncs may be called; where
// it refuses (BEGIN/END's raw tracepoints, …), the program fails to load.
// Lowering: src/codegen/commpid.ts.
import type { CallExpr } from '../ast/nodes';
import { vmlinuxBtf } from '../btf';
import { argTypes, CallContext } from './callargs';
import type { Scope } from './index';
import { NONE, Type, isInt } from './types';

/** comm(pid) → what codegen needs: the kfuncs' BTF ids, comm's offset in task_struct. */
export const commByPid = new WeakMap<CallExpr, { fromPid: number; release: number; commOffset: number }>();

/** `t` is comm's type (string[16]). */
export function checkCommPid(e: CallExpr, t: Type, scope: Scope, ctx: CallContext): Type {
  const types = argTypes(e, scope, ctx);
  if (e.args.length !== 1 || types[0].kind === 'none' || !isInt(types[0])) {
    if (e.args.length !== 1) ctx.checker.error(`comm() takes 0 or 1 arguments (${e.args.length} provided)`, e.loc);
    else if (types[0].kind !== 'none') ctx.checker.error(`comm() expects an integer pid`, e.loc);
    return NONE;
  }
  const btf = vmlinuxBtf();
  const fromPid = btf?.func('bpf_task_from_pid');
  const release = btf?.func('bpf_task_release');
  const task = ctx.checker.types.resolve('struct task_struct');
  const comm = task?.kind === 'struct' ? ctx.checker.types.fields(task)?.find((f) => f.name === 'comm') : undefined;
  if (!fromPid || !release || !comm) {
    ctx.checker.error('comm(pid) needs the kfuncs bpf_task_from_pid and bpf_task_release and task_struct in kernel BTF', e.loc);
    return NONE;
  }
  commByPid.set(e, { fromPid: fromPid.id, release: release.id, commOffset: comm.offset });
  return t;
}
