// percpu_kaddr("name"[, cpu]) (HEAD 0.22): the address of a per-CPU kernel
// variable, on this CPU or on `cpu` (0 when there is no such CPU), uint64.
// As HEAD: the variable is a BTF ksym (its vmlinux VAR id) passed to
// bpf_this_cpu_ptr / bpf_per_cpu_ptr, so the verifier checks it is per-CPU.
// Lowering: src/codegen/percpu.ts.
import type { CallExpr } from '../ast/nodes';
import { vmlinuxBtf } from '../btf';
import { argTypes, arity, printfTypeName, Rule } from './callargs';
import { NONE, isInt, int } from './types';
import { kernelSymbolAddress } from './kaddr';

/** percpu_kaddr call → the variable's vmlinux BTF id. */
export const percpuVars = new WeakMap<CallExpr, { btfId: number; name: string }>();

export const PERCPU_RULES: Record<string, Rule> = {
  percpu_kaddr(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 1, 2)) return NONE;
    const a = e.args[0];
    if (a.kind !== 'String') {
      ctx.checker.error(`percpu_kaddr() expects a string literal (${printfTypeName(types[0])} provided)`, e.loc);
      return NONE;
    }
    if (types[1] && types[1].kind !== 'none' && !isInt(types[1])) {
      ctx.checker.error(`percpu_kaddr() expects an integer cpu (${printfTypeName(types[1])} provided)`, e.loc);
      return NONE;
    }
    const btfId = vmlinuxBtf()?.variableId(a.value);
    if (btfId === undefined) {
      ctx.checker.error(`Could not resolve variable "${a.value}" from BTF`, e.loc);
      return NONE;
    }
    // The verifier resolves the ksym's address by name in kallsyms, which lists
    // data symbols only with CONFIG_KALLSYMS_ALL: without it the load fails.
    if (kernelSymbolAddress(a.value) === undefined) {
      const message = `percpu_kaddr("${a.value}"): the kernel cannot resolve the address of ${a.value}: /proc/kallsyms does not list it (variables are listed only with CONFIG_KALLSYMS_ALL)`;
      if (!ctx.checker.options.dryRun) {
        ctx.checker.error(message, e.loc);
        return NONE;
      }
      ctx.checker.warning(`${message} (compiled anyway: --dry-run)`, e.loc);
    }
    percpuVars.set(e, { btfId, name: a.value });
    return int(64, false);
  },
};
