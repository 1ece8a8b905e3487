// fentry:FUNC / fexit:FUNC (v0.17 spellings kfunc/kretfunc; aliases f/fr) —
// BPF trampolines: program type TRACING with expected attach type
// BPF_TRACE_FENTRY/FEXIT and the function's BTF id from the kernel's BTF.
// The context is the function's arguments, one u64 each; fexit adds the
// return value after them. `args` is typed from BTF; arg0… and retval read
// the same slots.
import { kernelFunctionAlternative } from './alternative';
import { ProbeError, Provider, ProbeMatch } from './provider';
import type { BtfFunc } from './btf';
import { vmlinuxBtf, vmlinuxBtfProblem, VMLINUX_BTF } from './btf';
import { hasWildcard, matchAll } from './wildcard';
import { dynamicPmu } from './pmu';
import type { Type } from '../checker/types';

const BPF_PROG_TYPE_TRACING = 26;
const BPF_TRACE_FENTRY = 24;
const BPF_TRACE_FEXIT = 25;
const ENOTSUPP = 524;

function btfFunc(m: ProbeMatch): BtfFunc {
  const f = vmlinuxBtf()?.func(String(m.detail.func));
  if (!f) throw new ProbeError(`No BTF for kernel function ${m.detail.func}`);
  return f;
}

/** The nearest probe type this kernel has: kprobes if its kprobe PMU exists, else a tracepoint. */
function alternative(m: ProbeMatch): string {
  const ret = m.provider.name === 'fexit';
  if (dynamicPmu('kprobe')) return `${ret ? 'kretprobe' : 'kprobe'}:${m.detail.func}`;
  return `${kernelFunctionAlternative(String(m.detail.func), ret)} (kprobes are not available either)`;
}

function trampoline(ret: boolean): Provider {
  const kind = ret ? 'fexit' : 'fentry';
  const argsCache = new Map<string, Extract<Type, { kind: 'struct' }>>();
  const provider: Provider = {
    name: kind,
    aliases: ret ? ['kretfunc', 'fr'] : ['kfunc', 'f'],
    progType: BPF_PROG_TYPE_TRACING,
    // bpftrace 0.17 reverses kfunc, not kretfunc.
    attachInReverse: !ret,

    match(parts) {
      if (parts.length !== 1) throw new ProbeError(`${kind} probe type requires 1 argument`);
      const [func] = parts;
      const btf = vmlinuxBtf();
      if (!btf) throw new ProbeError(`${kind} probes need the kernel's BTF, and ${VMLINUX_BTF} ${vmlinuxBtfProblem()}`);
      const names = hasWildcard(func) ? matchAll(func, btf.functionNames()) : btf.func(func) ? [func] : [];
      if (names.length === 0) {
        throw new ProbeError(hasWildcard(func)
          ? `No kernel functions with BTF match ${func} (searched ${VMLINUX_BTF})`
          : `No kernel function named ${func} in the kernel's BTF (${VMLINUX_BTF})`);
      }
      return names.map((f) => ({ provider, name: `${kind}:${f}`, detail: { func: f, btfId: btf.func(f)!.id } }));
    },

    argsType(m) {
      const key = String(m.detail.func);
      let t = argsCache.get(key);
      if (!t) {
        const f = btfFunc(m);
        const fields = f.params.map((p, i) => ({ name: p.name, type: p.type, offset: 8 * i }));
        t = { kind: 'struct', name: `struct _${kind}_${f.name}`, size: 8 * f.params.length, fields, isCtx: true };
        argsCache.set(key, t);
      }
      return t;
    },

    contextArgs(m) {
      const f = btfFunc(m);
      const n = f.params.length;
      return {
        args: f.params.map((_, i) => 8 * i),
        argError: (i) => `${f.name} has ${n} argument${n === 1 ? '' : 's'}, so arg${i} does not exist`,
        retval: ret && f.ret ? 8 * n : undefined,
      };
    },

    loadOptions(m) {
      return { expectedAttachType: ret ? BPF_TRACE_FEXIT : BPF_TRACE_FENTRY, attachBtfId: Number(m.detail.btfId) };
    },

    explainLoadError(m, err) {
      if (err.code === 'EPERM') {
        return `${m.name}: BPF trampolines are not permitted on this kernel (loading returned EPERM); use ${alternative(m)} instead`;
      }
      if (err.errno === ENOTSUPP || err.code === 'EOPNOTSUPP') {
        return `${m.name}: BPF trampolines are not supported on this kernel (loading returned ${err.code ?? 'ENOTSUPP'}); use ${alternative(m)} instead`;
      }
      return undefined;
    },

    // Only when the search names fentry/fexit: every BTF function would swamp `-l`.
    list(_search, all) {
      const btf = vmlinuxBtf();
      if (!btf || all) return [];
      return btf.functionNames().map((name) => ({
        name: `${kind}:${name}`,
        args: () => {
          const f = btf.func(name);
          if (!f) return [];
          const lines = f.params.map((p) => `${btf.cTypeName(p.btfType)} ${p.name}`);
          if (f.retBtfType) lines.push(`${btf.cTypeName(f.retBtfType)} retval`);
          return lines;
        },
      }));
    },

    attach(m, progFd, ctx) {
      // Tracing programs carry their target; opening the "raw tracepoint" with no name attaches them.
      return { fds: [ctx.native.rawTracepointOpen(null, progFd)] };
    },
  };
  return provider;
}

export const fentryProvider = trampoline(false);
export const fexitProvider = trampoline(true);
