// interval:UNIT:N — a timer on one CPU (perf cpu-clock software event).
import { ProbeError, Provider } from './provider';
import { openPerfEventWithProgram, BPF_PROG_TYPE_PERF_EVENT, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK } from './perf';
import { periodNs } from './units';


export const intervalProvider: Provider = {
  name: 'interval',
  aliases: ['i'],
  progType: BPF_PROG_TYPE_PERF_EVENT,

  match(parts) {
    if (parts.length !== 2 && parts.length !== 1) throw new ProbeError('interval probe type requires 2 arguments');
    const period = periodNs(parts);
    return [{ provider: intervalProvider, name: `interval:${parts.join(':')}`, detail: { period } }];
  },

  attach(m, progFd, ctx) {
    const fd = openPerfEventWithProgram(ctx, { type: PERF_TYPE_SOFTWARE, config: PERF_COUNT_SW_CPU_CLOCK, samplePeriod: Number(m.detail.period) }, 0, progFd);
    return { fds: [fd] };
  },
};
