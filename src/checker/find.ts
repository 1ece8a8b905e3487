// find(@m, key, $v) (HEAD 0.25+): true when @m[key] exists, and then $v
// holds its value; $v is untouched otherwise. Checked as has_key(@m, key)
// plus the assignment `$v = @m[key]`, which also gives $v its type.
// Lowering: src/codegen/find.ts.
import type { AssignStmt, CallExpr, MapExpr } from '../ast/nodes';
import { arity, Rule } from './callargs';
import { NONE } from './types';

export interface FindParts {
  lookup: MapExpr;
  store: AssignStmt;
}

export const findParts = new WeakMap<CallExpr, FindParts>();

export const FIND_RULES: Record<string, Rule> = {
  find(e, scope, ctx) {
    const bool = { kind: 'bool' } as const;
    if (!arity(e, ctx, 3)) return bool;
    const [m, key, v] = e.args;
    if (m.kind !== 'Map' || m.keys.length > 0) {
      ctx.checker.error('find() expects a map argument', e.loc);
      return bool;
    }
    const info = ctx.checker.maps.get(m.name);
    if (!info) {
      ctx.checker.error(`Undefined map: ${m.name}`, m.loc);
      return bool;
    }
    if (info.keyTypes.length === 0) {
      ctx.checker.error('call to find() expects a map with explicit keys (non-scalar map)', m.loc);
      return bool;
    }
    if (info.valueType.kind === 'agg') {
      // Their values are per-CPU slots, opaque to the script as in 0.17 (`$x = @count_map[k]` is refused too).
      ctx.checker.error(`find() of a ${info.valueType.agg}() map is not supported`, m.loc);
      return bool;
    }
    if (v.kind !== 'Variable') {
      ctx.checker.error('find() expects a variable as its third argument, to hold the value', v.loc);
      return bool;
    }
    const keys = key.kind === 'Tuple' && info.keyTypes.length > 1 ? key.elems : [key];
    const lookup: MapExpr = { kind: 'Map', name: m.name, keys, loc: m.loc };
    if (ctx.checker.expr(lookup, scope).kind === 'none') return NONE;
    const store: AssignStmt = { kind: 'Assign', target: v, op: '=', value: { kind: 'Map', name: m.name, keys, loc: m.loc }, opLoc: e.loc, loc: e.loc };
    ctx.checker.assign(store, scope);
    m.type = info.valueType;
    findParts.set(e, { lookup, store });
    return bool;
  },
};
