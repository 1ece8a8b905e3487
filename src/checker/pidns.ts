// HEAD's pid(init|curr_ns) and tid(init|curr_ns) (0.22+): the id as seen
// from the initial pid namespace, or from tstrace's own (HEAD's default for
// a bare `pid`; tstrace keeps 0.17's init-namespace `pid`, the same unless
// tstrace itself runs in a child pid namespace). curr_ns reads
// bpf_get_ns_current_pid_tgid with the device and inode of
// /proc/self/ns/pid, taken when the script is compiled (so such scripts are
// not cached). Lowering: src/codegen/pidns.ts.
import * as fs from 'fs';
import type { CallExpr } from '../ast/nodes';
import type { CallContext } from './callargs';
import { NONE, Type } from './types';

export const PID_NS_MODES = ['curr_ns', 'init'] as const;

/** curr_ns calls → the namespace to read ids in. */
export const currentNamespace = new WeakMap<CallExpr, { dev: bigint; ino: bigint }>();

/** Checks pid(MODE)/tid(MODE); `t` is the builtin's type. */
export function checkPidNamespace(e: CallExpr, t: Type, ctx: CallContext): Type {
  const a = e.args[0];
  if (e.args.length !== 1 || a.kind !== 'Identifier' || !(PID_NS_MODES as readonly string[]).includes(a.name)) {
    const what = e.args.length !== 1 ? `${e.args.length} arguments` : a.kind === 'Identifier' ? a.name : a.kind;
    ctx.checker.error(`Invalid pid namespace mode: ${what}. Valid modes: ${PID_NS_MODES.join(', ')}`, e.loc);
    return NONE;
  }
  a.type = NONE;
  if (a.name === 'curr_ns') {
    const st = fs.statSync('/proc/self/ns/pid', { bigint: true });
    currentNamespace.set(e, { dev: st.dev, ino: st.ino });
    ctx.checker.uncacheable = true;
  }
  return t;
}
