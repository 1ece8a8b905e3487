// is_err(ptr) (HEAD 0.26+): whether a kernel pointer is an error value
// (IS_ERR_VALUE: the top 4095 addresses, -MAX_ERRNO..-1). Lowering:
// src/codegen/iserr.ts.
import { argTypes, arity, printfTypeName, Rule } from './callargs';

export const ISERR_RULES: Record<string, Rule> = {
  is_err(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    const bool = { kind: 'bool' } as const;
    if (!arity(e, ctx, 1)) return bool;
    const t = types[0];
    if (t.kind !== 'pointer' && t.kind !== 'int' && t.kind !== 'none') ctx.checker.error(`is_err() expects a pointer or an integer (${printfTypeName(t)} provided)`, e.loc);
    return bool;
  },
};
