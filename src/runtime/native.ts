// Typed loader for the native addon (native/src/*.cc, built with
// `node-gyp rebuild -C native`). The path is the same from src/runtime and
// dist/runtime.
//
// Conventions: every function is synchronous unless stated; failures throw a
// JS Error (the addon never prints and never aborts the process). Errors from
// system calls are `NativeErrnoError`s: `errno` and `code` ("EACCES", ...) are
// set and the message ends with strerror(errno).
// `import x = require()`: bin/tstrace loads this file as tsc output before the
// bundle (src/cli/codecache.ts), where a namespace import costs an __importStar copy.
import fs = require('fs');
import path = require('path');

/** Error thrown by system-call wrappers. */
export interface NativeErrnoError extends Error {
  errno: number;
  /** Symbolic errno name, e.g. "EACCES". */
  code?: string;
}

/** Error thrown by `loadProgram`: carries the verifier log. */
export interface LoadProgramError extends NativeErrnoError {
  /** Verifier log (obtained by a retry at log level 1 when `logLevel` was 0). */
  log: string;
}

/** Error thrown by `emitObject` for an IR parse error. */
export interface IrParseError extends Error {
  line: number;
  column: number;
}

export interface EmitOptions {
  /** Optimisation level of the new-PM pipeline and codegen; default 2 (O2). */
  optLevel?: 0 | 1 | 2 | 3;
  /** BPF CPU (instruction set), default "v3". */
  cpu?: string;
  /** Return the optimised IR text as `ir` (debugging). */
  emitIr?: boolean;
  /**
   * libbpf flavour (--emit-elf): map i of this list becomes a BTF-defined map
   * global in ".maps" and every llvm.bpf.pseudo(5, i) its address, so the
   * object has map relocations (allowed in this mode) instead of fd_array indexes.
   */
  libbpfMaps?: { name: string; type: number; keySize: number; valueSize: number; maxEntries: number; valueWords?: number[] }[];
}

export interface EmitResult {
  /** The whole BPF ELF object (little endian, EM_BPF). */
  object: Buffer;
  /** Section name -> raw section bytes (instructions for program sections). */
  sections: Record<string, Buffer>;
  /** Optimised IR, only with `emitIr: true`. */
  ir?: string;
  /** Every function defined in a requested section: its section and byte offset there. */
  functions: Record<string, { section: string; offset: number }>;
}

export interface LoadProgramOptions {
  /** BPF_PROG_TYPE_* (e.g. 5 tracepoint, 17 raw tracepoint, 7 perf event). */
  type: number;
  /** Program name; sanitised to [A-Za-z0-9_.] and truncated to 15 chars for the kernel. */
  name: string;
  /** Instructions, a non-empty multiple of 8 bytes. */
  insns: Buffer;
  /** Map fds: `ld_imm64` with src_reg BPF_PSEUDO_MAP_IDX(5)/MAP_IDX_VALUE(6), imm=i refers to fdArray[i]. */
  fdArray: number[];
  /** Default "GPL". */
  license: string;
  /** Verifier log level (0, 1, 2, 4 or a combination). */
  logLevel: number;
  /** BTF fd whose FUNC types `funcInfo` refers to (needed by programs with callbacks). */
  progBtfFd?: number;
  /** struct bpf_func_info records {u32 insn_off; u32 type_id}, the program itself first. */
  funcInfo?: Buffer;
  expectedAttachType?: number;
  attachBtfId?: number;
  attachBtfObjFd?: number;
  progFlags?: number;
  /**
   * Initial log buffer size in bytes (default 4 MiB). With logLevel > 0 the
   * buffer doubles while the kernel reports ENOSPC (log truncated), up to 512 MiB.
   */
  logSize?: number;
}

export interface PerfEventAttr {
  /** PERF_TYPE_* or a dynamic PMU type (e.g. from /sys/bus/event_source/devices/uprobe/type). */
  type: number;
  config: number | bigint;
  /**
   * For kprobe/uprobe PMUs a string is passed as a pointer to a NUL-terminated
   * string (function name / binary path).
   */
  config1?: number | bigint | string;
  config2?: number | bigint | string;
  /** Default 1 when neither samplePeriod nor sampleFreq is given. */
  samplePeriod?: number | bigint;
  /** Sets `freq = 1`. */
  sampleFreq?: number;
  /** Default 1. */
  wakeupEvents?: number;
  sampleType?: number | bigint;
  inherit?: boolean;
  /** Breakpoint (watchpoint) events: HW_BREAKPOINT_R/W/RW/X, address, length. */
  bpType?: number;
  bpAddr?: number | bigint;
  bpLen?: number | bigint;
}

export interface MapDumpResult {
  /** count * keySize bytes, tightly packed. */
  keys: Buffer;
  /** count * valueBytes bytes, tightly packed. */
  values: Buffer;
  count: number;
  /** True when BPF_MAP_LOOKUP_BATCH was used, false for the get_next_key fallback. */
  batched: boolean;
}

export interface Native {
  /**
   * Parse LLVM 14 IR text, put each function/global named by a key of
   * `sections` into the section named by its value, run the O2 pipeline and
   * emit a BPF object (triple bpfel-pc-linux, CPU v3) in memory.
   *
   * Throws `Error('LLVM error: ...')` for every LLVM failure (fatal errors,
   * backend "unsupported" diagnostics, verifier failures of the IR), an
   * `IrParseError` (also prefixed "LLVM error: ", with line/column) for
   * unparsable IR, and an Error naming section and symbol if a requested
   * section has relocations (map references must use llvm.bpf.pseudo(5, idx)).
   */
  emitObject(irText: string, sections: Record<string, string>, options?: EmitOptions): EmitResult;

  /** libbpf_num_possible_cpus(). */
  numPossibleCpus(): number;
  /** CLOCK_BOOTTIME now, in ns (the clock of bpf_ktime_get_boot_ns). */
  boottimeNs(): bigint;
  /** libbpf version string, e.g. "v1.1". */
  libbpfVersion(): string;
  /** close(2). */
  closeFd(fd: number): void;
  /** Closes every fd, in parallel threads (the kernel's per-close RCU waits overlap); errors ignored. */
  closeFds(fds: number[]): void;

  /**
   * bpf_map_create. `name` is sanitised/truncated to 15 chars. Returns the fd.
   * Throws `failed to create map '<name>': <strerror>` (NativeErrnoError).
   */
  createMap(type: number, name: string, keySize: number, valueSize: number, maxEntries: number, flags: number): number;

  /**
   * Map element access with raw bytes. Sizes are checked against the map
   * (RangeError on mismatch): keys are key_size bytes; values are value_size
   * bytes, or round_up(value_size, 8) * numPossibleCpus() for per-CPU maps.
   */
  mapLookup(fd: number, key: Buffer, valueBytes: number): Buffer | null;
  /** flags: BPF_ANY 0, BPF_NOEXIST 1, BPF_EXIST 2, BPF_F_LOCK 4. */
  mapUpdate(fd: number, key: Buffer, value: Buffer, flags: number): void;
  /** false when the key did not exist. */
  mapDelete(fd: number, key: Buffer): boolean;
  /** First key when `key` is null; null at the end. */
  mapGetNextKey(fd: number, key: Buffer | null, keySize: number): Buffer | null;
  /**
   * All entries: BPF_MAP_LOOKUP_BATCH, falling back to get_next_key + lookup
   * when batch ops are unsupported (EINVAL/ENOTSUPP/EOPNOTSUPP). `maxEntries`
   * sizes the buffers and bounds the fallback iteration.
   */
  mapDump(fd: number, keySize: number, valueBytes: number, maxEntries: number): MapDumpResult;

  /**
   * bpf_prog_load with fd_array. On failure throws a LoadProgramError:
   * `failed to load program '<name>': <strerror>` with `errno` and `log`.
   */
  loadProgram(opts: LoadProgramOptions): { fd: number; log: string };

  /** BPF_BTF_LOAD of a raw BTF blob (header, types, strings); returns the fd. */
  loadBtf(btf: Buffer): number;

  /**
   * BPF_PROG_TEST_RUN; returns the program's return value (u32). For raw
   * tracepoint programs `ctx` is the u64 argument array (at most 12 * 8
   * bytes, omit or zero-length for none). `opts.cpu` runs it on that CPU.
   */
  testRun(progFd: number, ctx?: Buffer, opts?: { cpu?: number }): number;

  /**
   * perf_event_open(2) with `disabled = 1`. Defaults: groupFd -1, flags
   * PERF_FLAG_FD_CLOEXEC. Returns the perf event fd.
   */
  perfEventOpen(attr: PerfEventAttr, pid: number, cpu: number, groupFd?: number, flags?: number): number;
  /** PERF_EVENT_IOC_SET_BPF then PERF_EVENT_IOC_ENABLE. */
  perfEventAttachBpf(perfFd: number, progFd: number): void;
  /** PERF_EVENT_IOC_DISABLE. */
  perfEventDisable(perfFd: number): void;
  /**
   * BPF_RAW_TRACEPOINT_OPEN (libbpf bpf_raw_tracepoint_open): attaches a raw
   * tracepoint program to the tracepoint `name`, or, with `name` null, a
   * TRACING program (fentry/fexit) to the target it was loaded for. Returns
   * the link fd; closing it detaches.
   */
  rawTracepointOpen(name: string | null, progFd: number): number;

  /**
   * BPF_LINK_CREATE with attach type BPF_TRACE_ITER: links an iterator
   * program to its target; `pid` (task iterators) limits it to one process.
   * Returns the link fd.
   */
  iterLinkCreate(progFd: number, pid?: number): number;
  /** BPF_ITER_CREATE: a new iterator of a link. read(2) runs the program over every object; EOF ends it. */
  iterCreate(linkFd: number): number;
  /** BPF_OBJ_PIN of a map, program or link fd at a path in a bpffs. */
  objPin(fd: number, path: string): void;

  /**
   * Start consuming a BPF_MAP_TYPE_RINGBUF map from Node's event loop (a
   * uv_poll on libbpf's epoll fd; keeps the loop alive until closed). Each
   * wakeup delivers all available records in one `onData` call; `batch` is
   * the concatenation of records framed as
   * `[u32 LE length][payload][zero padding to a multiple of 8]`
   * (see `forEachRingRecord`). Exceptions thrown by `onData` become uncaught
   * exceptions. Returns a handle id.
   */
  ringbufOpen(mapFd: number, onData: (batch: Buffer) => void): number;
  /**
   * Drain synchronously now, delivering through `onData` (possibly in
   * several calls); returns the number of records. An exception thrown by
   * `onData` propagates to the caller.
   */
  ringbufConsume(handle: number): number;
  /** Whether the ring holds an unconsumed record (also one still being written); a full fence first. */
  ringbufPending(handle: number): boolean;
  /**
   * Text output only: records of these printf sites are formatted in the
   * native consumer; a run of them reaches onData as one text entry.
   */
  ringbufSetFormats(handle: number, formats: NativePrintfFormat[]): void;
  /** Each record's text as the native consumer would format it ('' when it is not one of `formats`); for tests. */
  formatRecordsForTest(formats: NativePrintfFormat[], records: Buffer[]): Buffer[];
  /** Stop polling and free the ring buffer; idempotent. */
  ringbufClose(handle: number): void;

  /**
   * Calls `onHangup` once when the reader of `fd` goes away (pipe without
   * readers, hung-up terminal, closed socket peer), without writing to it.
   * Does not keep the event loop alive. Returns a handle, or 0 when `fd`
   * cannot hang up (a regular file, /dev/null).
   */
  watchHangup(fd: number, onHangup: () => void): number;
  /** Stops a watch; idempotent. */
  unwatchHangup(handle: number): void;
  /** abi::__cxa_demangle of each name; names that aren't mangled (or fail) come back unchanged. */
  demangle(names: string[]): string[];
  /** SHA-256 of the bytes (a string as UTF-8), in hex: OpenSSL's inside node, without loading Node's crypto module. */
  sha256(data: string | Buffer): string;
  /** dlopen each file on a background thread, in order (native/src/preload.cc); errors are left to the later require(). */
  preloadLibraries(paths: string[]): void;
  /** Waits until preloadLibraries' thread is done (before the process exits). */
  waitPreload(): void;
  /** Starts reading /proc/kallsyms on a background thread (native/src/kallsyms.cc). */
  kallsymsPreload(): void;
  /** The last kernel text symbol at or below addr and the offset from it (waits for the read). */
  kallsymsLookup(addr: bigint): [string, number] | undefined;
}

export const NATIVE_PATH = path.join(__dirname, '../../native/build/Release/tstrace_native.node');
/** LLVM (IR building and object emission) lives in its own addon so that cache hits never load it. */
export const NATIVE_LLVM_PATH = path.join(__dirname, '../../native/build/Release/tstrace_llvm.node');
/**
 * The llvm-bindings API (codegen builds the IR with it): the LLVM addon holds
 * it, built from llvm-bindings' objects with LLVM's BPF target only
 * (native/binding.gyp); the package's own llvm-bindings.node is never loaded.
 */
export function loadLlvmBindings(): typeof import('llvm-bindings') {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require(NATIVE_LLVM_PATH);
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
const runtimeAddon = require(NATIVE_PATH) as Omit<Native, 'emitObject'>;
let llvmAddon: Pick<Native, 'emitObject'> | undefined;
export const native: Native = Object.assign(Object.create(runtimeAddon) as Native, runtimeAddon, {
  emitObject(irText: string, sections: Record<string, string>, options?: EmitOptions): EmitResult {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    llvmAddon ??= require(NATIVE_LLVM_PATH) as Pick<Native, 'emitObject'>;
    return llvmAddon.emitObject(irText, sections, options);
  },
});

/** SHA-256 in hex, for the caches: Node's crypto module would cost ~13 ms of every start to load. */
export function sha256Hex(data: string | Buffer): string {
  return runtimeAddon.sha256(data);
}

/**
 * A compile is coming: start loading the LLVM addon on a background thread,
 * so that its dlopen overlaps parsing and checking.
 */
export function preloadLlvm(): void {
  runtimeAddon.preloadLibraries([NATIVE_LLVM_PATH].filter((p) => fs.existsSync(p)));
  // Exiting while LLVM's static constructors run on that thread would crash (native/src/preload.cc).
  process.once('exit', () => runtimeAddon.waitPreload());
}

/** Iterate the records of a ring buffer batch delivered by `ringbufOpen`, until `done()`. */
export function forEachRingRecord(batch: Buffer, fn: (record: Buffer, text: boolean) => void, done?: () => boolean): void {
  let off = 0;
  while (off + 4 <= batch.length) {
    if (done?.()) return;
    const word = batch.readUInt32LE(off);
    // High bit: not a record but the text of a run of records formatted natively (ringbufSetFormats).
    const len = word & 0x7fffffff;
    fn(batch.subarray(off + 4, off + 4 + len), word !== len);
    off += (4 + len + 7) & ~7;
  }
}

/** A printf site the native consumer formats itself (see native/src/ringbuf.cc SiteFormat). */
export interface NativePrintfFormat {
  id: number;
  literals: string[];
  convs: { conv: 'd' | 'u' | 'x' | 'X' | 'o' | 's'; offset: number; bits: number; size: number }[];
}

/** BPF constants used with the native API. */
export const BPF_PROG_TYPE = {
  SOCKET_FILTER: 1,
  KPROBE: 2,
  TRACEPOINT: 5,
  PERF_EVENT: 7,
  RAW_TRACEPOINT: 17,
  TRACING: 26,
} as const;

export const BPF_MAP_TYPE = {
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  STACK_TRACE: 7,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  RINGBUF: 27,
} as const;

export const PERF_TYPE = {
  HARDWARE: 0,
  SOFTWARE: 1,
  TRACEPOINT: 2,
  HW_CACHE: 3,
  RAW: 4,
  BREAKPOINT: 5,
} as const;
