// software:EVENT[:COUNT] (alias s) — perf software events on every CPU, with
// bpftrace 0.17's names, aliases and default counts (SW_PROBE_LIST).
import { counterProvider, CounterEvent } from './counter';
import { PERF_TYPE_SOFTWARE } from './perf';

const ev = (config: number, defaultCount: number): CounterEvent => ({ config, defaultCount });
const cpuClock = ev(0, 1000000);
const contextSwitches = ev(3, 1000);
const pageFaults = ev(2, 100);

export const softwareProvider = counterProvider({
  name: 'software',
  alias: 's',
  perfType: PERF_TYPE_SOFTWARE,
  events: {
    'alignment-faults': ev(7, 1),
    'bpf-output': ev(10, 1),
    'context-switches': contextSwitches,
    cs: contextSwitches,
    'cpu-clock': cpuClock,
    cpu: cpuClock,
    'cpu-migrations': ev(4, 1),
    dummy: ev(9, 1),
    'emulation-faults': ev(8, 1),
    'major-faults': ev(6, 1),
    'minor-faults': ev(5, 100),
    'page-faults': pageFaults,
    faults: pageFaults,
    'task-clock': ev(1, 1),
  },
});
