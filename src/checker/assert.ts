// assert(cond, msg) (HEAD stdlib): when cond is false, errorf("assert failed:
// %s", msg) at the assert call, then exit(1). The message goes through the
// errorf() machinery: the call is registered as a printf site whose
// arguments are the call's arguments after the first (just `msg`).
// Lowering: src/codegen/assert.ts.
import { argTypes, arity, printfTypeName, Rule } from './callargs';
import { NONE } from './types';

export const ASSERT_FORMAT = 'assert failed: %s';

export const ASSERT_RULES: Record<string, Rule> = {
  assert(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 2)) return NONE;
    const [cond, msg] = types;
    if (cond.kind !== 'int' && cond.kind !== 'bool' && cond.kind !== 'pointer' && cond.kind !== 'none') {
      ctx.checker.error(`assert() expects a condition as its first argument (${printfTypeName(cond)} provided)`, e.loc);
      return NONE;
    }
    if (msg.kind !== 'string' && msg.kind !== 'none') {
      ctx.checker.error(`assert() expects a string message (${printfTypeName(msg)} provided)`, e.loc);
      return NONE;
    }
    if (!ctx.checker.printfs.has(e)) {
      ctx.checker.printfs.set(e, { id: ctx.checker.printfs.size, format: ASSERT_FORMAT, argTypes: [msg], loc: e.loc, action: 'errorf' });
    }
    return NONE;
  },
};
