// Lowering of argument operands that are not plain u64 context slots (USDT
// arguments: constants, registers, memory through registers), see
// ArgOperand in probes/provider.ts. The result is a u64 holding the value
// sign- or zero-extended from its size, as bpftrace reads USDT arguments.
import type * as LLVM from 'llvm-bindings';
import type { ArgOperand } from '../probes/provider';
import { Helper } from './helpers';
import type { ProbeCodegen } from './irgen';

export function lowerArgOperand(g: ProbeCodegen, op: ArgOperand): LLVM.Value {
  const b = g.b;
  const bits = op.size * 8;
  const extend = (v: LLVM.Value): LLVM.Value => {
    if (bits === 64) return v;
    const narrow = b.CreateTrunc(v, b.getIntNTy(bits));
    return op.signed ? b.CreateSExt(narrow, g.i64) : b.CreateZExt(narrow, g.i64);
  };
  const reg = (offset: number): LLVM.Value => b.CreateLoad(g.i64, g.wordPtr(g.ctxArg, offset));
  switch (op.kind) {
    case 'const':
      return extend(g.const64(BigInt(op.value)));
    case 'reg': {
      const v = reg(op.reg);
      return extend(op.byte ? b.CreateLShr(v, b.getInt64(8 * op.byte)) : v);
    }
    case 'mem': {
      let addr: LLVM.Value = g.const64(BigInt(op.disp));
      if (op.base !== undefined) addr = b.CreateAdd(reg(op.base), addr);
      if (op.index !== undefined) addr = b.CreateAdd(addr, b.CreateMul(reg(op.index), b.getInt64(op.scale)));
      const buf = g.stackBuffer(8, 'usdt_arg');
      g.helper(Helper.probe_read_user, g.i64, [buf, b.getInt64(op.size), b.CreateIntToPtr(addr, g.i8p)]);
      return extend(b.CreateLoad(g.i64, g.wordPtr(buf, 0)));
    }
  }
}
