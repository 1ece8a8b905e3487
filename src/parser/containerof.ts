// container_of(ptr, TYPE, member) (HEAD, as the kernel's macro): the address
// of the TYPE record whose `member` (a field path) `ptr` points to. Desugared
// at parse time into `(TYPE *)((uint64)ptr - offsetof(TYPE, member))`, so the
// checker's cast and offsetof rules type it (a typed record pointer) and
// report unknown records and fields; the address is not scaled by the
// pointee size.
import type { Expr, Loc } from '../ast/nodes';

export function containerOf(ptr: Expr, typeName: string, fields: string[], loc: Loc): Expr {
  const address: Expr = { kind: 'Cast', typeName: 'uint64', pointerDepth: 0, expr: ptr, loc: ptr.loc };
  const offset: Expr = { kind: 'Offsetof', typeName, fields, loc };
  const container: Expr = { kind: 'Binary', op: '-', left: address, right: offset, opLoc: loc, loc };
  return { kind: 'Cast', typeName, pointerDepth: 1, expr: container, loc };
}
