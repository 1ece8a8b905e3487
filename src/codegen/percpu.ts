// percpu_kaddr: the ksym `__ksym_<btf id>_<name>` (the native emitter makes
// its address load a BPF_PSEUDO_BTF_ID one, native/src/emit.cc) through
// bpf_this_cpu_ptr, or bpf_per_cpu_ptr with the cpu (NULL past the last CPU).
import type * as LLVM from 'llvm-bindings';
import type { CallExpr } from '../ast/nodes';
import { percpuVars } from '../checker/percpu';
import { CodegenError } from './errors';
import { Helper } from './helpers';
import type { CgValue, ProbeCodegen } from './irgen';

/** The ksyms declared in each module, by name (a name can be declared once). */
const ksyms = new WeakMap<object, Map<string, LLVM.GlobalVariable>>();

function percpuKaddr(g: ProbeCodegen, e: CallExpr): CgValue {
  const v = percpuVars.get(e);
  if (!v) throw new CodegenError('internal: percpu_kaddr() variable missing', e.loc);
  const { llvm } = g.m;
  const name = `__ksym_${v.btfId}_${v.name}`;
  let declared = ksyms.get(g.m.module);
  if (!declared) ksyms.set(g.m.module, (declared = new Map()));
  let sym = declared.get(name);
  if (!sym) declared.set(name, (sym = new llvm.GlobalVariable(g.m.module, g.i8, false, llvm.GlobalValue.LinkageTypes.ExternalLinkage, null, name)));
  const ptr = e.args.length > 1
    ? g.helper(Helper.per_cpu_ptr, g.i8p, [sym, g.b.CreateTrunc(g.intValue(e.args[1]), g.b.getInt32Ty())])
    : g.helper(Helper.this_cpu_ptr, g.i8p, [sym]);
  return { kind: 'int', v: g.b.CreatePtrToInt(ptr, g.i64) };
}

export const PERCPU_LOWERINGS: Record<string, (g: ProbeCodegen, e: CallExpr) => CgValue | undefined> = {
  percpu_kaddr: percpuKaddr,
};
