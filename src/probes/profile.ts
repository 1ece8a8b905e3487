// profile:UNIT:N — perf cpu-clock sampling on every CPU (one perf event per
// online CPU, all running the same program). `hz` asks the kernel for a
// frequency, the other units for a period, as bpftrace does.
import { ProbeError, Provider } from './provider';
import { openOnEveryCpu, BPF_PROG_TYPE_PERF_EVENT, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK } from './perf';
import { parseTimer } from './units';


export const profileProvider: Provider = {
  name: 'profile',
  aliases: ['p'],
  progType: BPF_PROG_TYPE_PERF_EVENT,

  match(parts) {
    if (parts.length !== 2 && parts.length !== 1) throw new ProbeError('profile probe type requires 2 arguments');
    const t = parseTimer(parts, 'profile');
    const detail: Record<string, number> = t.unit === 'hz' ? { freq: t.count } : { period: t.periodNs };
    return [{ provider: profileProvider, name: `profile:${parts.join(':')}`, detail }];
  },

  attach(m, progFd, ctx) {
    const timer = m.detail.freq !== undefined ? { sampleFreq: Number(m.detail.freq) } : { samplePeriod: Number(m.detail.period) };
    return { fds: openOnEveryCpu(ctx, { type: PERF_TYPE_SOFTWARE, config: PERF_COUNT_SW_CPU_CLOCK, ...timer }, progFd) };
  },
};
