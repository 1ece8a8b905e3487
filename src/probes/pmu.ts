// Dynamic perf PMUs (kprobe, uprobe): their perf `type` and the config bit
// that makes a return probe, as the kernel publishes them in sysfs. Absence
// of the directory is how a kernel says it was built without the feature.
import * as fs from 'fs';

const DEVICES = '/sys/bus/event_source/devices';

export interface DynamicPmu {
  type: number;
  /** Bit of `config` that selects the return probe. */
  retprobeBit: number;
}

const cache = new Map<string, DynamicPmu | undefined>();

/** The PMU named `name` (e.g. `kprobe`), or undefined when this kernel has none. */
export function dynamicPmu(name: string): DynamicPmu | undefined {
  if (cache.has(name)) return cache.get(name);
  let pmu: DynamicPmu | undefined;
  try {
    const type = Number(fs.readFileSync(`${DEVICES}/${name}/type`, 'utf8').trim());
    let retprobeBit = 0;
    try {
      const m = /^config:([0-9]+)/.exec(fs.readFileSync(`${DEVICES}/${name}/format/retprobe`, 'utf8').trim());
      if (m) retprobeBit = Number(m[1]);
    } catch {
      // Kernels before the format file used bit 0.
    }
    if (Number.isInteger(type)) pmu = { type, retprobeBit };
  } catch {
    pmu = undefined;
  }
  cache.set(name, pmu);
  return pmu;
}

/** perf `config` of a probe on a dynamic PMU: the retprobe bit or nothing. */
export function retprobeConfig(pmu: DynamicPmu, ret: boolean): bigint {
  return ret ? 1n << BigInt(pmu.retprobeBit) : 0n;
}
