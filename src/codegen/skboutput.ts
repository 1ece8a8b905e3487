// skboutput(path, skb, length, offset): bpf_skb_output(skb, perf map,
// BPF_F_CURRENT_CPU | (offset + length) << 32, header, 24). The header is
// [site, boot ns, offset]; the kernel appends the packet bytes. See
// src/checker/skboutput.ts.
import type { CallExpr } from '../ast/nodes';
import { skboutputPaths } from '../checker/skboutput';
import { CodegenError } from './errors';
import { Helper } from './helpers';
import type { CgValue, ProbeCodegen } from './irgen';

const BPF_F_CURRENT_CPU = 0xffffffffn;
const HEADER_SIZE = 24;

export const SKBOUTPUT_LOWERINGS: Record<string, (g: ProbeCodegen, e: CallExpr) => CgValue | undefined> = {
  skboutput(g, e) {
    const path = skboutputPaths.get(e);
    if (path === undefined) throw new CodegenError('internal: skboutput() path missing', e.loc);
    const b = g.b;
    let site = g.m.skboutputs.indexOf(path);
    if (site < 0) site = g.m.skboutputs.push(path) - 1;
    const skb = g.intValue(e.args[1]);
    const length = g.intValue(e.args[2]);
    const offset = e.args[3].kind === 'Int' ? e.args[3].value : 0n;
    const header = g.stackBuffer(HEADER_SIZE, 'skbhdr');
    b.CreateStore(b.getInt64(site), g.wordPtr(header, 0));
    b.CreateStore(g.helper(Helper.ktime_get_boot_ns, g.i64, []), g.wordPtr(header, 8));
    b.CreateStore(g.const64(offset), g.wordPtr(header, 16));
    const capture = b.CreateAnd(b.CreateAdd(length, g.const64(offset)), b.getInt64(0xffffffff));
    const flags = b.CreateOr(b.CreateShl(capture, b.getInt64(32)), g.const64(BPF_F_CURRENT_CPU));
    const ret = g.helper(Helper.skb_output, g.i64, [b.CreateIntToPtr(skb, g.i8p), g.mapRef(g.m.perfMap()), flags, header, b.getInt64(HEADER_SIZE)]);
    return { kind: 'int', v: b.CreateAnd(ret, b.getInt64(0xffffffff)) };
  },
};
