// One interface for every probe type, used across the phases: matching an
// attach point, typing `args`, the program type codegen emits, and attaching.
import type { AttachPoint } from '../ast/nodes';
import type { StructField, Type } from '../checker/types';

export interface ProbeMatch {
  provider: Provider;
  /** Canonical full name: what the `probe` builtin returns and listings print. */
  name: string;
  /** Provider-specific data (tracepoint category/event, interval period, …). */
  detail: Record<string, string | number>;
}

/** Handles to release when the probe is detached. */
export interface Attachment {
  fds: number[];
  /** The address a breakpoint watches: unwatch(address) detaches it. */
  watches?: bigint;
  /** fds[0] is an iterator link: the run reads it (or pins it) instead of waiting for events. */
  iterator?: boolean;
}

export interface AttachContext {
  native: import('../runtime/native').Native;
  numCpus: number;
  /** The process of -p/-c: uprobes and USDT probes are attached for it only. */
  pid?: number;
}

export interface Provider {
  /** Canonical name (`tracepoint`) and accepted spellings (`t`). */
  readonly name: string;
  readonly aliases: readonly string[];
  /** BPF program type of the code generated for this probe. */
  readonly progType: number;
  /** BEGIN/END run once in user space through BPF_PROG_TEST_RUN instead of attaching. */
  readonly special?: 'begin' | 'end';
  /**
   * The kernel runs the program when tstrace reads it, in tstrace's own task
   * (iterators): the -p/-c `pid ==` filter would drop everything, so it is
   * not applied (the provider limits the iterator to the process instead).
   */
  readonly runsInReader?: boolean;
  /**
   * The kernel runs the programs on one event of this type newest first
   * (uprobe consumers are added at the head of the list), so these probes are
   * attached last to first, making blocks run in script order. The set is
   * bpftrace 0.17's attach_reverse().
   */
  readonly attachInReverse?: boolean;
  /**
   * The concrete probes an attach point names (wildcards expanded).
   * `parts` is the attach point split on `:`, the provider name removed.
   * Throws ProbeError for an attach point that is malformed or matches nothing.
   */
  match(parts: string[], ap: AttachPoint): ProbeMatch[];
  /** Type of `args`, or undefined when the probe type has no `args`. */
  argsType?(m: ProbeMatch): Extract<Type, { kind: 'struct' }>;
  /** Type of `ctx` when it is more than an address (iter: `struct bpf_iter__NAME *`). */
  ctxType?(m: ProbeMatch): Type;
  /** Where `argN` and `retval` live in the context, or undefined when the probe type has neither. */
  contextArgs?(m: ProbeMatch): ContextArgs;
  /** Extra bpf_prog_load attributes (fentry/fexit: expected attach type and target BTF id). */
  loadOptions?(m: ProbeMatch): { expectedAttachType?: number; attachBtfId?: number };
  /** One line explaining a load failure caused by a kernel that lacks the feature, or undefined. */
  explainLoadError?(m: ProbeMatch, err: Error & { errno?: number; code?: string }): string | undefined;
  attach(m: ProbeMatch, progFd: number, ctx: AttachContext): Attachment;
  /**
   * Probes placed only at run time (watchpoint:FUNC+argN): their set-up
   * program reported `address` through the ring buffer; attach there.
   * Errors keep their errno `code` (ENOSPC: no debug register left).
   */
  attachReported?(m: ProbeMatch, progFd: number, ctx: AttachContext, address: bigint): Attachment;
  /**
   * Probes for `-l`, full names. `search` is the search split on `:`, the
   * provider removed (uprobe/usdt take their file from it); `all` is true for
   * a search that does not name this provider (providers with huge lists,
   * like fentry, then list nothing).
   */
  list?(search: string[], all: boolean): ListedProbe[];
}

/** One line of `-l`; `args` are the lines `-lv` prints under it (without the indent). */
export interface ListedProbe {
  name: string;
  /** The name as a search spells it, when it differs (`uprobe:libc:malloc` for a resolved library path). */
  searchName?: string;
  args?: () => string[];
}

/**
 * An argument that is not a plain u64 context slot: a USDT operand (a
 * constant, part of a register, or user memory addressed through registers).
 * Registers are byte offsets in the context (`struct pt_regs`). The value is
 * `size` bytes, sign- or zero-extended to 64 bits.
 */
export type ArgOperand =
  | { kind: 'const'; value: string; size: number; signed: boolean }
  /** `byte`: the value starts that many bytes into the register (`%ah`). */
  | { kind: 'reg'; reg: number; byte?: number; size: number; signed: boolean }
  | { kind: 'mem'; base?: number; index?: number; scale: number; disp: number; size: number; signed: boolean }
  /** An operand tstrace can't read (a float register, …): using the argument is a compile error. */
  | { kind: 'unsupported'; reason: string };

/** Where the register-style builtins of a probe come from: u64 slots of the context. */
export interface ContextArgs {
  /** Byte offset in the context of arg0, arg1, … (each a u64), or an operand to evaluate. */
  args: (number | ArgOperand)[];
  /** The error for `argN` with N >= args.length. */
  argError(n: number): string;
  /** Byte offset of the return value (return probes only). */
  retval?: number;
}

/** An attach-point problem, reported at the attach point's location. */
export class ProbeError extends Error {}

/**
 * The machine, not the script, is missing something every probe of a kind
 * needs (tracefs cannot be mounted, …): one line without a source location,
 * exit code 1 (bpftrace 0.17 fails these before attaching, with exit 1).
 */
export class EnvironmentError extends ProbeError {}

/**
 * The function or symbol an attach point names is absent from this kernel or
 * binary. `matches` are the probes it would be (none for a wildcard): with
 * --dry-run they are compiled anyway and the error is a warning.
 */
export class MissingTargetError extends ProbeError {
  constructor(message: string, readonly matches: ProbeMatch[]) {
    super(message);
  }
}

/**
 * The kernel lacks what this probe type needs (no kprobe PMU, no hardware
 * counters, …). The message is one complete line naming the probe, the
 * missing feature and the nearest alternative; it is printed as is.
 */
export class FeatureUnavailableError extends Error {}

export type { StructField };
