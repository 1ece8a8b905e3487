// interval:UNIT:N — a timer on one CPU (perf cpu-clock software event).
import { ProbeError, Provider } from './provider';
import { openPerfEventWithProgram } from './perf';

const BPF_PROG_TYPE_PERF_EVENT = 7;
const PERF_TYPE_SOFTWARE = 1;
const PERF_COUNT_SW_CPU_CLOCK = 0;

const UNIT_NS: Record<string, number> = { s: 1e9, ms: 1e6, us: 1e3 };

/** Period in ns of `UNIT:N` (`hz` is a rate), or of HEAD's single `1s`/`100ms` form. */
export function periodNs(parts: string[]): number {
  let unit: string;
  let count: string;
  if (parts.length === 1) {
    const m = /^([0-9]+)(s|ms|us|ns|hz)?$/.exec(parts[0]);
    if (!m) throw new ProbeError(`${parts[0]} is not a valid interval`);
    count = m[1];
    unit = m[2] ?? 'ns';
  } else {
    [unit, count] = parts;
  }
  if (!/^[0-9]+$/.test(count)) throw new ProbeError(`Invalid rate of ${unit}: ${count}`);
  const n = Number(count);
  if (n <= 0) throw new ProbeError(`Invalid rate of ${unit}: ${count}`);
  if (unit === 'hz') return Math.round(1e9 / n);
  if (unit === 'ns') return n;
  const scale = UNIT_NS[unit];
  if (!scale) throw new ProbeError(`${unit} is not an accepted unit of time`);
  return n * scale;
}

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
