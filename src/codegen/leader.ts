// Lowering of leader_comm/leader_tid: the `->` chain the checker built.
import type { CallExpr } from '../ast/nodes';
import { taskExpansions } from '../checker/task';
import { CodegenError } from './errors';
import type { CgValue, ProbeCodegen } from './irgen';

function expansion(g: ProbeCodegen, e: CallExpr): CgValue {
  const x = taskExpansions.get(e);
  if (!x) throw new CodegenError(`internal: ${e.name}() expansion missing`, e.loc);
  return g.expr(x);
}

export const LEADER_LOWERINGS: Record<string, (g: ProbeCodegen, e: CallExpr) => CgValue | undefined> = {
  leader_comm: expansion,
  leader_tid(g, e) {
    const v = expansion(g, e);
    return v.kind === 'int' ? { kind: 'int', v: g.b.CreateAnd(v.v, g.b.getInt64(0xffffffff)) } : v;
  },
};
