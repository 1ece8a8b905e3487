// Type rules of current bpftrace's string helpers (HEAD's stdlib
// strings.bt): strlen, strcap, strstr, str_concat, memcmp, and the names
// signal_name / syscall_name. 0.17 has none of them. Lowering:
// src/codegen/strings.ts.
import type { CallExpr, Expr } from '../ast/nodes';
import { argTypes, arity, CallContext, printfTypeName, Rule } from './callargs';
import type { Scope } from './index';
import { INT64, NONE, Type, UINT64, str } from './types';

/** HEAD's assert_str() message. */
const NOT_STRING_LIKE = 'string-like values must be either strings, arrays or pointers';

/**
 * A string-like argument: a string (char arrays are strings) as is; a
 * pointer or integer address is read with str() first (BPFTRACE_STRLEN
 * bytes), as HEAD bounds pointer strings by the default string length.
 * Returns the argument's type after that, or undefined after an error.
 */
function stringLike(e: CallExpr, i: number, t: Type, scope: Scope, ctx: CallContext): Extract<Type, { kind: 'string' }> | undefined {
  if (t.kind === 'string') return t;
  if (t.kind === 'pointer' || t.kind === 'int') {
    const a = e.args[i];
    const read: Expr = { kind: 'Call', name: 'str', args: [a], nameLoc: a.loc, loc: a.loc };
    e.args[i] = read;
    const rt = ctx.checker.expr(read, scope);
    return rt.kind === 'string' ? rt : undefined;
  }
  if (t.kind !== 'none') ctx.checker.error(`${e.name}(): ${NOT_STRING_LIKE} (${printfTypeName(t)} provided)`, e.loc);
  return undefined;
}

/** The arguments as string-like values, or undefined when one is not. */
function stringArgs(e: CallExpr, scope: Scope, ctx: CallContext, n: number): Extract<Type, { kind: 'string' }>[] | undefined {
  const types = argTypes(e, scope, ctx);
  if (!arity(e, ctx, n)) return undefined;
  const out: Extract<Type, { kind: 'string' }>[] = [];
  for (let i = 0; i < n; i++) {
    const t = stringLike(e, i, types[i], scope, ctx);
    if (!t) return undefined;
    out.push(t);
  }
  return out;
}

function integerArgument(e: CallExpr, t: Type | undefined, ctx: CallContext): void {
  if (t && t.kind !== 'int' && t.kind !== 'bool' && t.kind !== 'none') ctx.checker.error(`${e.name}() only supports integer arguments (${printfTypeName(t)} provided)`, e.loc);
}

/** Bytes of a value memcmp() compares: strings, arrays, records, buffers. */
export function comparableSize(t: Type): number | undefined {
  switch (t.kind) {
    case 'string': return t.size;
    case 'array': return t.length * (t.elem.kind === 'int' ? t.elem.bits / 8 : 8);
    case 'struct': return t.size;
    default: return undefined;
  }
}

export const STRING_RULES: Record<string, Rule> = {
  /** strlen(s): the characters before the first NUL (uint64). */
  strlen(e, scope, ctx) {
    stringArgs(e, scope, ctx, 1);
    return UINT64;
  },

  /** strcap(s): the capacity of a string value (int64), known when the script is compiled. */
  strcap(e, scope, ctx) {
    stringArgs(e, scope, ctx, 1);
    return INT64;
  },

  /** strstr(haystack, needle): the index of the first occurrence, -1 when absent (int64). */
  strstr(e, scope, ctx) {
    stringArgs(e, scope, ctx, 2);
    return INT64;
  },

  /** str_concat(a, b): a string holding both (capacity: both capacities less one NUL). */
  str_concat(e, scope, ctx) {
    const ts = stringArgs(e, scope, ctx, 2);
    if (!ts) return NONE;
    return str(ts[0].size + ts[1].size - 1);
  },

  /** memcmp(a, b, n): 0 when the first n bytes are equal, else the difference of the first differing bytes (int64). */
  memcmp(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 3)) return INT64;
    for (const t of types.slice(0, 2)) {
      if (t.kind !== 'none' && comparableSize(t) === undefined) {
        ctx.checker.error(`memcmp() expects strings, arrays or records to compare (${printfTypeName(t)} provided)`, e.loc);
        return INT64;
      }
    }
    integerArgument(e, types[2], ctx);
    const n = e.args[2];
    if (n.kind === 'Int' && n.value < 0n) ctx.checker.error('memcmp() requires a non-negative size', e.loc);
    return INT64;
  },

  /** signal_name(n): strsignal(3)'s text (`Killed`), `N/A` outside 0..64. */
  signal_name: integerToText('signal_name'),

  /** syscall_name(nr): the x86_64 system call's name (`read`), `Unknown syscall` otherwise. */
  syscall_name: integerToText('syscall_name'),
};

/** f(n) of one integer whose text user space looks up when printing (strerror, signal_name, syscall_name). */
export function integerToText(what: 'strerror' | 'signal_name' | 'syscall_name'): Rule {
  return (e, scope, ctx) => {
    const types = argTypes(e, scope, ctx);
    if (arity(e, ctx, 1)) integerArgument(e, types[0], ctx);
    return { kind: 'text', what };
  };
}
