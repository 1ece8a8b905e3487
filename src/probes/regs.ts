// arg0…arg5 and retval of kprobes and uprobes: the registers of the probed
// function, read from `struct pt_regs` (the program's context) with direct
// context loads. x86_64 only, as bpftrace on this machine.
import { ContextArgs, ProbeError } from './provider';

/** Offsets in x86_64 `struct pt_regs` (arch/x86/include/asm/ptrace.h). */
const PT_REGS = { r9: 64, r8: 72, ax: 80, cx: 88, dx: 96, si: 104, di: 112 } as const;

/** The System V calling convention: di, si, dx, cx, r8, r9. */
const ARG_REGS = [PT_REGS.di, PT_REGS.si, PT_REGS.dx, PT_REGS.cx, PT_REGS.r8, PT_REGS.r9];

const ARGS_ONLY_IN_ENTRY = (n: number) => `The arg${n} builtin can only be used with 'kprobes', 'uprobes' and 'usdt' probes`;

/** Context layout of an entry probe (`argN`) or a return probe (`retval`). */
export function ptRegsArgs(ret: boolean): ContextArgs {
  if (ret) return { args: [], argError: ARGS_ONLY_IN_ENTRY, retval: PT_REGS.ax };
  return { args: ARG_REGS, argError: (n) => `x86_64 doesn't support arg${n}` };
}

/** Parses bpftrace's `FUNC+OFFSET` (offset decimal, 0x hex or 0 octal, as strtoll base 0). */
export function splitOffset(text: string, allowOffset: boolean): { name: string; offset: number } {
  const plus = text.split('+').length - 1;
  if (plus === 0) return { name: text, offset: 0 };
  if (!allowOffset) throw new ProbeError('Offset not allowed');
  if (plus !== 1) throw new ProbeError('Cannot take more than one offset');
  const [name, off] = text.split('+');
  if (!name || !off) throw new ProbeError('Invalid offset');
  return { name, offset: parseAddress(off) };
}

/** An integer written as decimal, 0x hex or 0-prefixed octal (strtoull base 0). */
export function parseAddress(text: string): number {
  let n: number;
  if (/^0x[0-9a-f]+$/i.test(text)) n = parseInt(text.slice(2), 16);
  else if (/^0[0-7]*$/.test(text)) n = parseInt(text, 8);
  else if (/^[1-9][0-9]*$/.test(text)) n = Number(text);
  else throw new ProbeError(`Found trailing non-numeric characters: ${text}`);
  if (!Number.isSafeInteger(n)) throw new ProbeError(`Failed to parse '${text}': out of range`);
  return n;
}

/** Every register `reg("name")` reads: byte offsets in x86_64 `struct pt_regs`, bpftrace's names. */
export const PT_REGS_OFFSETS: Record<string, number> = {
  r15: 0, r14: 8, r13: 16, r12: 24, bp: 32, bx: 40, r11: 48, r10: 56, r9: 64, r8: 72,
  ax: 80, cx: 88, dx: 96, si: 104, di: 112, orig_ax: 120, ip: 128, cs: 136, flags: 144, sp: 152, ss: 160,
};
