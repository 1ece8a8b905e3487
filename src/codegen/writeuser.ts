// write_user(dst, src, n): bpf_probe_write_user(dst, &src, n). An integer
// `src` is stored to an 8-byte stack slot first (little-endian, as in C).
import type { CallExpr } from '../ast/nodes';
import { writeUserSizes } from '../checker/writeuser';
import { CodegenError } from './errors';
import { Helper } from './helpers';
import type { CgValue, ProbeCodegen } from './irgen';

export const WRITE_USER_LOWERINGS: Record<string, (g: ProbeCodegen, e: CallExpr) => CgValue | undefined> = {
  write_user(g, e) {
    const n = writeUserSizes.get(e);
    if (n === undefined) throw new CodegenError('internal: write_user size missing', e.loc);
    const dst = g.b.CreateIntToPtr(g.intValue(e.args[0]), g.i8p);
    const src = g.expr(e.args[1]);
    let ptr: typeof dst;
    if (src.kind === 'buf') {
      ptr = src.ptr;
    } else {
      ptr = g.stackBuffer(8, 'write_user_src', false);
      g.b.CreateStore(src.v, g.wordPtr(ptr, 0));
    }
    return { kind: 'int', v: g.helper(Helper.probe_write_user, g.i64, [dst, ptr, g.b.getInt32(n)]) };
  },
};
