// kfunc_exist("name") (HEAD 0.24+): whether the kernel's BTF describes a
// function of that name; a bool known when the script is compiled.
// (HEAD's companion kfunc_allowed(), which asks whether a probe type may
// call the kfunc, is not implemented.)
import type { CallExpr } from '../ast/nodes';
import { vmlinuxBtf } from '../btf';
import { argTypes, arity, printfTypeName, Rule } from './callargs';

export const kfuncExists = new WeakMap<CallExpr, boolean>();

export const KFUNC_RULES: Record<string, Rule> = {
  kfunc_exist(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    const bool = { kind: 'bool' } as const;
    if (!arity(e, ctx, 1)) return bool;
    const a = e.args[0];
    if (a.kind !== 'String') {
      ctx.checker.error(`kfunc_exist() expects a string literal (${printfTypeName(types[0])} provided)`, e.loc);
      return bool;
    }
    kfuncExists.set(e, vmlinuxBtf()?.func(a.value) !== undefined);
    return bool;
  },
};
