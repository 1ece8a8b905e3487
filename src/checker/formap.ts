// Type rules of HEAD's `for ($kv : @map) { … }`: `$kv` is the tuple
// `(key, value)`. A multi-key map gives a tuple key; a per-CPU aggregation
// (count, sum, min, max, avg) gives its value combined over all CPUs as an
// integer, as HEAD reads aggregations in the kernel (0.21+).
import type { ForMapStmt } from '../ast/nodes';
import type { Checker } from './index';
import { Type, int, typeName } from './types';
import { suggest } from './suggest';

/** The type of `$kv`, or undefined after reporting an error. */
export function forMapElementType(s: ForMapStmt, checker: Checker): Type | undefined {
  const info = checker.maps.get(s.map.name);
  if (!info) {
    const hint = suggest(s.map.name, [...checker.maps.keys()]);
    checker.error(`Undefined map: ${s.map.name}${hint ? `; did you mean '${hint}'?` : ''}`, s.map.loc);
    return undefined;
  }
  s.map.type = info.valueType;
  if (info.keyTypes.length === 0) {
    checker.error(`Loop expression does not support maps without keys: ${s.map.name}`, s.map.loc);
    return undefined;
  }
  const value = loopValueType(info.valueType);
  if (!value) {
    checker.error(`Loop expression does not support type: ${typeName(info.valueType)}`, s.map.loc);
    return undefined;
  }
  // Integer key parts are stored as 64-bit; the loop sees them signed, as map printing shows them.
  const parts = info.keyTypes.map((t) => (t.kind === 'int' ? int(64, true) : t));
  const key: Type = parts.length === 1 ? parts[0] : { kind: 'tuple', elems: parts };
  return { kind: 'tuple', elems: [key, value] };
}

/** What the loop body sees of a map value. */
export function loopValueType(t: Type): Type | undefined {
  if (t.kind !== 'agg') return t;
  switch (t.agg) {
    case 'count': return int(64, false);
    case 'sum': case 'min': case 'max': case 'avg': return int(64, t.signed);
    default: return undefined; // hist, lhist, stats: no single value
  }
}
