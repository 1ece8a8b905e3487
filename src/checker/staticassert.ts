// static_assert(cond, msg) (HEAD stdlib meta.bt: `if comptime !cond {
// fail(msg); }`): a compile-time check; a false condition is a compile error
// with `msg` at the call. The condition must be known at compile time. No code.
import type { CallExpr } from '../ast/nodes';
import { argTypes, arity, Rule } from './callargs';
import { comptimeTruth, comptimeValue } from './comptime';
import { NONE } from './types';

export const STATIC_ASSERT_RULES: Record<string, Rule> = {
  static_assert(e: CallExpr, scope, ctx) {
    argTypes(e, scope, ctx);
    if (!arity(e, ctx, 2)) return NONE;
    const checker = ctx.checker;
    const holds = comptimeTruth(e.args[0], checker);
    const msg = comptimeValue(e.args[1], checker);
    if (typeof msg !== 'string') {
      checker.error('static_assert() expects a string literal message', e.args[1].loc);
      return NONE;
    }
    if (holds === undefined) {
      checker.error('static_assert() condition must be known at compile time', e.args[0].loc);
      return NONE;
    }
    if (!holds && checker.unreachedDepth === 0) checker.error(msg, e.loc);
    return NONE;
  },
};
