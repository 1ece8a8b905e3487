// watchpoint:ADDR:LEN:MODE and watchpoint:FUNC+argN:LEN:MODE (alias w),
// asyncwatchpoint:FUNC+argN:LEN:MODE (alias aw) — hardware breakpoints through
// perf (PERF_TYPE_BREAKPOINT: bp_addr, bp_len, bp_type from MODE ⊆ {r,w,x}).
// The program runs after the access (data breakpoints trap after the instruction).
//
// ADDR: with -p/-c the breakpoint is set in that process (ADDR is one of its
// addresses); otherwise on every CPU, for whatever runs there.
//
// FUNC+argN (bpftrace 0.17; HEAD removed it) watches, in the -p/-c process,
// the address FUNC receives in argN, from the moment FUNC is called. A hidden
// set-up program, a uprobe on FUNC (codegen/watchpoint-setup.ts), reports the
// address through the ring buffer and user space opens the breakpoint there
// (attachReported). `watchpoint` also stops the process (SIGSTOP) in the
// set-up program until the breakpoint is in place and then continues it
// (detail.stopsProcess); `asyncwatchpoint` lets it run on, so the first
// accesses may be missed. As in bpftrace, the same address reported again is
// ignored and a new one adds a breakpoint (the old ones stay). unwatch(ADDR)
// removes every breakpoint on ADDR (runtime).
import { FeatureUnavailableError, MissingTargetError, ProbeError, Provider, ProbeMatch, AttachContext, Attachment } from './provider';
import { BPF_PROG_TYPE_PERF_EVENT, openOnEveryCpu, openPerfEventWithProgram } from './perf';
import { parseAddress, ptRegsArgs } from './regs';
import { strerrorOf } from './counter';
import { targetProgram } from './target';
import { uprobeProvider } from './uprobe';
import * as fs from 'fs';

const PERF_TYPE_BREAKPOINT = 5;
const MODE_BITS: Record<string, number> = { r: 1, w: 2, x: 4 };

/** True for the program of a FUNC+argN watchpoint (attached when its set-up program reports). */
export function isReportedWatchpoint(m: ProbeMatch): boolean {
  return m.detail.reported === 1 && m.detail.setupFor === undefined;
}

function watchpointLike(async: boolean): Provider {
  const kind = async ? 'asyncwatchpoint' : 'watchpoint';
  const provider: Provider = {
    name: kind,
    aliases: [async ? 'aw' : 'w'],
    progType: BPF_PROG_TYPE_PERF_EVENT,

    match(parts, ap) {
      if (parts.length !== 3) throw new ProbeError(`${kind} probe type requires 3 arguments`);
      const [spec, lenText, mode] = parts;
      const fn = spec.includes('+') ? functionArgument(spec) : undefined;
      const address = fn ? 0 : absoluteAddress(spec, async);
      const program = fn ? programOfTarget() : undefined;
      if (fn && program === undefined) throw new ProbeError('-p PID or -c CMD required for watchpoint');
      if (fn && fn.argN >= ptRegsArgs(false).args.length) throw new ProbeError(`x86_64 doesn't support arg${fn.argN}`);
      const len = Number(lenText);
      if (![1, 2, 4, 8].includes(len) || !/^[0-9]+$/.test(lenText)) throw new ProbeError('watchpoint length must be one of (1,2,4,8)');
      let bpType = 0;
      if (mode === '') throw new ProbeError('watchpoint mode must be combination of (r,w,x)');
      for (const ch of mode) {
        const bit = MODE_BITS[ch];
        if (!bit) throw new ProbeError('watchpoint mode must be combination of (r,w,x)');
        if (bpType & bit) throw new ProbeError('watchpoint modes may not be duplicated');
        bpType |= bit;
      }
      if (!fn) {
        // bpftrace 0.17 names the probe with the address in decimal.
        return [{ provider, name: `${kind}:${address}:${len}:${mode}`, detail: { address, len, bpType } }];
      }
      // The function is found as a uprobe on the program finds it (symbols, wildcards, C++ names).
      const toWatch = (up: ProbeMatch): ProbeMatch => ({
        provider,
        // bpftrace 0.17's AttachPoint::name: the argument shows only when it is not arg0.
        name: `${kind}:${program}:${up.detail.func}${fn.argN ? `:${fn.argN}` : ''}:${len}:${mode}`,
        detail: {
          path: up.detail.path, func: up.detail.func, argN: fn.argN, len, bpType, reported: 1,
          ...(async ? {} : { stopsProcess: 1 }),
          // The names and paths depend on the -p/-c process: never cached.
          targetDependent: 1,
        },
      });
      try {
        return uprobeProvider.match([program!, fn.func], ap).map(toWatch);
      } catch (e) {
        if (e instanceof MissingTargetError) throw new MissingTargetError(e.message, e.matches.map(toWatch));
        throw e;
      }
    },

    attach(m, progFd, ctx) {
      // The set-up program: a uprobe on the function.
      if (m.detail.setupFor !== undefined) {
        const up: ProbeMatch = { provider: uprobeProvider, name: m.name, detail: { path: m.detail.path, func: m.detail.func, offset: 0, address: -1 } };
        return uprobeProvider.attach(up, progFd, ctx);
      }
      requireBreakpointPmu(m);
      // FUNC+argN: nothing yet, the set-up program reports where.
      if (m.detail.reported) return { fds: [] };
      return openBreakpoint(m, progFd, ctx, Number(m.detail.address));
    },

    attachReported(m, progFd, ctx, address) {
      return openBreakpoint(m, progFd, ctx, Number(address));
    },
  };
  return provider;
}

/** `FUNC+argN` → the function and N, with bpftrace 0.17's messages. */
function functionArgument(spec: string): { func: string; argN: number } {
  const pieces = spec.split('+');
  if (pieces.length !== 2 || !pieces[0] || !pieces[1]) throw new ProbeError('Invalid function/address argument');
  const [func, arg] = pieces;
  if (arg.length <= 3 || !arg.startsWith('arg')) throw new ProbeError('Invalid function argument');
  if (!/^[0-9]+$/.test(arg.slice(3))) throw new ProbeError('Found trailing non-numeric characters');
  return { func, argN: Number(arg.slice(3)) };
}

function absoluteAddress(spec: string, async: boolean): number {
  if (async) throw new ProbeError('asyncwatchpoint requires a function name');
  if (/^[A-Za-z_]/.test(spec)) throw new ProbeError(`watchpoint on a function needs the argument that holds the address: ${spec}+argN`);
  const address = parseAddress(spec);
  if (address === 0) throw new ProbeError('watchpoint must be attached to a non-zero address');
  return address;
}

function programOfTarget(): string | undefined {
  try {
    return targetProgram();
  } catch (e) {
    throw new ProbeError(`Failed to fork child: ${(e as Error).message}`);
  }
}

function requireBreakpointPmu(m: ProbeMatch): void {
  if (!fs.existsSync('/sys/bus/event_source/devices/breakpoint')) {
    throw new FeatureUnavailableError(
      `${m.name}: hardware breakpoints are not available in this kernel (no breakpoint PMU in /sys/bus/event_source/devices); ` +
        'use a uprobe on the code that writes the variable instead');
  }
}

/** One breakpoint at `address`: in the -p/-c process, else on every CPU. Errors keep their errno code. */
function openBreakpoint(m: ProbeMatch, progFd: number, ctx: AttachContext, address: number): Attachment {
  const attr = {
    type: PERF_TYPE_BREAKPOINT, config: 0, bpType: Number(m.detail.bpType), bpAddr: address,
    bpLen: Number(m.detail.len), samplePeriod: 1, wakeupEvents: 1,
  };
  try {
    const watches = BigInt(address);
    if (ctx.pid !== undefined) return { fds: [openPerfEventWithProgram(ctx, attr, -1, progFd, ctx.pid)], watches };
    return { fds: openOnEveryCpu(ctx, attr, progFd), watches };
  } catch (e) {
    // x86 has no read-only breakpoints, and at most 4 debug registers.
    const err = e as Error & { code?: string };
    let message = err.message;
    if (err.code === 'EINVAL') {
      message = `the kernel refused a breakpoint at 0x${address.toString(16)} (${strerrorOf(err)}): ` +
        'it must be a user-space address aligned to the length; x86 supports modes w, rw and x (x with length 8)';
    }
    if (err.code === 'ENOSPC') message = `no free debug register for this breakpoint (${strerrorOf(err)}): at most 4 watchpoints at once`;
    throw Object.assign(new Error(message), { code: err.code });
  }
}

export const watchpointProvider = watchpointLike(false);
export const asyncwatchpointProvider = watchpointLike(true);
