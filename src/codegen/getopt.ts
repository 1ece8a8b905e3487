// getopt(): the option's value, known when the script was checked
// (src/checker/getopt.ts), as a constant.
import type { CallExpr } from '../ast/nodes';
import { getoptValues } from '../checker/getopt';
import { CodegenError } from './errors';
import type { CgValue, ProbeCodegen } from './irgen';

export const GETOPT_LOWERINGS: Record<string, (g: ProbeCodegen, e: CallExpr) => CgValue | undefined> = {
  getopt(g, e) {
    const v = getoptValues.get(e);
    if (v === undefined) throw new CodegenError('internal: getopt value missing', e.loc);
    if (typeof v === 'string') return g.expr({ kind: 'String', value: v, loc: e.loc, type: e.type });
    return { kind: 'int', v: g.const64(typeof v === 'bigint' ? v : v ? 1n : 0n) };
  },
};
