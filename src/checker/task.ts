// Current bpftrace's (HEAD) process helpers and probe facts: `pcomm`,
// `ppid` (with an optional `struct task_struct *`), `probetype`, `has_cpid`.
// Like HEAD's stdlib macros they can be written with or without `()`.
// pcomm/ppid expand to field reads through the task (HEAD's definitions),
// which the checker types from BTF and codegen lowers as any `->` chain.
import type { CallExpr, Expr, IdentifierExpr } from '../ast/nodes';
import { argTypes, arity, CallContext, printfTypeName, Rule } from './callargs';
import type { Scope } from './index';
import { NONE, Type, int, str } from './types';

/** Names usable as bare identifiers that mean the call without arguments. */
const BARE_CALLS = new Set(['pcomm', 'ppid', 'probetype', 'has_cpid', 'leader_comm', 'leader_tid']);

/**
 * `ppid` written without parentheses: the identifier node becomes the call
 * `ppid()` in place (so codegen sees a call). Returns false for other names.
 */
export function bareCallIdentifier(e: IdentifierExpr): boolean {
  if (!BARE_CALLS.has(e.name)) return false;
  const call = e as unknown as CallExpr;
  Object.assign(call, { kind: 'Call', args: [], nameLoc: e.loc });
  return true;
}

/** pcomm/ppid → the expression they stand for (`task->group_leader->comm`). */
export const taskExpansions = new WeakMap<CallExpr, Expr>();

/** probetype → its text; has_cpid → its value. Known when the script is checked. */
export const probeFacts = new WeakMap<CallExpr, string | boolean>();

/** The capacity of probetype's string: the longest provider name (`asyncwatchpoint`) and its NUL. */
const PROBETYPE_SIZE = 16;

/** `task->a->b`, the task being the argument or `curtask`. */
export function throughTask(e: CallExpr, scope: Scope, ctx: CallContext, fields: string[]): Type {
  if (!arity(e, ctx, 0, 1)) return NONE;
  let task: Expr = e.args[0] ?? { kind: 'Identifier', name: 'curtask', loc: e.loc };
  if (e.args[0]) {
    const t = argTypes(e, scope, ctx)[0];
    if (t.kind === 'none') return NONE;
    if (t.kind !== 'pointer' || t.to.kind !== 'struct' || t.to.name !== 'struct task_struct') {
      ctx.checker.error(`${e.name}() expects a struct task_struct * (${printfTypeName(t)} provided)`, e.loc);
      return NONE;
    }
  }
  for (const field of fields) task = { kind: 'Field', object: task, field, arrow: true, loc: e.loc };
  const t = ctx.checker.expr(task, scope);
  if (t.kind === 'none') return NONE;
  taskExpansions.set(e, task);
  return t;
}

export const TASK_RULES: Record<string, Rule> = {
  /** The process name: the thread-group leader's comm (HEAD: `task->group_leader->comm`). */
  pcomm: (e, scope, ctx) => throughTask(e, scope, ctx, ['group_leader', 'comm']),

  /** The parent process's pid (its thread-group id), uint32 as HEAD types pids. */
  ppid(e, scope, ctx) {
    const t = throughTask(e, scope, ctx, ['real_parent', 'tgid']);
    return t.kind === 'none' ? NONE : int(32, false);
  },

  /** The provider's name (`tracepoint`, `uprobe`, …); `special` for BEGIN/END, as HEAD. */
  probetype(e, scope, ctx) {
    arity(e, ctx, 0);
    const p = scope.match.provider;
    probeFacts.set(e, p.special ? 'special' : p.name);
    return str(PROBETYPE_SIZE);
  },

  /** Whether a -c command was given (HEAD): `cpid` is only meaningful then. */
  has_cpid(e, scope, ctx) {
    arity(e, ctx, 0);
    probeFacts.set(e, !!ctx.checker.options.childCommand);
    return { kind: 'bool' };
  },
};
