// Compile-time values (HEAD's `comptime` evaluation, as static_assert(),
// fail() and constant `if` conditions need it): literals, positional
// parameters, sizeof/offsetof, the type predicates' answers, and !, unary -, comparisons,
// && / || and + - * over those. Anything else is not known at compile time
// (undefined). The expression must have been checked already.
import type { Expr } from '../ast/nodes';
import type { Checker } from './index';
import { predicateAnswers } from './typepredicates';

export type ComptimeValue = bigint | boolean | string;

const truthy = (v: ComptimeValue): boolean => (typeof v === 'string' ? v.length > 0 : typeof v === 'bigint' ? v !== 0n : v);
const num = (v: ComptimeValue): bigint | undefined => (typeof v === 'bigint' ? v : typeof v === 'boolean' ? (v ? 1n : 0n) : undefined);

export function comptimeValue(e: Expr, checker: Checker): ComptimeValue | undefined {
  switch (e.kind) {
    case 'Int':
      return e.value;
    case 'Bool':
      return e.value;
    case 'String':
      return e.value;
    case 'Param': {
      if (e.count) return BigInt(checker.options.params.length);
      const v = checker.options.params[e.index - 1] ?? '';
      return /^-?[0-9]+$/.test(v) ? BigInt(v) : v;
    }
    case 'Sizeof':
      return e.size === undefined ? undefined : BigInt(e.size);
    case 'Offsetof':
      return e.offset === undefined ? undefined : BigInt(e.offset);
    case 'Call':
      return predicateAnswers.get(e);
    case 'Unary': {
      const v = comptimeValue(e.operand, checker);
      if (v === undefined) return undefined;
      if (e.op === '!') return !truthy(v);
      const n = num(v);
      return e.op === '-' && n !== undefined ? -n : undefined;
    }
    case 'Binary': {
      const l = comptimeValue(e.left, checker);
      if (l === undefined) return undefined;
      if (e.op === '&&' && !truthy(l)) return false;
      if (e.op === '||' && truthy(l)) return true;
      const r = comptimeValue(e.right, checker);
      if (r === undefined) return undefined;
      if (e.op === '&&' || e.op === '||') return truthy(r);
      if (e.op === '==') return l === r || num(l) === num(r) && num(l) !== undefined;
      if (e.op === '!=') return !(l === r || num(l) === num(r) && num(l) !== undefined);
      const a = num(l);
      const b = num(r);
      if (a === undefined || b === undefined) return undefined;
      switch (e.op) {
        case '<': return a < b;
        case '>': return a > b;
        case '<=': return a <= b;
        case '>=': return a >= b;
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        default: return undefined;
      }
    }
    default:
      return undefined;
  }
}

export function comptimeTruth(e: Expr, checker: Checker): boolean | undefined {
  const v = comptimeValue(e, checker);
  return v === undefined ? undefined : truthy(v);
}
