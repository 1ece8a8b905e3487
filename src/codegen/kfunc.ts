// kfunc_exist("name") / kfunc_allowed("name"): the checker's answer, as a constant.
import type { CallExpr } from '../ast/nodes';
import { kfuncExists } from '../checker/kfunc';
import type { CgValue, ProbeCodegen } from './irgen';

export const KFUNC_LOWERINGS: Record<string, (g: ProbeCodegen, e: CallExpr) => CgValue | undefined> = {
  kfunc_exist: (g, e) => ({ kind: 'int', v: g.b.getInt64(kfuncExists.get(e) ? 1 : 0) }),
  kfunc_allowed: (g, e) => ({ kind: 'int', v: g.b.getInt64(kfuncExists.get(e) ? 1 : 0) }),
};
