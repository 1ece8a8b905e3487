// find(@m, key, $v): look the key up; when present, run `$v = @m[key]`.
import type { CallExpr } from '../ast/nodes';
import { findParts } from '../checker/find';
import { CodegenError } from './errors';
import { Helper } from './helpers';
import type { CgValue, ProbeCodegen } from './irgen';

export const FIND_LOWERINGS: Record<string, (g: ProbeCodegen, e: CallExpr) => CgValue | undefined> = {
  find(g, e) {
    const parts = findParts.get(e);
    if (!parts) throw new CodegenError('internal: find() parts missing', e.loc);
    const b = g.b;
    const ptr = g.helper(Helper.map_lookup_elem, g.i8p, [g.mapRef(g.mapPlan(parts.lookup.name)), g.mapKey(parts.lookup)]);
    const found = b.CreateIsNotNull(ptr);
    const store = g.newBlock('find_store');
    const done = g.newBlock('find_done');
    b.CreateCondBr(found, store, done);
    b.SetInsertPoint(store);
    g.assign(parts.store);
    b.CreateBr(done);
    b.SetInsertPoint(done);
    return { kind: 'int', v: g.boolToI64(found) };
  },
};
