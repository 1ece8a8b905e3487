// Lowering of the string helpers typed in src/checker/strings.ts. Strings are
// fixed-capacity stack buffers, so every scan is bounded by a capacity known
// at compile time: short scans are unrolled, strstr reuses strcontains' loops.
import type * as LLVM from 'llvm-bindings';
import type { CallExpr } from '../ast/nodes';
import { CodegenError } from './errors';
import { Result, substringIndex } from './functions';
import type { CgValue, ProbeCodegen } from './irgen';

type Buf = Extract<CgValue, { kind: 'buf' }>;
type Lowering = (g: ProbeCodegen, e: CallExpr) => CgValue | undefined;

const int = (v: LLVM.Value): CgValue => ({ kind: 'int', v });

function bufArg(g: ProbeCodegen, e: CallExpr, i: number): Buf {
  const v = g.expr(e.args[i]);
  if (v.kind !== 'buf') throw new CodegenError(`internal: ${e.name}() argument ${i + 1} is not a buffer`, e.loc);
  return v;
}

/** The index of the first NUL of `s`, its capacity when there is none (unrolled). */
function stringLength(g: ProbeCodegen, s: Buf): LLVM.Value {
  const result = new Result(g, 'strlen_done');
  const zero = g.m.llvm.ConstantInt.get(g.i8, 0);
  for (let i = 0; i < s.size; i++) {
    result.jumpIf(g.b.CreateICmpEQ(g.b.CreateLoad(g.i8, g.bytePtr(s.ptr, i)), zero), i, 'strlen_next');
  }
  result.jump(s.size);
  return result.finish();
}

/** str_concat(a, b): a's characters, then b's from a's NUL on; the result keeps one NUL. */
function strConcat(g: ProbeCodegen, e: CallExpr): CgValue {
  const a = bufArg(g, e, 0);
  const b2 = bufArg(g, e, 1);
  const size = a.size + b2.size - 1;
  const out = g.stackBuffer(size, 'concat');
  g.copy(out, a.ptr, a.size);
  const at = stringLength(g, a);
  // Byte j of b goes to out[at + j]; at <= a.size - 1, so every store stays inside `out`.
  for (let j = 0; j < b2.size - 1; j++) {
    g.b.CreateStore(g.b.CreateLoad(g.i8, g.bytePtr(b2.ptr, j)), g.b.CreateGEP(g.i8, out, g.b.CreateAdd(at, g.b.getInt64(j))));
  }
  return { kind: 'buf', ptr: out, size };
}

/** memcmp(a, b, n): over min(n, both sizes) bytes, unsigned byte difference at the first mismatch, else 0. */
function memcmp(g: ProbeCodegen, e: CallExpr): CgValue {
  const a = bufArg(g, e, 0);
  const b2 = bufArg(g, e, 1);
  const n = g.intValue(e.args[2]);
  const b = g.b;
  const result = new Result(g, 'memcmp_done');
  const limit = Math.min(a.size, b2.size);
  for (let i = 0; i < limit; i++) {
    result.jumpIf(b.CreateICmpULE(n, b.getInt64(i)), 0, 'memcmp_byte');
    const x = b.CreateZExt(b.CreateLoad(g.i8, g.bytePtr(a.ptr, i)), g.i64);
    const y = b.CreateZExt(b.CreateLoad(g.i8, g.bytePtr(b2.ptr, i)), g.i64);
    result.jumpIf(b.CreateICmpNE(x, y), b.CreateSub(x, y), 'memcmp_next');
  }
  result.jump(0);
  return int(result.finish());
}

export const STRING_LOWERINGS: Record<string, Lowering> = {
  strlen: (g, e) => int(stringLength(g, bufArg(g, e, 0))),
  strcap(g, e) {
    const t = e.args[0].type;
    return int(g.b.getInt64(t?.kind === 'string' ? t.size : 0));
  },
  strstr: (g, e) => int(substringIndex(g, bufArg(g, e, 0), bufArg(g, e, 1))),
  str_concat: strConcat,
  memcmp,
  signal_name: (g, e) => int(g.intValue(e.args[0])),
  syscall_name: (g, e) => int(g.intValue(e.args[0])),
};
