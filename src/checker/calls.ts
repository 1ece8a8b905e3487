// Type rules of builtin functions (spec §5, §6.1): arity, argument types,
// placement of aggregations. Codegen's src/codegen/calls.ts mirrors this file.
import { checkKaddr } from './kaddr';
import type { CallExpr, MapExpr } from '../ast/nodes';
import { checkPrintfArgs } from '../output/printf';
import type { Checker, FormatAction, Scope } from './index';
import { INT64, NONE, Type, typeName, str } from './types';
import { suggest } from './suggest';
import { FUNCTION_RULES, builtinCall, checkUnsafe } from './functions';
import { STRING_RULES } from './strings';
import { TASK_RULES } from './task';
import { LEADER_RULES } from './leader';
import { PERCPU_RULES } from './percpu';
import { SKBOUTPUT_RULES } from './skboutput';
import { FIND_RULES } from './find';
import { KFUNC_RULES } from './kfunc';
import { TYPE_PREDICATE_RULES } from './typepredicates';
import { ASSERT_RULES } from './assert';
import { STATIC_ASSERT_RULES } from './staticassert';
import { FAIL_RULES } from './fail';
import { WRITE_USER_RULES } from './writeuser';
import { GETOPT_RULES } from './getopt';
import { SOCKET_RULES } from './socket';
import { ISERR_RULES } from './iserr';
import { argTypes, arity, CallContext, CHECKED_AFTER_AVAILABILITY, checkStatementOnly, printfKind, printfTypeName, Rule } from './callargs';

export type { CallContext, Rule };
export { argTypes, arity, printfKind, printfTypeName };

/** count(), sum(x), …: only as the direct value of a map assignment. */
function aggregation(agg: 'count' | 'sum' | 'min' | 'max' | 'avg' | 'stats', nargs: number): Rule {
  return (e, scope, ctx) => {
    const types = argTypes(e, scope, ctx);
    arity(e, ctx, nargs);
    if (!ctx.directMapValue) {
      const where = ctx.assignedToVariable || ctx.isStatement === false ? 'should be directly assigned to a map' : 'should be assigned to a map';
      ctx.checker.error(`${e.name}() ${where}`, e.loc);
      return NONE;
    }
    const arg = types[0];
    if (nargs === 1 && arg && arg.kind !== 'int' && arg.kind !== 'none') {
      ctx.checker.error(`${e.name}() only supports integer arguments (${printfTypeName(arg)} provided)`, e.loc);
    }
    const signed = arg?.kind === 'int' ? arg.signed : false;
    return { kind: 'agg', agg, signed: agg === 'count' ? false : signed };
  };
}

/** The first argument of print/clear/zero: an un-indexed map. */
function wholeMap(e: CallExpr, scope: Scope, ctx: CallContext): boolean {
  const m = e.args[0];
  if (!m || m.kind !== 'Map') {
    ctx.checker.error(`${e.name}() expects a map to be provided`, e.loc);
    return false;
  }
  if (m.keys.length > 0) {
    ctx.checker.error(`The map passed to ${e.name}() should not be indexed by a key`, e.loc);
    return false;
  }
  const info = ctx.checker.maps.get(m.name);
  if (!info) {
    ctx.checker.error(`Undefined map: ${m.name}`, m.loc);
    return false;
  }
  m.type = info.valueType;
  return true;
}

function literalInt(e: CallExpr, i: number, ctx: CallContext, what: string): bigint | undefined {
  const a = e.args[i];
  if (a?.kind === 'Int') return a.value;
  if (a?.kind === 'Param' && !a.count) {
    const v = ctx.checker.options.params[a.index - 1] ?? '0';
    if (/^[0-9]+$/.test(v)) return BigInt(v);
  }
  ctx.checker.error(`${e.name}() expects a integer literal (${a ? literalTypeWord(a) : 'none'} provided)`, e.loc);
  return undefined;
}

/** kstack(), kstack(N), kstack(perf|bpftrace|raw), kstack(perf, N); ustack likewise (raw: HEAD, 0.18+). */
function stackRule(user: boolean): Rule {
  return (e, scope, ctx) => {
    if (!arity(e, ctx, 0, 2)) return NONE;
    let mode: 'bpftrace' | 'perf' | 'raw' = 'bpftrace';
    let limit = 127;
    e.args.forEach((a, i) => {
      if (i === 0 && a.kind === 'Identifier' && (a.name === 'perf' || a.name === 'bpftrace' || a.name === 'raw')) {
        mode = a.name;
        a.type = NONE;
        return;
      }
      const n = literalInt(e, i, ctx, 'limit');
      if (n === undefined) return;
      if (n > 1024n) ctx.checker.error(`${e.name}([int limit]): limit shouldn't exceed 1024, ${n} given`, e.loc);
      else if (n < 1n) ctx.checker.error(`${e.name}() limit must be at least 1 (${n} provided)`, e.loc);
      limit = Math.min(Number(n), 127);
      a.type = INT64;
    });
    return { kind: 'stack', user, mode, limit };
  };
}

const RULES: Record<string, Rule> = {
  kaddr: checkKaddr,
  ...FUNCTION_RULES,
  ...STRING_RULES,
  ...TASK_RULES,
  ...LEADER_RULES,
  ...PERCPU_RULES,
  ...SKBOUTPUT_RULES,
  ...FIND_RULES,
  ...KFUNC_RULES,
  ...TYPE_PREDICATE_RULES,
  ...ASSERT_RULES,
  ...STATIC_ASSERT_RULES,
  ...FAIL_RULES,
  ...WRITE_USER_RULES,
  ...GETOPT_RULES,
  ...SOCKET_RULES,
  ...ISERR_RULES,
  kstack: stackRule(false),
  ustack: stackRule(true),

  time(e, scope, ctx) {
    argTypes(e, scope, ctx);
    if (!arity(e, ctx, 0, 1)) return NONE;
    if (e.args[0] && e.args[0].kind !== 'String') ctx.checker.error(`time() expects a string literal (${literalTypeWord(e.args[0])} provided)`, e.loc);
    return NONE;
  },

  strftime(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 2)) return NONE;
    const fmt = e.args[0];
    if (fmt.kind !== 'String') {
      ctx.checker.error(`strftime() expects a string literal (${literalTypeWord(fmt)} provided)`, e.loc);
      return NONE;
    }
    if (types[1].kind !== 'int' && types[1].kind !== 'none') ctx.checker.error(`strftime() expects an integer as the second argument (${typeName(types[1])} provided)`, e.loc);
    return { kind: 'text', what: 'timestamp', format: fmt.value };
  },

  ksym(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 1)) return NONE;
    if (types[0].kind !== 'int' && types[0].kind !== 'pointer' && types[0].kind !== 'none') {
      ctx.checker.error(`ksym() expects an integer or pointer argument (${typeName(types[0])} provided)`, e.loc);
    }
    return { kind: 'text', what: 'ksym' };
  },
  usym(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 1)) return NONE;
    if (types[0].kind !== 'int' && types[0].kind !== 'pointer' && types[0].kind !== 'none') {
      ctx.checker.error(`usym() expects an integer or pointer argument (${typeName(types[0])} provided)`, e.loc);
    }
    return { kind: 'text', what: 'usym' };
  },

  count: aggregation('count', 0),
  sum: aggregation('sum', 1),
  min: aggregation('min', 1),
  max: aggregation('max', 1),
  avg: aggregation('avg', 1),
  stats: aggregation('stats', 1),

  /** hist(x) and HEAD's hist(x, k): k (0..5) splits each power of two into 2^k buckets. */
  hist(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (e.args.length === 0) arity(e, ctx, 1);
    else arity(e, ctx, 1, 2);
    if (!ctx.directMapValue) {
      ctx.checker.error(`hist() should be directly assigned to a map`, e.loc);
      return NONE;
    }
    if (types[0] && types[0].kind !== 'int' && types[0].kind !== 'none') ctx.checker.error(`hist() only supports integer arguments (${printfTypeName(types[0])} provided)`, e.loc);
    let bits = 0;
    if (e.args.length === 2) {
      const k = literalInt(e, 1, ctx, 'bits');
      if (k !== undefined && k > 5n) ctx.checker.error(`hist: bits ${k} must be 0..5`, e.args[1].loc);
      else if (k !== undefined) bits = Number(k);
    }
    const existing = ctx.map && ctx.checker.maps.get(ctx.map.name)?.valueType;
    if (existing?.kind === 'agg' && existing.agg === 'hist' && (existing.histBits ?? 0) !== bits) {
      ctx.checker.error('Different bits in a single hist unsupported', e.loc);
    }
    return { kind: 'agg', agg: 'hist', signed: types[0]?.kind === 'int' && types[0].signed, ...(bits ? { histBits: bits } : {}) };
  },

  lhist(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 4)) return NONE;
    if (!ctx.directMapValue) {
      ctx.checker.error(`lhist() should be directly assigned to a map`, e.loc);
      return NONE;
    }
    if (types[0].kind !== 'int' && types[0].kind !== 'none') ctx.checker.error(`lhist() only supports integer arguments (${printfTypeName(types[0])} provided)`, e.loc);
    const min = literalInt(e, 1, ctx, 'min');
    const max = literalInt(e, 2, ctx, 'max');
    const step = literalInt(e, 3, ctx, 'step');
    if (min === undefined || max === undefined || step === undefined) return NONE;
    if (step < 1n) ctx.checker.error(`lhist() step must be >= 1 (${step} provided)`, e.loc);
    else if (min < 0n) ctx.checker.error(`lhist() min must be non-negative (provided min ${min})`, e.loc);
    else if (min > max) ctx.checker.error(`lhist() min must be less than max (provided min ${min} and max ${max})`, e.loc);
    else if ((max - min) / step > 1000n) ctx.checker.error(`lhist() too many buckets, must be <= 1000 (would need ${(max - min) / step})`, e.loc);
    else if (max - min < step) ctx.checker.error(`lhist() step is too large for the given range (provided step ${step} for range ${max - min})`, e.loc);
    const existing = ctx.map && ctx.checker.maps.get(ctx.map.name)?.valueType;
    if (existing?.kind === 'agg' && existing.lhist && (existing.lhist.min !== min || existing.lhist.max !== max || existing.lhist.step !== step)) {
      ctx.checker.error('Different lhist bounds in a single map unsupported', e.loc);
    }
    return { kind: 'agg', agg: 'lhist', signed: false, lhist: { min, max, step } };
  },

  print(e, scope, ctx) {
    if (scope.loopDepth > 0) {
      // bpftrace 0.17's wording, typo included.
      ctx.checker.warning("Due to it's asynchronous nature using 'print()' in a loop can lead to unexpected behavior. The map will likely be updated before the runtime can 'print' it.", e.loc);
    }
    if (e.args[0]?.kind === 'Map' && e.args[0].keys.length === 0 && ctx.checker.maps.has(e.args[0].name)) {
      if (!wholeMap(e, scope, ctx)) return NONE;
      if (e.args.length > 3) ctx.checker.error(`print() takes up to 3 arguments (${e.args.length} provided)`, e.loc);
      for (const a of e.args.slice(1)) {
        const t = ctx.checker.expr(a, scope);
        if (a.kind !== 'Int' && t.kind !== 'none') ctx.checker.error('print() expects integer literals for top and div', a.loc);
      }
      return NONE;
    }
    const types = argTypes(e, scope, ctx);
    if (e.args.length !== 1) {
      ctx.checker.error(e.args.length === 0 ? 'print() requires at least one argument (0 provided)' : `Non-map print() only takes 1 argument, ${e.args.length} found`, e.loc);
      return NONE;
    }
    const t = types[0];
    if (t.kind === 'struct' && t.isCtx) {
      ctx.checker.error(`${typeName(t)} type passed to print() is not printable`, e.loc);
      return NONE;
    }
    if (t.kind !== 'none' && t.kind !== 'agg' && !ctx.checker.prints.has(e)) {
      ctx.checker.prints.set(e, { id: ctx.checker.prints.size, type: t });
    }
    return NONE;
  },

  clear(e, scope, ctx) {
    arity(e, ctx, 1);
    wholeMap(e, scope, ctx);
    return NONE;
  },

  zero(e, scope, ctx) {
    arity(e, ctx, 1);
    wholeMap(e, scope, ctx);
    return NONE;
  },

  join(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 1, 2)) return NONE;
    if (types[0].kind !== 'int' && types[0].kind !== 'pointer' && types[0].kind !== 'none') {
      ctx.checker.error(`join() only supports int or pointer arguments (${typeName(types[0])} provided)`, e.loc);
    }
    if (e.args[1] && e.args[1].kind !== 'String') ctx.checker.error('join() expects a string literal as the delimiter', e.args[1].loc);
    if (!ctx.isStatement) ctx.checker.error('join() should not be used in an assignment or as a map key', e.loc);
    return NONE;
  },

  delete(e, scope, ctx) {
    if (!arity(e, ctx, 1, 2)) return NONE;
    const m = e.args[0];
    if (m.kind !== 'Map') {
      ctx.checker.error('delete() expects a map to be provided', e.loc);
      return NONE;
    }
    if (e.args.length === 2) {
      // HEAD form: delete(@m, key) — same as delete(@m[key]).
      if (m.keys.length > 0) {
        ctx.checker.error('delete() expects a map with no keys for the first argument', m.loc);
        return NONE;
      }
      const key = e.args[1];
      e.args = [{ ...m, keys: key.kind === 'Tuple' ? key.elems : [key], loc: m.loc }];
    }
    ctx.checker.expr(e.args[0], scope);
    return NONE;
  },

  printf: (e, scope, ctx) => formatCall(e, scope, ctx),
  // Unsafe: the formatted text is a shell command / a path (src/runtime/actions.ts).
  system(e, scope, ctx) {
    checkUnsafe(e, ctx);
    checkStatementOnly(e, ctx);
    return formatCall(e, scope, ctx, 'system');
  },
  cat: (e, scope, ctx) => formatCall(e, scope, ctx, 'cat'),
  // HEAD (0.24+): the formatted text is printed as an ERROR/WARNING at the call's location.
  errorf: (e, scope, ctx) => formatCall(e, scope, ctx, 'errorf'),
  warnf: (e, scope, ctx) => formatCall(e, scope, ctx, 'warnf'),

  exit(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    // exit() in 0.17, exit(code) at HEAD.
    arity(e, ctx, 0, 1);
    if (types[0] && types[0].kind !== 'int' && types[0].kind !== 'none') {
      ctx.checker.error(`exit() expects an integer exit code (${typeName(types[0])} provided)`, e.loc);
    }
    return NONE;
  },

  str(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 1, 2)) return NONE;
    const t = types[0];
    if (t.kind !== 'int' && t.kind !== 'pointer' && t.kind !== 'none') {
      ctx.checker.error(`str() expects an integer or a pointer type as first argument (${typeName(t)} provided)`, e.loc);
      return NONE;
    }
    let size = ctx.checker.options.strlen;
    const len = e.args[1];
    if (len?.kind === 'Int' && len.value >= 0n && len.value + 1n < BigInt(size)) size = Number(len.value) + 1;
    return str(size);
  },
};

/**
 * printf(fmt, …) and the functions that format like it (system, cat): one
 * site per call, decoded and formatted in user space; `action` says what
 * happens with the text.
 */
export function formatCall(e: CallExpr, scope: Scope, ctx: CallContext, action?: FormatAction): Type {
  const types = argTypes(e, scope, ctx);
  if (e.args.length === 0) {
    ctx.checker.error(`${e.name}() requires at least one argument (0 provided)`, e.loc);
    return NONE;
  }
  if (e.args.length > 129) ctx.checker.error(`${e.name}() takes up to 128 arguments (${e.args.length - 1} provided)`, e.loc);
  const fmt = e.args[0];
  if (fmt.kind !== 'String') {
    if (types[0].kind !== 'none') ctx.checker.error(`${e.name}() expects a string literal (${printfTypeName(types[0])} provided)`, e.loc);
    return NONE;
  }
  const values = types.slice(1);
  const failed = values.findIndex((t) => t.kind === 'none');
  if (failed >= 0) {
    // An argument already failed. For an undefined map bpftrace also
    // reports the specifier as unsupplied; for other failures it doesn't.
    if (e.args[failed + 1].kind === 'Map') {
      ctx.checker.error(`printf: ${nthSpecifier(fmt.value, failed)} specifier expects a value of type integer (none supplied)`, e.loc);
    }
    return NONE;
  }
  const msg = checkPrintfArgs(fmt.value, values.map(printfKind), values.map(printfTypeName));
  if (msg) {
    ctx.checker.error(msg.replace(/^printf: /, `${e.name}: `), e.loc);
    return NONE;
  }
  if (!ctx.checker.printfs.has(e)) {
    ctx.checker.printfs.set(e, { id: ctx.checker.printfs.size, format: fmt.value, argTypes: values, loc: e.loc, ...(action ? { action } : {}) });
  }
  return NONE;
}

export const FUNCTION_NAMES = Object.keys(RULES);

export function checkCall(e: CallExpr, scope: Scope, ctx: CallContext): Type {
  if (!CHECKED_AFTER_AVAILABILITY.has(e.name)) checkStatementOnly(e, ctx);
  const rule = RULES[e.name];
  if (!rule) {
    const builtin = builtinCall(e, scope, ctx);
    if (builtin) return builtin;
    for (const a of e.args) ctx.checker.expr(a, scope);
    const hint = suggest(e.name, FUNCTION_NAMES);
    ctx.checker.error(`Unknown function: ${e.name}${hint ? `; did you mean '${hint}'?` : ''}`, e.nameLoc);
    return NONE;
  }
  return rule(e, scope, ctx);
}


/** The type word of `expects a … literal (X provided)`: the argument's type, `string` for an untyped string literal. */
function literalTypeWord(a: CallExpr['args'][number]): string {
  if (a.type) return printfTypeName(a.type);
  return a.kind === 'String' ? 'string' : 'integer';
}


function nthSpecifier(fmt: string, n: number): string {
  const specs = fmt.replace(/%%/g, '').match(/%-?[0-9]*(?:\.[0-9]+)?(?:hh|h|ll|l|j|z|t)?[a-zA-Z]/g) ?? [];
  return specs[n] ?? '%d';
}

export { INT64, str };
