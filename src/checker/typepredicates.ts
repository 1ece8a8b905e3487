// HEAD's type predicates (stdlib meta.bt): is_integer, is_unsigned_integer,
// is_ptr, is_str, is_array, is_literal. Answered from the argument's type
// when the script is checked; the argument is not evaluated. Lowering: a
// constant (src/codegen/typepredicates.ts).
import type { CallExpr, Expr } from '../ast/nodes';
import { argTypes, arity, Rule } from './callargs';
import type { Type } from './types';

export const predicateAnswers = new WeakMap<CallExpr, boolean>();

function isLiteral(e: Expr): boolean {
  if (e.kind === 'Int' || e.kind === 'String' || e.kind === 'Bool') return true;
  return e.kind === 'Unary' && e.op === '-' && e.operand.kind === 'Int';
}

const PREDICATES: Record<string, (t: Type, e: Expr) => boolean> = {
  is_integer: (t) => t.kind === 'int',
  is_unsigned_integer: (t) => t.kind === 'int' && !t.signed,
  is_ptr: (t) => t.kind === 'pointer',
  is_str: (t) => t.kind === 'string',
  is_array: (t) => t.kind === 'array',
  is_literal: (_t, e) => isLiteral(e),
};

export const TYPE_PREDICATE_RULES: Record<string, Rule> = Object.fromEntries(
  Object.entries(PREDICATES).map(([name, test]) => [name, ((e, scope, ctx) => {
    const types = argTypes(e, scope, ctx);
    if (arity(e, ctx, 1)) predicateAnswers.set(e, test(types[0], e.args[0]));
    return { kind: 'bool' };
  }) as Rule]),
);
