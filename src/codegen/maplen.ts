// len(@map) (HEAD): the number of elements, counted by bpf_for_each_map_elem
// with a callback that does nothing but continue (the helper returns how many
// elements it visited). HEAD does the same on kernels without the
// bpf_map_sum_elem_count kfunc. A per-CPU hash holds one element per key,
// whatever the number of CPUs, so aggregations count keys too.
import type { CallExpr, Loc, MapExpr } from '../ast/nodes';
import { ProbeCodegen, type CgValue } from './irgen';
import { Helper } from './helpers';

/** `static long cb(map, key, value, ctx) { return 0; }`: visit every element. */
class EmptyCallback extends ProbeCodegen {
  constructor(parent: ProbeCodegen, name: string, loc: Loc) {
    super(parent.m, parent.match, name, loc, true);
    this.programName = parent.programName;
    this.b.CreateRet(this.b.getInt64(0));
    this.allocas.CreateBr(this.bodyBB);
    this.finishDebugInfo();
  }
}

export function mapLength(g: ProbeCodegen, e: CallExpr): CgValue {
  const m = e.args[0] as MapExpr;
  const name = `${g.programName}_len${g.subprograms.length}`;
  g.subprograms.push(name);
  const cb = new EmptyCallback(g, name, e.loc);
  const n = g.helper(Helper.for_each_map_elem, g.i64, [g.mapRef(g.mapPlan(m.name)), g.b.CreateBitCast(cb.fn, g.i8p), g.m.llvm.ConstantPointerNull.get(g.i8p), g.b.getInt64(0)]);
  return { kind: 'int', v: n };
}
