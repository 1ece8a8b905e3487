// Facts about this machine that a compile-cache hit needs, read from /proc
// and /sys: Node's `os` module is not in its start-up snapshot, and loading
// it costs a warm start ~1-3 ms (scripts/bench-notes.md). `os` remains the
// fallback when those files cannot be read.
import fs = require('fs');

/** uname's release, as os.release() reports it. */
export function kernelRelease(): string {
  try {
    return fs.readFileSync('/proc/sys/kernel/osrelease', 'latin1').trim();
  } catch {
    return (require('os') as typeof import('os')).release();
  }
}

/** The online CPUs' numbers, from /sys/devices/system/cpu/online; undefined when it cannot be read. */
export function onlineCpuList(): number[] | undefined {
  try {
    return cpuList(fs.readFileSync('/sys/devices/system/cpu/online', 'latin1'));
  } catch {
    return undefined;
  }
}

/** The number of online CPUs (bpftrace's `ncpus`), as os.cpus().length counts them. */
export function onlineCpus(): number {
  return onlineCpuList()?.length ?? (require('os') as typeof import('os')).cpus().length;
}

/** The CPUs of a kernel CPU list ("0-3,5,7-8\n"). */
export function cpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`not a CPU list: ${list}`);
    for (let c = Number(m[1]); c <= Number(m[2] ?? m[1]); c++) cpus.push(c);
  }
  return cpus;
}
