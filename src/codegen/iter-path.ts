// path(ctx->file->f_path) in an iter probe. bpf_d_path wants a pointer the
// verifier knows (a BTF pointer to struct path), not a number read with
// bpf_probe_read_kernel as every other access path is. So the context member
// (ctx->file, "PTR_TO_BTF_ID or NULL") is loaded straight from the context,
// checked against NULL (the iterator's final call has NULL members), and the
// field's offset added to it, as bpftrace does for iter contexts.
import type * as LLVM from 'llvm-bindings';
import type { Expr } from '../ast/nodes';
import { Helper } from './helpers';
import type { ProbeCodegen } from './irgen';

/** `ctx->M->F` (or `ctx.M->F`) in an iter probe: the offsets of M in the context and of F in *M. */
function contextMemberField(g: ProbeCodegen, e: Expr): { member: number; field: number } | undefined {
  if (g.match.provider.name !== 'iter' || e.kind !== 'Field' || !e.member) return undefined;
  const m = e.object;
  if (m.kind !== 'Field' || !m.member || m.object.kind !== 'Identifier' || m.object.name !== 'ctx') return undefined;
  if (m.type?.kind !== 'pointer') return undefined;
  return { member: m.member.offset, field: e.member.offset };
}

/** d_path of `ctx->M->F` into `out`; false when `arg` is not of that form. */
export function emitIterPath(g: ProbeCodegen, arg: Expr, out: LLVM.Value, size: number): boolean {
  const at = contextMemberField(g, arg);
  if (!at) return false;
  const b = g.b;
  const member = b.CreateLoad(g.i8p, b.CreateBitCast(g.bytePtr(g.ctxArg, at.member), g.m.llvm.PointerType.get(g.i8p, 0)));
  const present = g.newBlock('iter_path');
  const done = g.newBlock('iter_path_done');
  b.CreateCondBr(b.CreateIsNotNull(member), present, done);
  b.SetInsertPoint(present);
  g.helper(Helper.d_path, g.i64, [b.CreateGEP(g.i8, member, b.getInt64(at.field)), out, b.getInt32(size)]);
  b.CreateBr(done);
  b.SetInsertPoint(done);
  return true;
}
