// Types of builtin variables (spec §4), as bpftrace 0.17 types them.
import type { ProbeMatch } from '../probes/provider';
import { Type, UINT32, UINT64, str } from './types';

export interface BuiltinInfo {
  type: Type;
}

const BUILTINS: Record<string, Type> = {
  pid: UINT64,
  tid: UINT64,
  uid: UINT64,
  gid: UINT64,
  nsecs: UINT64,
  elapsed: UINT64,
  cpu: UINT64,
  cgroup: UINT64,
  rand: UINT64,
  numaid: UINT64,
  jiffies: UINT64,
  // bpftrace 0.17 types it `struct task_struct *`; a plain address until BTF struct types exist.
  curtask: UINT64,
  ncpus: UINT64,
  comm: str(16),
  probe: { kind: 'text', what: 'probe' },
  username: { kind: 'text', what: 'username' },
  kstack: { kind: 'stack', user: false, mode: 'bpftrace', limit: 127 },
  ustack: { kind: 'stack', user: true, mode: 'bpftrace', limit: 127 },
};

export const BUILTIN_NAMES = Object.keys(BUILTINS).concat('args', 'retval', 'cpid', 'func', 'ctx', 'usermode');

/** The builtin's type in this probe, or an error message. `hasChild`: a -c command was given. */
export function builtinType(name: string, match: ProbeMatch, hasChild = false): Type | { error: string } | undefined {
  if (name === 'cpid') return hasChild ? UINT32 : { error: 'cpid cannot be used without child command' };
  if (name === 'args') {
    const t = match.provider.argsType?.(match);
    if (!t) return { error: `The args builtin can only be used with tracepoint/kfunc/uprobeprobes (${match.provider.special ? 'special' : match.provider.name} used here)` };
    return t;
  }
  if (name === 'func') return funcType(match);
  if (name === 'usermode') {
    // HEAD (0.24+): reads cs from pt_regs, so only where the context starts with pt_regs.
    const p = match.provider.name;
    const regs = ['kprobe', 'kretprobe', 'uprobe', 'uretprobe', 'usdt', 'profile', 'interval', 'software', 'hardware', 'watchpoint', 'asyncwatchpoint'];
    return regs.includes(p) ? UINT64 : { error: `The usermode builtin can not be used with '${match.provider.special ? 'special' : p}' probes` };
  }
  if (name === 'ctx') {
    // The program's context pointer (pt_regs, bpf_perf_event_data, …), as an address.
    if (match.provider.name === 'tracepoint') return { error: 'Use args instead of ctx in tracepoint' };
    if (match.provider.special) return { error: 'invalid program type' };
    return match.provider.ctxType?.(match) ?? UINT64;
  }
  const sargN = /^sarg([0-9])$/.exec(name);
  if (sargN) {
    const p = match.provider.name;
    return p === 'kprobe' || p === 'uprobe' ? UINT64 : { error: `The ${name} builtin can only be used with 'kprobes' and 'uprobes' probes` };
  }
  const argN = /^arg([0-9]+)$/.exec(name);
  if (argN || name === 'retval') return contextArgType(argN ? Number(argN[1]) : undefined, match);
  return BUILTINS[name];
}

/** `func`: the probed function, symbolised in user space from its address (kernel or user). */
function funcType(match: ProbeMatch): Type | { error: string } {
  const p = match.provider.name;
  if (p === 'kprobe' || p === 'kretprobe' || p === 'fentry' || p === 'fexit') return { kind: 'text', what: 'ksym' };
  if (p === 'uprobe' || p === 'uretprobe' || p === 'usdt') return { kind: 'text', what: 'usym' };
  return { error: `The func builtin can not be used with '${p}' probes` };
}

/** `argN` (n given) or `retval`: u64 slots of the probe's context (registers, trampoline args). */
function contextArgType(n: number | undefined, match: ProbeMatch): Type | { error: string } {
  const ctx = match.provider.contextArgs?.(match);
  if (n !== undefined) {
    if (!ctx) return { error: `The arg${n} builtin can only be used with 'kprobes', 'uprobes' and 'usdt' probes` };
    if (n >= ctx.args.length) return { error: ctx.argError(n) };
    const slot = ctx.args[n];
    return typeof slot === 'object' && slot.kind === 'unsupported' ? { error: slot.reason } : UINT64;
  }
  if (ctx?.retval === undefined) {
    const hint = match.provider.name === 'tracepoint' ? ' (try to use args->ret instead)' : '';
    return { error: `The retval builtin can only be used with 'kretprobe' and 'uretprobe' and 'kfunc' probes${hint}` };
  }
  return UINT64;
}
