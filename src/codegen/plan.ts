// The compiled program as plain data: what codegen produced and what the
// runtime needs to create maps, load and attach programs, and decode events
// and map contents. No LLVM types here, so the runtime never loads LLVM and
// a compiled plan can be cached as JSON.
import type { AggKind, Type } from '../checker/types';
import type { FormatAction } from '../checker';
import type { Loc } from '../ast/nodes';
import { storageSize, align8, aggValueSize } from '../checker/types';

export const BPF_MAP_TYPE_HASH = 1;
export const BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4;
export const BPF_MAP_TYPE_ARRAY = 2;
export const BPF_MAP_TYPE_PERCPU_HASH = 5;
export const BPF_MAP_TYPE_PERCPU_ARRAY = 6;
export const BPF_MAP_TYPE_RINGBUF = 27;
export const BPF_MAP_TYPE_STACK_TRACE = 7;
/** Frames kept per stack (bpftrace's default); kstack(N) limits are applied in user space. */
export const STACK_MAX_FRAMES = 127;

export type MapRole = 'user' | 'ringbuf' | 'config' | 'stack' | 'counters' | 'scratch' | 'pids' | 'perf';

export interface MapPlan {
  /** Slot in fd_array; code refers to maps by this index. */
  index: number;
  name: string;
  role: MapRole;
  bpfType: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  percpu: boolean;
  /** For user maps: key part types (empty for scalar maps) and value type. */
  keyTypes: Type[];
  valueType?: Type;
}

export interface ProgramPlan {
  /** Index of the AST probe, and the canonical probe name. */
  probeIndex: number;
  probeName: string;
  provider: string;
  detail: Record<string, string | number>;
  functionName: string;
  section: string;
  /** The probe's attach point in the source, for load and attach errors. */
  loc: import('../ast/nodes').Loc;
  progType: number;
  /** Filled after object emission: the instructions, base64 so the plan stays JSON. */
  insns?: string;
  /** Callback subprograms (for-map loop bodies) placed after the program in its section. */
  subprograms?: string[];
  /** Filled after emission: instruction index where each subprogram starts (BTF func_info). */
  subprogramOffsets?: number[];
  /** From the object's .BTF.ext line info: [instruction index, line, column], by instruction. */
  lines?: [number, number, number][];
}

/** A print() of a non-map value: the value's type, to decode the event. */
export interface PrintPlan {
  id: number;
  type: Type;
}

export interface PrintfPlan {
  id: number;
  format: string;
  argTypes: Type[];
  /** system()/cat() sites: run the formatted command / print the named file; errorf()/warnf(): a message at `loc`. */
  action?: FormatAction;
  loc?: Loc;
}

export interface CompiledPlan {
  maps: MapPlan[];
  programs: ProgramPlan[];
  printfs: PrintfPlan[];
  prints: PrintPlan[];
  /** Separators of join() calls, by site id. */
  joins: string[];
  /** Formats of time() calls, by site id (absent in plans without time()). */
  timeFormats?: string[];
  /** Canonical probe names, indexed by the value of the `probe` builtin. */
  probeNames: string[];
  /** Number of attach points, for "Attaching N probes...". */
  attachPointCount: number;
  /** Map updates that can fail when the map is full, by site id (counters word COUNTER_MAP_FULL + id). */
  mapUpdateSites?: MapUpdateSite[];
  /**
   * Debug location `line:col` (codegen/debuginfo) → [line, col, endLine, endCol]
   * of the construct whose code carries it, to underline a whole expression.
   */
  ranges?: Record<string, [number, number, number, number]>;
}

/** One place in the source that inserts into a map: where a "Map full" warning points. */
export interface MapUpdateSite {
  map: string;
  loc: import('../ast/nodes').Loc;
}

/**
 * Event kinds written to the ring buffer: a u64 header, then the payload.
 * Headers below EVENT_PRINT_BASE are printf site ids; from EVENT_PRINT_BASE,
 * print() sites of non-map values; the rest are the constants below (below
 * 2^31, so BPF code stores them with a 32-bit immediate).
 */
export const EVENT_PRINT_BASE = 0x1_0000;
export const EVENT_EXIT = 0x7fff_0001;
/** print(@map, top, div): payload map index, top, div. */
export const EVENT_PRINT_MAP = 0x7fff_0002;
/** clear(@map) / zero(@map): payload map index. */
export const EVENT_CLEAR_MAP = 0x7fff_0003;
export const EVENT_ZERO_MAP = 0x7fff_0004;
/** join(argv, sep): payload separator site, argument count, then JOIN_MAX_ARGS slots of JOIN_ARG_SIZE bytes. */
export const EVENT_JOIN = 0x7fff_0005;
/** time(fmt): payload format site. */
export const EVENT_TIME = 0x7fff_0006;
/**
 * The set-up program of a probe placed at run time (watchpoint:FUNC+argN)
 * reports where: payload the probe's program index in the plan, the address.
 */
export const EVENT_ATTACH_REPORTED = 0x7fff_0008;
/** unwatch(addr): payload the address whose watchpoints user space removes. */
export const EVENT_UNWATCH = 0x7fff_0009;
/** The first user stack / usym of a process: payload its pid; user space reads its mappings while it lives. */
export const EVENT_PID_SEEN = 0x7fff_000a;
export const JOIN_MAX_ARGS = 16;
export const JOIN_ARG_SIZE = 1024;

/**
 * The counters map (an array of one value, shared by all CPUs and addressed
 * directly, without a lookup) holds what BPF code could not deliver: word
 * COUNTER_ONE is always 1 (user space writes it before attaching): the
 * value a new count() or histogram bucket starts with, one register away
 * from the map-full words of the same insert; COUNTER_LOST_EVENTS counts ring-buffer records that did not fit (atomic
 * add); COUNTER_EXIT is 1 + the exit code of an exit() whose event did not
 * fit (so a full ring buffer cannot swallow exit()); word COUNTER_MAP_FULL + s
 * is non-zero once an insert at update site s (CompiledPlan.mapUpdateSites)
 * found its map full.
 */
export const COUNTER_ONE = 0;
export const COUNTER_LOST_EVENTS = 1;
export const COUNTER_EXIT = 2;
export const COUNTER_MAP_FULL = 3;

/**
 * User space looks at the ring buffer again this long after every batch
 * (runtime armFollowUp), and while such a look is due it sets config word
 * CONFIG_WAKEUP to BPF_RB_NO_WAKEUP: records are then submitted without
 * waking it. A wakeup costs the traced CPU microseconds in a VM (an IPI);
 * the kernel's own rule (wake when the consumer has caught up) wakes on
 * every record when the consumer is fast. Latency stays under 1 ms.
 */
export const RINGBUF_WAKEUP_NS = 1_000_000;

/** Word offsets in the config array map that user space fills before BEGIN. */
export const CONFIG_START_NS = 0;
/** The pid of the -c child (`cpid`). */
export const CONFIG_CPID = 1;
/** The pid of -p/-c: with CodegenOptions.pidFilter, probes other than BEGIN/END fire for it only. */
export const CONFIG_TARGET_PID = 2;
/** Online CPUs, for `ncpus`. */
export const CONFIG_NCPUS = 3;
/**
 * The flags of bpf_ringbuf_submit (exit() aside): BPF_RB_NO_WAKEUP while
 * user space will look within RINGBUF_WAKEUP_NS anyway, else 0 (the kernel
 * wakes it when it has caught up). Written by user space only.
 */
export const CONFIG_WAKEUP = 4;
export const BPF_RB_NO_WAKEUP = 1;
export const CONFIG_WORDS = 5;

/** Size of one map key with the given part types (each part 8-aligned). */
export function keyLayout(keyTypes: Type[]): { size: number; offsets: number[] } {
  const offsets: number[] = [];
  let size = 0;
  for (const t of keyTypes) {
    offsets.push(size);
    size += align8(storageSize(t));
  }
  return { size: Math.max(size, 8), offsets };
}

export function isKeylessArrayAgg(agg: AggKind, keyTypes: Type[]): boolean {
  // bpftrace 0.17 keeps a keyless count() in a per-CPU array, so it prints
  // `@c: 0` even when the probe never fired; other keyless aggregations are hashes.
  return agg === 'count' && keyTypes.length === 0;
}

/** hist/lhist maps key on the user's keys plus the bucket index, one count per bucket. */
export function histKeyTypes(keyTypes: Type[]): Type[] {
  return [...keyTypes, { kind: 'int', bits: 64, signed: false }];
}

export function userMapPlan(index: number, name: string, keyTypes: Type[], valueType: Type, maxEntries: number): MapPlan {
  const key = keyLayout(keyTypes);
  if (valueType.kind === 'agg' && (valueType.agg === 'hist' || valueType.agg === 'lhist')) {
    return {
      index, name, role: 'user', bpfType: BPF_MAP_TYPE_PERCPU_HASH, keySize: keyLayout(histKeyTypes(keyTypes)).size,
      valueSize: 8, maxEntries, percpu: true, keyTypes, valueType,
    };
  }
  if (valueType.kind === 'agg') {
    if (isKeylessArrayAgg(valueType.agg, keyTypes)) {
      return { index, name, role: 'user', bpfType: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, percpu: true, keyTypes, valueType };
    }
    return {
      index, name, role: 'user', bpfType: BPF_MAP_TYPE_PERCPU_HASH, keySize: key.size,
      valueSize: aggValueSize(valueType.agg), maxEntries, percpu: true, keyTypes, valueType,
    };
  }
  return {
    index, name, role: 'user', bpfType: BPF_MAP_TYPE_HASH, keySize: key.size,
    valueSize: align8(storageSize(valueType)), maxEntries, percpu: false, keyTypes, valueType,
  };
}

/** The source range of the construct whose code carries debug location line:col. */
export function rangeAt(plan: CompiledPlan, file: string, line: number, col: number): import('../ast/nodes').Loc {
  const r = plan.ranges?.[`${line}:${col}`];
  return r ? { file, line: r[0], col: r[1], endLine: r[2], endCol: r[3] } : { file, line, col, endLine: line, endCol: col + 1 };
}
