// Shared by every perf-event based probe type: open one event, hand it the
// program, and close it again if that fails.
import type { AttachContext } from './provider';
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
