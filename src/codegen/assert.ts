// assert(cond, msg): when cond is false, the errorf event of the call's
// printf site, then exit(1) (which ends the probe).
import type { CallExpr } from '../ast/nodes';
import { CodegenError } from './errors';
import type { CgValue, ProbeCodegen } from './irgen';

export const ASSERT_LOWERINGS: Record<string, (g: ProbeCodegen, e: CallExpr) => CgValue | undefined> = {
  assert(g, e) {
    const site = g.m.checked.printfs.get(e);
    if (!site) throw new CodegenError('internal: assert site missing', e.loc);
    const b = g.b;
    const holds = g.isTrue(g.intValue(e.args[0]));
    const failed = g.newBlock('assert_failed');
    const done = g.newBlock('assert_done');
    b.CreateCondBr(holds, done, failed);
    b.SetInsertPoint(failed);
    g.emitEvent(site.id, [{ v: g.expr(e.args[1]), t: site.argTypes[0] }]);
    g.exit({ kind: 'int', v: b.getInt64(1) });
    b.CreateBr(done);
    b.SetInsertPoint(done);
    return undefined;
  },
};
