// src/host.ts reads from /proc and /sys what Node's `os` module would tell
// (a warm start does not load `os`): the same answers on this machine, and
// the kernel's CPU-list format parsed as the kernel writes it.
import { describe, expect, it } from 'vitest';
import * as os from 'os';
import { cpuList, kernelRelease, onlineCpus } from '../src/host';

describe('host facts without the os module', () => {
  it('kernelRelease() is os.release()', () => {
    expect(kernelRelease()).toBe(os.release());
  });

  it('onlineCpus() is os.cpus().length', () => {
    expect(onlineCpus()).toBe(os.cpus().length);
  });

  it('counts kernel CPU lists', () => {
    expect(cpuList('0\n').length).toBe(1);
    expect(cpuList('0-1\n').length).toBe(2);
    expect(cpuList('0-3,5,7-8\n').length).toBe(7);
    expect(() => cpuList('\n')).toThrow(/not a CPU list/);
  });
});
