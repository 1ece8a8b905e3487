// Lowering of the helpers typed in src/checker/task.ts.
import type { CallExpr } from '../ast/nodes';
import { probeFacts, taskExpansions } from '../checker/task';
import { CodegenError } from './errors';
import type { CgValue, ProbeCodegen } from './irgen';

type Lowering = (g: ProbeCodegen, e: CallExpr) => CgValue | undefined;

function expansion(g: ProbeCodegen, e: CallExpr): CgValue {
  const x = taskExpansions.get(e);
  if (!x) throw new CodegenError(`internal: ${e.name}() expansion missing`, e.loc);
  return g.expr(x);
}

export const TASK_LOWERINGS: Record<string, Lowering> = {
  pcomm: expansion,
  ppid(g, e) {
    const v = expansion(g, e);
    return v.kind === 'int' ? { kind: 'int', v: g.b.CreateAnd(v.v, g.b.getInt64(0xffffffff)) } : v;
  },
  /** The provider's name in a buffer of the string type's capacity. */
  probetype(g, e) {
    const text = String(probeFacts.get(e) ?? '');
    const size = e.type?.kind === 'string' ? e.type.size : text.length + 1;
    const buf = g.stackBuffer(size, 'probetype');
    for (let i = 0; i < text.length && i < size - 1; i++) g.b.CreateStore(g.m.llvm.ConstantInt.get(g.i8, text.charCodeAt(i)), g.bytePtr(buf, i));
    return { kind: 'buf', ptr: buf, size };
  },
  has_cpid: (g, e) => ({ kind: 'int', v: g.b.getInt64(probeFacts.get(e) ? 1 : 0) }),
};
