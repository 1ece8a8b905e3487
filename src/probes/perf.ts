// Shared by every perf-event based probe type: open one event, hand it the
// program, and close it again if that fails.
import type { AttachContext } from './provider';
import { onlineCpuList } from '../host';

export const BPF_PROG_TYPE_PERF_EVENT = 7;
export const PERF_TYPE_SOFTWARE = 1;
export const PERF_COUNT_SW_CPU_CLOCK = 0;
import type { PerfEventAttr } from '../runtime/native';

export function openPerfEventWithProgram(ctx: AttachContext, attr: PerfEventAttr, cpu: number, progFd: number, pid = -1): number {
  const fd = ctx.native.perfEventOpen(attr, pid, cpu);
  try {
    ctx.native.perfEventAttachBpf(fd, progFd);
  } catch (e) {
    ctx.native.closeFd(fd);
    throw e;
  }
  return fd;
}

/**
 * A process-scoped event (uprobe, USDT): for the -p/-c process, or for every
 * process (pid -1, opened once on CPU 0, as libbpf does).
 */
export function openForTarget(ctx: AttachContext, attr: PerfEventAttr, progFd: number): number {
  const pid = ctx.pid ?? -1;
  return openPerfEventWithProgram(ctx, attr, pid >= 0 ? -1 : 0, progFd, pid);
}

/** The online CPUs (src/host.ts); CPUs 0..n-1 when they can't be read. */
export function onlineCpus(fallbackCount: number): number[] {
  return onlineCpuList() ?? Array.from({ length: fallbackCount }, (_, i) => i);
}

/**
 * One perf event per online CPU, all running the same program (profile,
 * software, hardware). Closes every event it opened when one fails.
 */
export function openOnEveryCpu(ctx: AttachContext, attr: PerfEventAttr, progFd: number): number[] {
  const fds: number[] = [];
  try {
    for (const cpu of onlineCpus(ctx.numCpus)) fds.push(openPerfEventWithProgram(ctx, attr, cpu, progFd));
  } catch (e) {
    for (const fd of fds) ctx.native.closeFd(fd);
    throw e;
  }
  return fds;
}
