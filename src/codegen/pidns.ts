// pid(MODE) / tid(MODE): init → the plain builtin; curr_ns →
// bpf_get_ns_current_pid_tgid(dev, ino, {pid, tgid}) (pid = tgid, tid = pid).
import type { CallExpr } from '../ast/nodes';
import { currentNamespace } from '../checker/pidns';
import { Helper } from './helpers';
import type { CgValue, ProbeCodegen } from './irgen';

function namespaced(which: 'pid' | 'tid') {
  return (g: ProbeCodegen, e: CallExpr): CgValue => {
    const ns = currentNamespace.get(e);
    if (!ns) return g.builtin(which, e.type!);
    const info = g.stackBuffer(8, 'pidns');
    g.helper(Helper.get_ns_current_pid_tgid, g.i64, [g.const64(ns.dev), g.const64(ns.ino), info, g.b.getInt32(8)]);
    // struct bpf_pidns_info { u32 pid; u32 tgid; }: zeroed when the task is outside that namespace.
    const word = g.b.CreateLoad(g.b.getInt32Ty(), g.wordPtr(info, which === 'pid' ? 4 : 0, 32));
    return { kind: 'int', v: g.b.CreateZExt(word, g.i64) };
  };
}

export const PIDNS_LOWERINGS: Record<string, (g: ProbeCodegen, e: CallExpr) => CgValue | undefined> = {
  pid: namespaced('pid'),
  tid: namespaced('tid'),
};
