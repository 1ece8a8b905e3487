// write_user(dst, src, n) (HEAD, unsafe: needs --unsafe): bpf_probe_write_user
// of the first `n` bytes of `src` (a string, array, record or integer value)
// to the user address `dst`. `n` is a compile-time integer no larger than the
// value. Returns the helper's result: 0, or a negative errno (int64).
// Lowering: src/codegen/writeuser.ts.
import type { CallExpr } from '../ast/nodes';
import { argTypes, arity, printfTypeName, Rule } from './callargs';
import { comptimeValue } from './comptime';
import { checkUnsafe } from './functions';
import { INT64, memorySize, Type } from './types';

/** The number of bytes to write, recorded for the lowering. */
export const writeUserSizes = new WeakMap<CallExpr, number>();

const WRITABLE: Type['kind'][] = ['string', 'array', 'struct', 'int', 'bool', 'none'];

export const WRITE_USER_RULES: Record<string, Rule> = {
  write_user(e, scope, ctx) {
    checkUnsafe(e, ctx);
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 3)) return INT64;
    const checker = ctx.checker;
    const [dst, src] = types;
    if (dst.kind !== 'pointer' && dst.kind !== 'int' && dst.kind !== 'none') {
      checker.error(`write_user() expects a pointer or an address as its first argument (${printfTypeName(dst)} provided)`, e.args[0].loc);
      return INT64;
    }
    if (!WRITABLE.includes(src.kind)) {
      checker.error(`write_user() cannot write a value of type ${printfTypeName(src)}`, e.args[1].loc);
      return INT64;
    }
    const n = comptimeValue(e.args[2], checker);
    if (typeof n !== 'bigint' || n < 1n) {
      checker.error('write_user() expects a positive compile-time integer as its size', e.args[2].loc);
      return INT64;
    }
    const available = src.kind === 'int' ? 8 : memorySize(src);
    if (src.kind !== 'none' && n > BigInt(available)) {
      checker.error(`write_user() size ${n} is larger than the value written (${available} bytes)`, e.args[2].loc);
      return INT64;
    }
    writeUserSizes.set(e, Number(n));
    return INT64;
  },
};
