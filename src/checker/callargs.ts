// Argument helpers shared by the type rules of builtin functions
// (src/checker/calls.ts, src/checker/functions.ts): arity checks with
// bpftrace's wording, argument typing, and the type words of its messages.
import type { CallExpr, MapExpr } from '../ast/nodes';
import type { Checker, Scope } from './index';
import type { Type } from './types';

export interface CallContext {
  checker: Checker;
  /** The call is the whole right-hand side of `@map[...] = call(...)`. */
  directMapValue: boolean;
  map?: MapExpr;
  isStatement?: boolean;
  assignedToVariable?: boolean;
}

export type Rule = (e: CallExpr, scope: Scope, ctx: CallContext) => Type;

/** bpftrace's wording: `no arguments`, `one argument`, `3 arguments`. */
function argumentWords(n: number): string {
  return n === 0 ? 'no arguments' : n === 1 ? 'one argument' : `${n} arguments`;
}

/**
 * bpftrace's check_nargs (exact count) or, with `varargs`, check_varargs
 * (a range; its messages even when min === max: `takes up to one argument`).
 */
export function arity(e: CallExpr, ctx: CallContext, min: number, max = min, varargs = false): boolean {
  const n = e.args.length;
  if (n >= min && n <= max) return true;
  let msg: string;
  if (min === max && !varargs) msg = `${e.name}() requires ${argumentWords(min)} (${n} provided)`;
  else if (n < min) msg = `${e.name}() requires at least ${argumentWords(min)} (${n} provided)`;
  else msg = `${e.name}() takes up to ${argumentWords(max)} (${n} provided)`;
  ctx.checker.error(msg, e.loc);
  return false;
}

export function argTypes(e: CallExpr, scope: Scope, ctx: CallContext): Type[] {
  return e.args.map((a) => ctx.checker.expr(a, scope));
}

export function printfKind(t: Type): 'integer' | 'string' | 'buffer' | 'other' {
  if (t.kind === 'int' || t.kind === 'bool' || t.kind === 'pointer') return 'integer';
  if (t.kind === 'string' || t.kind === 'text' || t.kind === 'stack' || t.kind === 'inet') return 'string';
  if (t.kind === 'array' || t.kind === 'struct' || t.kind === 'buffer') return 'buffer';
  return 'other';
}

/** The type word bpftrace's printf messages use: `(string supplied)`, `(tuple supplied)`. */
export function printfTypeName(t: Type): string {
  switch (t.kind) {
    case 'int': case 'bool': case 'pointer': return 'integer';
    case 'string': case 'text': case 'stack': return 'string';
    case 'array': case 'struct': case 'buffer': return 'buffer';
    case 'agg': return t.agg;
    default: return t.kind;
  }
}

/**
 * Functions whose helpers take BTF pointers, which only trampoline (fentry/fexit)
 * arguments are: `f can not be used with "P" probes (fentry/fexit only)` elsewhere.
 */
export function checkTrampolineOnly(e: CallExpr, scope: Scope, ctx: CallContext): boolean {
  const p = scope.match.provider.name;
  if (p === 'fentry' || p === 'fexit') return true;
  ctx.checker.error(`${e.name} can not be used with "${scope.match.provider.special ? 'special' : p}" probes (fentry/fexit only)`, e.loc);
  return false;
}

/** Functions without a value (bpftrace 0.17's check_assignment(call, false, false, false)). */
const STATEMENT_ONLY = new Set(['printf', 'system', 'cat', 'exit', 'print', 'clear', 'zero', 'time', 'signal', 'signal_thread', 'override', 'delete', 'debugf', 'errorf', 'warnf', 'unwatch', 'assert']);

/** `f() should not be used in an assignment or as a map key`, for functions that have no value. */
export function checkStatementOnly(e: CallExpr, ctx: CallContext): void {
  if (STATEMENT_ONLY.has(e.name) && !ctx.isStatement) ctx.checker.error(`${e.name}() should not be used in an assignment or as a map key`, e.loc);
}

/** Statement-only functions whose unsafe/probe-type errors bpftrace reports first. */
export const CHECKED_AFTER_AVAILABILITY = new Set(['system', 'signal', 'signal_thread', 'override']);
