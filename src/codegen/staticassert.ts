// static_assert(): a compile-time check only (src/checker/staticassert.ts); no code.
import type { CallExpr } from '../ast/nodes';
import type { CgValue, ProbeCodegen } from './irgen';

export const STATIC_ASSERT_LOWERINGS: Record<string, (g: ProbeCodegen, e: CallExpr) => CgValue | undefined> = {
  static_assert: () => undefined,
};
