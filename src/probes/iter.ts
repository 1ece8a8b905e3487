// iter:NAME and iter:NAME:PIN (alias it) — BPF iterators. The kernel runs
// the program once per object (task, open file, vma, socket, …) when user
// space reads an iterator of the program's link. Program type TRACING with
// expected attach type BPF_TRACE_ITER and the BTF id of the kernel's
// `bpf_iter_NAME` function; the context is `struct bpf_iter__NAME`, whose
// pointer members (`ctx->task`, `ctx->fd`, `ctx->file`) are the object.
// Every `struct bpf_iter__NAME` in the kernel's BTF is an iterator, as in
// current bpftrace (0.17 knew only task and task_file). With a PIN the link
// is pinned in the bpffs instead of read (src/runtime/iter.ts runs both).
import { ProbeError, Provider, ProbeMatch } from './provider';
import { vmlinuxBtf, vmlinuxBtfProblem, VMLINUX_BTF } from './btf';
import type { Btf } from './btf';
import { hasWildcard } from './wildcard';
import type { Type } from '../checker/types';

const BPF_PROG_TYPE_TRACING = 26;
export const BPF_TRACE_ITER = 28;
const CTX_PREFIX = 'bpf_iter__';
// Since Linux 6.4 the verifier's trusted-pointer variants sit next to the real context types.
const NOT_AN_ITERATOR = '__safe_trusted';

/** Iterators over tasks take a process (bpf_iter_link_info.task.pid): -p limits them to it. */
const TASK_ITERATORS = new Set(['task', 'task_file', 'task_vma']);

/** The names of the iterators the kernel's BTF describes. */
export function iteratorNames(btf: Btf): string[] {
  return btf.names('struct')
    .filter((n) => n.startsWith(CTX_PREFIX) && n.length > CTX_PREFIX.length && !n.endsWith(NOT_AN_ITERATOR))
    .map((n) => n.slice(CTX_PREFIX.length))
    .filter((n) => btf.func(`bpf_iter_${n}`) !== undefined)
    .sort();
}

/** `/sys/fs/bpf/NAME` for a bare pin name, as bpftrace 0.17 does; absolute paths are kept. */
export function pinPath(pin: string): string {
  return pin.startsWith('/') ? pin : `/sys/fs/bpf/${pin}`;
}

/**
 * Where the objects of common iterators can be read without BPF: the /proc
 * files these iterators were modelled on. Named in the one-line error when
 * the kernel refuses iterator programs; other iterators have no stand-in.
 */
const PROC_ALTERNATIVE: Record<string, string> = {
  task: '/proc/PID/status',
  task_file: '/proc/PID/fd',
  task_vma: '/proc/PID/maps',
  tcp: '/proc/net/tcp and /proc/net/tcp6',
  udp: '/proc/net/udp and /proc/net/udp6',
  unix: '/proc/net/unix',
  netlink: '/proc/net/netlink',
  ipv6_route: '/proc/net/ipv6_route',
  ksym: '/proc/kallsyms',
};

function alternative(name: string): string {
  const proc = PROC_ALTERNATIVE[name];
  return proc ? `no probe type replaces iterators; the same objects are listed in ${proc}` : 'no probe type replaces iterators';
}

function ctxStruct(btf: Btf, name: string): number {
  const id = btf.lookup('struct', `${CTX_PREFIX}${name}`);
  if (id === undefined) throw new ProbeError(`iter ${name} not available for your kernel version.`);
  return id;
}

export const iterProvider: Provider = {
  name: 'iter',
  aliases: ['it'],
  progType: BPF_PROG_TYPE_TRACING,
  // bpftrace 0.17's attach_reverse() has iter; there is only ever one.
  attachInReverse: true,
  runsInReader: true,

  match(parts) {
    if (parts.length < 1 || parts.length > 2 || parts[0] === '') throw new ProbeError('iter probe type takes 2 arguments (1 optional)');
    const [name, pin] = parts;
    if (hasWildcard(name)) throw new ProbeError('iter probe type does not support wildcards');
    const btf = vmlinuxBtf();
    if (!btf) throw new ProbeError(`iter probes need the kernel's BTF, and ${VMLINUX_BTF} ${vmlinuxBtfProblem()}`);
    // bpftrace 0.17's words for an iterator this kernel does not have.
    const fn = btf.func(`bpf_iter_${name}`);
    if (!fn || btf.lookup('struct', `${CTX_PREFIX}${name}`) === undefined) throw new ProbeError(`iter ${name} not available for your kernel version.`);
    const detail: Record<string, string | number> = { iter: name, btfId: fn.id };
    if (pin !== undefined && pin !== '') detail.pin = pinPath(pin);
    return [{ provider: iterProvider, name: `iter:${name}${pin ? `:${pin}` : ''}`, detail }];
  },

  ctxType(m) {
    const btf = vmlinuxBtf()!;
    const to: Type = btf.valueType(ctxStruct(btf, String(m.detail.iter)));
    return { kind: 'pointer', to, addrSpace: 'kernel' };
  },

  loadOptions(m) {
    return { expectedAttachType: BPF_TRACE_ITER, attachBtfId: Number(m.detail.btfId) };
  },

  explainLoadError(m, err) {
    const name = String(m.detail.iter);
    if (err.code === 'EPERM') {
      // Linux 6.18 here loads task, file, vma, socket, … iterators but refuses the map-element ones so.
      return `${m.name}: this kernel does not permit the ${name} iterator's program (loading it returned EPERM); ${alternative(name)}`;
    }
    if (err.errno === 524 || err.code === 'EOPNOTSUPP') {
      return `${m.name}: BPF iterators are not supported on this kernel (loading returned ${err.code ?? 'ENOTSUPP'}); ${alternative(name)}`;
    }
    return undefined;
  },

  list() {
    const btf = vmlinuxBtf();
    if (!btf) return [];
    return iteratorNames(btf).map((name) => ({
      name: `iter:${name}`,
      // The members after `meta`, as bpftrace 0.17 prints them.
      args: () => btf.members(ctxStruct(btf, name)).filter((f) => f.name !== 'meta').map((f) => `${btf.cTypeName(f.btfType)} ${f.name}`),
    }));
  },

  attach(m, progFd, ctx) {
    const pid = TASK_ITERATORS.has(String(m.detail.iter)) ? ctx.pid : undefined;
    return { fds: [ctx.native.iterLinkCreate(progFd, pid)], iterator: true };
  },
};
