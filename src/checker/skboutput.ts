// skboutput(path, skb, length, offset) (0.17 and HEAD): bpf_skb_output copies
// `offset + length` bytes of a socket buffer to a perf buffer; user space
// writes bytes [offset, offset + length) as RAW-IP pcap records to `path`.
// Returns 0 or -errno (uint32, as bpftrace). fentry/fexit only: the helper
// takes a BTF `struct sk_buff *`, which only trampoline arguments are.
// Lowering: src/codegen/skboutput.ts.
import type { CallExpr } from '../ast/nodes';
import { argTypes, arity, checkTrampolineOnly, printfTypeName, Rule } from './callargs';
import type { Scope } from './index';
import { int, NONE } from './types';

/** skboutput() site → its pcap path, by site index (plan.skboutputs). */
export const skboutputPaths = new WeakMap<CallExpr, string>();

export const SKBOUTPUT_RULES: Record<string, Rule> = {
  skboutput(e, scope: Scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!checkTrampolineOnly(e, scope, ctx)) return NONE;
    if (!arity(e, ctx, 4)) return NONE;
    const [path, skb, length, offset] = e.args;
    if (path.kind !== 'String') {
      ctx.checker.error(`skboutput() expects a string literal as the file path (${printfTypeName(types[0])} provided)`, e.loc);
      return NONE;
    }
    const t = types[1];
    if (t.kind !== 'none' && (t.kind !== 'pointer' || t.to.kind !== 'struct' || t.to.name !== 'struct sk_buff')) {
      ctx.checker.error(`skboutput() expects a struct sk_buff * as the second argument (${printfTypeName(t)} provided)`, e.loc);
      return NONE;
    }
    for (const [a, at] of [[length, types[2]], [offset, types[3]]] as const) {
      if (at.kind !== 'int' && at.kind !== 'none') ctx.checker.error(`skboutput() only supports integer arguments (${printfTypeName(at)} provided)`, a.loc);
    }
    if (offset.kind !== 'Int') ctx.checker.error('skboutput() expects an integer literal as the offset', offset.loc);
    skboutputPaths.set(e, path.value);
    return int(32, false);
  },
};
