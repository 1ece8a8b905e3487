// printf in an iter probe: bpf_seq_printf into the iterator's seq_file, as
// bpftrace does, so the text is what read(2) of the iterator returns (and
// what `cat` of a pinned iterator prints, long after tstrace exited). The
// kernel formats it (bpf_bprintf_prepare): each argument is one u64, a
// string argument is the address of its bytes.
import type { CallExpr } from '../ast/nodes';
import { CodegenError } from './errors';
import { Helper } from './helpers';
import type { ProbeCodegen } from './irgen';

const BPF_FUNC_seq_printf = 126;
/** MAX_BPRINTF_VARARGS of the kernel. */
const MAX_ARGS = 12;

export function emitSeqPrintf(g: ProbeCodegen, e: CallExpr): void {
  const b = g.b;
  const args = e.args.slice(1);
  if (args.length > MAX_ARGS) throw new CodegenError(`printf in an iter probe takes at most ${MAX_ARGS} arguments (bpf_seq_printf), ${args.length} given`, e.loc);
  const fmt = g.expr(e.args[0]);
  if (fmt.kind !== 'buf') throw new CodegenError('internal: printf format is not a string', e.loc);
  const data = g.stackBuffer(8 * Math.max(1, args.length), 'seqargs');
  args.forEach((a, i) => {
    const t = a.type?.kind;
    if (t !== 'int' && t !== 'pointer' && t !== 'bool' && t !== 'string') {
      throw new CodegenError('printf in an iter probe (bpf_seq_printf) takes only integer, pointer and string arguments', a.loc);
    }
    const v = g.expr(a);
    b.CreateStore(v.kind === 'buf' ? b.CreatePtrToInt(v.ptr, g.i64) : v.v, g.wordPtr(data, 8 * i));
  });
  // ctx->meta->seq: the seq_file the iterator's read(2) fills.
  const meta = b.CreateLoad(g.i64, g.wordPtr(g.ctxArg, 0));
  const seq = b.CreateLoad(g.i64, b.CreateIntToPtr(meta, g.m.llvm.PointerType.get(g.i64, 0)));
  g.helper(BPF_FUNC_seq_printf as Helper, g.i64, [seq, fmt.ptr, b.getInt32(fmt.size), data, b.getInt32(8 * args.length)]);
}
