// watchpoint:ADDR:LEN:MODE (alias w) — hardware breakpoints through perf
// (PERF_TYPE_BREAKPOINT: bp_addr, bp_len, bp_type from MODE ⊆ {r,w,x}).
// With -p/-c the breakpoint is set in that process (ADDR is one of its
// addresses); otherwise on every CPU, for whatever runs there. The program
// runs after the access (data breakpoints trap after the instruction).
// bpftrace 0.17's `watchpoint:FUNC+argN:LEN:MODE` form (HEAD removed it) is
// not supported.
import { FeatureUnavailableError, ProbeError, Provider } from './provider';
import { BPF_PROG_TYPE_PERF_EVENT, openOnEveryCpu, openPerfEventWithProgram } from './perf';
import { parseAddress } from './regs';
import { strerrorOf } from './counter';
import * as fs from 'fs';

const PERF_TYPE_BREAKPOINT = 5;
const MODE_BITS: Record<string, number> = { r: 1, w: 2, x: 4 };

export const watchpointProvider: Provider = {
  name: 'watchpoint',
  aliases: ['w'],
  progType: BPF_PROG_TYPE_PERF_EVENT,

  match(parts) {
    if (parts.length !== 3) throw new ProbeError('watchpoint probe type requires 3 arguments');
    const [addrText, lenText, mode] = parts;
    if (/^[A-Za-z_]/.test(addrText)) {
      throw new ProbeError(`watchpoint on a function argument (${addrText}) is not supported; give an address`);
    }
    const address = parseAddress(addrText);
    const len = Number(lenText);
    if (![1, 2, 4, 8].includes(len) || !/^[0-9]+$/.test(lenText)) throw new ProbeError('watchpoint length must be one of (1,2,4,8)');
    let bpType = 0;
    for (const ch of mode) {
      const bit = MODE_BITS[ch];
      if (!bit) throw new ProbeError('watchpoint mode must be combination of (r,w,x)');
      if (bpType & bit) throw new ProbeError('watchpoint modes may not be duplicated');
      bpType |= bit;
    }
    const name = `watchpoint:0x${address.toString(16)}:${len}:${mode}`;
    return [{ provider: watchpointProvider, name, detail: { address, len, bpType } }];
  },

  attach(m, progFd, ctx) {
    if (!fs.existsSync('/sys/bus/event_source/devices/breakpoint')) {
      throw new FeatureUnavailableError(
        `${m.name}: hardware breakpoints are not available in this kernel (no breakpoint PMU in /sys/bus/event_source/devices); ` +
          'use a uprobe on the code that writes the variable instead');
    }
    const attr = {
      type: PERF_TYPE_BREAKPOINT, config: 0, bpType: Number(m.detail.bpType), bpAddr: Number(m.detail.address),
      bpLen: Number(m.detail.len), samplePeriod: 1, wakeupEvents: 1,
    };
    try {
      if (ctx.pid !== undefined) return { fds: [openPerfEventWithProgram(ctx, attr, -1, progFd, ctx.pid)] };
      return { fds: openOnEveryCpu(ctx, attr, progFd) };
    } catch (e) {
      // x86 has no read-only breakpoints, and at most 4 debug registers.
      const err = e as Error & { code?: string };
      if (err.code === 'EINVAL') throw new Error(`the kernel refused this breakpoint (${strerrorOf(err)}): x86 supports modes w, rw and x (x with length 8)`);
      if (err.code === 'ENOSPC') throw new Error(`no free debug register for this breakpoint (${strerrorOf(err)}): at most 4 watchpoints at once`);
      throw e;
    }
  },
};
