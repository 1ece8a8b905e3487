// is_err(ptr): ptr >= (u64)-MAX_ERRNO, as the kernel's IS_ERR_VALUE.
import type { CallExpr } from '../ast/nodes';
import type { CgValue, ProbeCodegen } from './irgen';

const MAX_ERRNO = 4095n;

export const ISERR_LOWERINGS: Record<string, (g: ProbeCodegen, e: CallExpr) => CgValue | undefined> = {
  is_err: (g, e) => ({ kind: 'int', v: g.boolToI64(g.b.CreateICmpUGE(g.intValue(e.args[0]), g.const64(-MAX_ERRNO))) }),
};
