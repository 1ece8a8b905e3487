// hardware:EVENT[:COUNT] (alias h) — PERF_TYPE_HARDWARE counters on every
// CPU, with bpftrace 0.17's names, aliases and default counts (HW_PROBE_LIST).
// Virtual machines often have no hardware PMU: the kernel then refuses to open
// the event, and that is reported as one line with the alternatives.
import * as fs from 'fs';
import { counterProvider, CounterEvent, strerrorOf } from './counter';
import { FeatureUnavailableError } from './provider';

const PERF_TYPE_HARDWARE = 0;

const ev = (config: number, defaultCount: number): CounterEvent => ({ config, defaultCount });
const cycles = ev(0, 1000000);
const branches = ev(4, 100000);

// Errors of perf_event_open that mean "no such counter on this machine".
const UNAVAILABLE = new Set(['ENOENT', 'EOPNOTSUPP', 'ENOTSUP', 'ENODEV', 'EINVAL']);

export const hardwareProvider = counterProvider({
  name: 'hardware',
  alias: 'h',
  perfType: PERF_TYPE_HARDWARE,
  events: {
    'backend-stalls': ev(8, 1000000),
    'branch-instructions': branches,
    branches,
    'branch-misses': ev(5, 100000),
    'bus-cycles': ev(6, 100000),
    'cache-misses': ev(3, 1000000),
    'cache-references': ev(2, 1000000),
    'cpu-cycles': cycles,
    cycles,
    'frontend-stalls': ev(7, 1000000),
    instructions: ev(1, 1000000),
    'ref-cycles': ev(9, 1000000),
  },
  unavailable(probe, err) {
    // Without a core PMU (`cpu`, `cpu_core`, `armv8_*`, …) every open fails;
    // with one, only the errors that say the event itself is unsupported count.
    const pmus = fs.existsSync('/sys/bus/event_source/devices') ? fs.readdirSync('/sys/bus/event_source/devices') : [];
    const corePmu = pmus.some((d) => fs.existsSync(`/sys/bus/event_source/devices/${d}/events/cpu-cycles`) || /^(cpu|cpu_core|cpu_atom)$/.test(d));
    if (corePmu && !UNAVAILABLE.has(err.code ?? '')) return undefined;
    return new FeatureUnavailableError(
      `${probe}: hardware performance counters are not available on this machine (perf_event_open: ${strerrorOf(err)}); ` +
        'use software:cpu-clock or profile:hz:99 instead');
  },
});
