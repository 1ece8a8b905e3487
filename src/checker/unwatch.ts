// unwatch(addr) (0.17 and HEAD): removes the watchpoint on `addr`, in user
// space when the event is consumed (asynchronous, as in bpftrace: accesses
// before then still fire). Lowering: src/codegen/unwatch.ts; the removal:
// src/runtime/index.ts (EVENT_UNWATCH).
import { argTypes, arity, printfTypeName, Rule } from './callargs';
import { NONE } from './types';

export const UNWATCH_RULES: Record<string, Rule> = {
  unwatch(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 1)) return NONE;
    const t = types[0];
    if (t.kind !== 'int' && t.kind !== 'pointer' && t.kind !== 'none') ctx.checker.error(`unwatch() only supports integer arguments (${printfTypeName(t)} provided)`, e.loc);
    return NONE;
  },
};
