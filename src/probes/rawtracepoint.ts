// rawtracepoint:[MODULE:]NAME (alias rt) — raw tracepoints: program type
// RAW_TRACEPOINT, attached with BPF_RAW_TRACEPOINT_OPEN by name. The context
// is the tracepoint's arguments, one u64 each (struct bpf_raw_tracepoint_args).
// Names, arity and argument names come from the kernel's BTF typedefs
// `btf_trace_NAME` (`void (*)(void *, ARGS…)`): arg0… read the slots and
// `args.NAME` is typed from BTF, as in current bpftrace.
import { ListedProbe, ProbeError, Provider, ProbeMatch } from './provider';
import { vmlinuxBtf, VMLINUX_BTF } from './btf';
import type { BtfParam } from './btf';
import { hasWildcard, matchAll } from './wildcard';
import type { Type } from '../checker/types';

const BPF_PROG_TYPE_RAW_TRACEPOINT = 17;

function params(m: ProbeMatch): BtfParam[] {
  const p = vmlinuxBtf()?.rawTracepoint(String(m.detail.event));
  if (!p) throw new ProbeError(`No BTF for raw tracepoint ${m.detail.event}`);
  return p;
}

const argsCache = new Map<string, Extract<Type, { kind: 'struct' }>>();

export const rawtracepointProvider: Provider = {
  name: 'rawtracepoint',
  aliases: ['rt'],
  progType: BPF_PROG_TYPE_RAW_TRACEPOINT,

  match(parts) {
    if (parts.length !== 1 && parts.length !== 2) throw new ProbeError('rawtracepoint probe type requires 1 or 2 arguments');
    const event = parts[parts.length - 1];
    // The module field (`vmlinux:sched_switch`) only narrows the search; raw tracepoints are opened by name.
    const module = parts.length === 2 ? parts[0] : '*';
    const btf = vmlinuxBtf();
    if (!btf) throw new ProbeError(`rawtracepoint probes need the kernel's BTF, and ${VMLINUX_BTF} is missing`);
    if (matchAll(module, ['vmlinux']).length === 0) {
      throw new ProbeError(`rawtracepoint module ${module}: only vmlinux's raw tracepoints are known (from ${VMLINUX_BTF})`);
    }
    const names = hasWildcard(event) ? matchAll(event, btf.rawTracepointNames()) : btf.rawTracepoint(event) ? [event] : [];
    if (names.length === 0) throw new ProbeError(`No raw tracepoint matches ${event} (searched the btf_trace_* types of ${VMLINUX_BTF})`);
    return names.map((e) => ({ provider: rawtracepointProvider, name: `rawtracepoint:${e}`, detail: { event: e } }));
  },

  argsType(m) {
    const key = String(m.detail.event);
    let t = argsCache.get(key);
    if (!t) {
      const ps = params(m);
      const fields = ps.map((p, i) => ({ name: p.name, type: p.type, offset: 8 * i }));
      t = { kind: 'struct', name: `struct _rawtracepoint_${key}`, size: 8 * ps.length, fields, isCtx: true };
      argsCache.set(key, t);
    }
    return t;
  },

  contextArgs(m) {
    const n = params(m).length;
    return {
      args: Array.from({ length: n }, (_, i) => 8 * i),
      argError: (i) => `${m.name} has ${n} argument${n === 1 ? '' : 's'}: arg${i} does not exist`,
    };
  },

  list(_search, all) {
    const btf = vmlinuxBtf();
    // A search that doesn't name rawtracepoint lists none of them (as fentry), to keep `-l` to bpftrace 0.17's list.
    if (!btf || all) return [];
    return btf.rawTracepointNames().map((e): ListedProbe => ({
      name: `rawtracepoint:${e}`,
      args: () => (btf.rawTracepoint(e) ?? []).map((p) => `${btf.cTypeName(p.btfType)} ${p.name}`),
    }));
  },

  attach(m, progFd, ctx) {
    return { fds: [ctx.native.rawTracepointOpen(String(m.detail.event), progFd)] };
  },
};
