// fail(): a compile-time check only (src/checker/fail.ts); no code.
import type { CallExpr } from '../ast/nodes';
import type { CgValue, ProbeCodegen } from './irgen';

export const FAIL_LOWERINGS: Record<string, (g: ProbeCodegen, e: CallExpr) => CgValue | undefined> = {
  fail: () => undefined,
};
