// is_integer(x) and the other type predicates: the checker's answer, as a constant.
import type { CallExpr } from '../ast/nodes';
import { predicateAnswers, TYPE_PREDICATE_RULES } from '../checker/typepredicates';
import type { CgValue, ProbeCodegen } from './irgen';

const answer = (g: ProbeCodegen, e: CallExpr): CgValue => ({ kind: 'int', v: g.b.getInt64(predicateAnswers.get(e) ? 1 : 0) });

export const TYPE_PREDICATE_LOWERINGS: Record<string, (g: ProbeCodegen, e: CallExpr) => CgValue | undefined> =
  Object.fromEntries(Object.keys(TYPE_PREDICATE_RULES).map((name) => [name, answer]));
