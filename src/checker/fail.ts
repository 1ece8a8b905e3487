// fail(fmt, args...) (HEAD): a compile-time error at the call, with the
// printf-formatted message. The arguments are evaluated at compile time
// (literals and positional parameters). The call only fails when it is
// reached: inside an `if` whose condition is known at compile time, the
// branch not taken is not reached (Checker.unreachedDepth). No code.
import type { CallExpr } from '../ast/nodes';
import { formatPrintf } from '../output/printf';
import { int64, str, Value } from '../output/value';
import { argTypes, Rule } from './callargs';
import { comptimeValue } from './comptime';
import { NONE } from './types';

export const FAIL_RULES: Record<string, Rule> = {
  fail(e: CallExpr, scope, ctx) {
    argTypes(e, scope, ctx);
    const checker = ctx.checker;
    if (e.args.length < 1) {
      checker.error('fail() requires at least one argument (0 provided)', e.loc);
      return NONE;
    }
    const values = e.args.map((a) => comptimeValue(a, checker));
    if (typeof values[0] !== 'string') {
      checker.error('fail() expects a string literal as its first argument', e.args[0].loc);
      return NONE;
    }
    const bad = values.findIndex((v) => v === undefined);
    if (bad >= 0) {
      checker.error('fail() arguments must be known at compile time (literals)', e.args[bad].loc);
      return NONE;
    }
    if (checker.unreachedDepth > 0) return NONE;
    const args: Value[] = values.slice(1).map((v) => (typeof v === 'string' ? str(v) : int64(typeof v === 'boolean' ? (v ? 1n : 0n) : v!)));
    checker.error(formatPrintf(values[0], args), e.loc);
    return NONE;
  },
};
