// Type rules of builtin functions (spec §5, §6.1): arity, argument types,
// placement of aggregations. Codegen's src/codegen/calls.ts mirrors this file.
import type { CallExpr, MapExpr } from '../ast/nodes';
import { checkPrintfArgs } from '../output/printf';
import type { Checker, Scope } from './index';
import { INT64, NONE, Type, typeName, str } from './types';
import { suggest } from './suggest';

export interface CallContext {
  checker: Checker;
  /** The call is the whole right-hand side of `@map[...] = call(...)`. */
  directMapValue: boolean;
  map?: MapExpr;
  isStatement?: boolean;
  assignedToVariable?: boolean;
}

type Rule = (e: CallExpr, scope: Scope, ctx: CallContext) => Type;

const ARITY_WORDS = ['no arguments', 'one argument', 'two arguments', 'three arguments', 'four arguments'];

function arity(e: CallExpr, ctx: CallContext, min: number, max = min): boolean {
  const n = e.args.length;
  if (n >= min && n <= max) return true;
  let msg: string;
  if (min === max) msg = `${e.name}() requires ${ARITY_WORDS[min] ?? `${min} arguments`} (${n} provided)`;
  else if (n < min) msg = `${e.name}() requires at least ${ARITY_WORDS[min] ?? `${min} arguments`}`;
  else msg = `${e.name}() takes up to ${max} arguments (${n} provided)`;
  ctx.checker.error(msg, e.loc);
  return false;
}

function argTypes(e: CallExpr, scope: Scope, ctx: CallContext): Type[] {
  return e.args.map((a) => ctx.checker.expr(a, scope));
}

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
      ctx.checker.error(`${e.name}() only supports integer arguments (${typeName(arg)} provided)`, e.loc);
    }
    const signed = arg?.kind === 'int' ? arg.signed : false;
    return { kind: 'agg', agg, signed: agg === 'count' ? false : signed };
  };
}

const RULES: Record<string, Rule> = {
  count: aggregation('count', 0),
  sum: aggregation('sum', 1),
  min: aggregation('min', 1),
  max: aggregation('max', 1),
  avg: aggregation('avg', 1),

  printf(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (e.args.length === 0) {
      ctx.checker.error('printf() requires at least one argument (0 provided)', e.loc);
      return NONE;
    }
    if (e.args.length > 129) ctx.checker.error(`printf() takes up to 128 arguments (${e.args.length - 1} provided)`, e.loc);
    const fmt = e.args[0];
    if (fmt.kind !== 'String') {
      ctx.checker.error('printf() expects a string literal as the first argument', fmt.loc);
      return NONE;
    }
    const values = types.slice(1);
    const failed = values.findIndex((t) => t.kind === 'none');
    if (failed >= 0) {
      // The argument already failed; bpftrace still reports its specifier as unsupplied.
      ctx.checker.error(`printf: ${nthSpecifier(fmt.value, failed)} specifier expects a value of type integer (none supplied)`, e.loc);
      return NONE;
    }
    const msg = checkPrintfArgs(fmt.value, values.map(printfKind), values.map(printfTypeName));
    if (msg) {
      ctx.checker.error(msg, e.loc);
      return NONE;
    }
    if (!ctx.checker.printfs.has(e)) {
      ctx.checker.printfs.set(e, { id: ctx.checker.printfs.size, format: fmt.value, argTypes: values, loc: e.loc });
    }
    return NONE;
  },

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

export const FUNCTION_NAMES = Object.keys(RULES);

export function checkCall(e: CallExpr, scope: Scope, ctx: CallContext): Type {
  const rule = RULES[e.name];
  if (!rule) {
    for (const a of e.args) ctx.checker.expr(a, scope);
    const hint = suggest(e.name, FUNCTION_NAMES);
    ctx.checker.error(`Unknown function: ${e.name}${hint ? `; did you mean '${hint}'?` : ''}`, e.nameLoc);
    return NONE;
  }
  return rule(e, scope, ctx);
}

function printfKind(t: Type): 'integer' | 'string' | 'buffer' | 'other' {
  if (t.kind === 'int' || t.kind === 'bool' || t.kind === 'pointer') return 'integer';
  if (t.kind === 'string' || t.kind === 'text') return 'string';
  if (t.kind === 'array' || t.kind === 'struct') return 'buffer';
  return 'other';
}

/** The type word bpftrace's printf messages use: `(string supplied)`, `(tuple supplied)`. */
function printfTypeName(t: Type): string {
  switch (t.kind) {
    case 'int': case 'bool': case 'pointer': return 'integer';
    case 'string': case 'text': return 'string';
    case 'array': case 'struct': return 'buffer';
    case 'agg': return t.agg;
    default: return t.kind;
  }
}

function nthSpecifier(fmt: string, n: number): string {
  const specs = fmt.replace(/%%/g, '').match(/%-?[0-9]*(?:\.[0-9]+)?(?:hh|h|ll|l|j|z|t)?[a-zA-Z]/g) ?? [];
  return specs[n] ?? '%d';
}

export { INT64, str };
