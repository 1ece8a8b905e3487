// BPF object → kernel → events and maps → output. One entry point: `run(plan, options)`.
//
// Creates the maps, loads every program, runs BEGIN, attaches the probes,
// consumes the ring buffer through libuv until exit()/SIGINT/SIGTERM, then
// detaches, runs END and prints the maps. Every fd is closed on every path.
import type { CompiledPlan, PrintfPlan, ProgramPlan } from '../codegen/plan';
import { EVENT_EXIT, EVENT_ATTACH_REPORTED, EVENT_UNWATCH, EVENT_PID_SEEN, RINGBUF_WAKEUP_NS, COUNTER_EXIT, COUNTER_LOST_EVENTS, COUNTER_MAP_FULL, EVENT_JOIN, EVENT_TIME, JOIN_ARG_SIZE, EVENT_PRINT_BASE, EVENT_PRINT_MAP, EVENT_CLEAR_MAP, EVENT_ZERO_MAP, COUNTER_ONE, CONFIG_START_NS, CONFIG_CPID, CONFIG_TARGET_PID, CONFIG_NCPUS, CONFIG_WAKEUP, CONFIG_WORDS, BPF_RB_NO_WAKEUP } from '../codegen/plan';
import { onlineCpus } from '../host';
import { providers } from '../probes';
import { Attachment, EnvironmentError, FeatureUnavailableError, ProbeMatch } from '../probes/provider';
import { native, forEachRingRecord, LoadProgramError, type NativePrintfFormat } from './native';
import { explainVerifierLog } from '../explain/verifier';
import { programBtf, funcInfo } from './progbtf';
import { decodeValue, snapshotMap, scalarColumns, DecodeContext } from './decode';
import { formatColumnsText } from '../output/columns';
import { compileRecordPrintf, recordPrintfFormat } from './printf-record';
import { strftime } from '../output/strftime';
import { compilePrintf, CompiledPrintf } from '../output/printf';
import { compareMapNames, formatMapText, formatPrintValue } from '../output/text';
import { formatMapsAtExitJson, formatMapJson, jsonAttachedProbes, jsonLostEvents, jsonMessage, jsonPrintf, jsonValue } from '../output/json';
import { formatLostEvents, MAP_FULL_WARNING } from '../output/text';
import { storageSize, align8 } from '../checker/types';
import type { Value } from '../output/value';
import type { MapSnapshot } from '../output/value';
import { mark } from '../timing';
import type { HeldChild } from './child';
import { watchProcessExit } from './watch';
import { runCat, runSystem } from './actions';
import { runIterator } from './iter';
import { preloadKernelSymbolsFor, rememberProcess } from './symbols';
import { jsonMessageRecord, plainMessage, type MessageLevel } from './messages';

export interface RunOptions {
  format: 'text' | 'json';
  quiet: boolean;
  verbose: boolean;
  /** Writes program output (stdout or the -o file). Strings are byte strings. */
  write: (text: string) => void;
  /** Print `__BPFTRACE_NOTIFY_PROBES_ATTACHED` once attached (test-harness protocol). */
  notifyAttached: boolean;
  /** The fd output goes to: when its reader goes away (terminal, pipe), tracing stops. */
  outputFd?: number;
  /** Writes out output held back by the -B mode. */
  flush?: () => void;
  /** Reports a runtime warning (stderr); the default prints it without a source excerpt. */
  warn?: (message: string, loc?: import('../ast/nodes').Loc) => void;
  /** errorf()/warnf() text, reported at the call (stderr, with the source excerpt). */
  message?: (level: MessageLevel, text: string, loc: import('../ast/nodes').Loc) => void;
  /** -p PID: uprobes/USDT attach to it, probes filter on it, the run ends when it exits. */
  targetPid?: number;
  /** -c CMD: held until attached, `cpid`, the run ends when it exits. */
  child?: HeldChild;
}

const RESOURCE_ERRORS = new Set(['EMFILE', 'ENFILE', 'ENOMEM']);

/**
 * Ring-buffer size from BPFTRACE_PERF_RB_PAGES (bpftrace's per-CPU perf
 * buffer pages; here pages of the one shared ring), rounded up to a power of two.
 */
export function ringbufBytesFromEnv(planned: number): number {
  const pages = Number(process.env.BPFTRACE_PERF_RB_PAGES);
  if (!Number.isInteger(pages) || pages <= 0) return planned;
  let bytes = 4096;
  while (bytes < pages * 4096 && bytes < 1 << 30) bytes *= 2;
  return bytes;
}

/** A runtime failure with a one-line message and bpftrace's exit code. */
export class RuntimeError extends Error {
  constructor(message: string, readonly exitCode = 1, readonly detail?: string, readonly loc?: import('../ast/nodes').Loc,
    /** Lines printed after the located message (verifier explanations). */
    readonly notes: string[] = []) {
    super(message);
  }
}

export { verifierReason } from '../explain/verifier';

interface LoadedProgram {
  fd: number;
  match: ProbeMatch;
  special?: 'begin' | 'end';
}

class Session {
  readonly mapFds: number[] = [];
  readonly programs: LoadedProgram[] = [];
  readonly attachedFds: number[] = [];
  ringbuf = -1;
  exitCode = 0;
  /** exit() ran: records after it are dropped, as in bpftrace. */
  exiting = false;
  /** Records the BPF side could not deliver, already reported. */
  private lostReported = 0n;
  private readonly mapsWarnedFull = new Set<string>();
  private onExit?: () => void;
  private readonly printfs = new Map<number, { plan: PrintfPlan; format: CompiledPrintf; offsets: number[]; fromRecord?: (rec: Buffer) => string }>();
  private readonly decodeCtx: DecodeContext;
  readonly numCpus = native.numPossibleCpus();
  private btfFd = -1;

  constructor(readonly plan: CompiledPlan, readonly options: RunOptions) {
    this.decodeCtx = { probeNames: plan.probeNames, stackFrames: (user, limit, id) => this.stackFrames(user, limit, id) };
    for (const p of plan.printfs) {
      let at = 8;
      const offsets = p.argTypes.map((t) => {
        const o = at;
        at += align8(storageSize(t));
        return o;
      });
      this.printfs.set(p.id, { plan: p, format: compilePrintf(p.format), offsets, fromRecord: compileRecordPrintf(p.format, p.argTypes, offsets) });
    }
  }

  /** Frames of a stack id from the stack-trace map (up to the first 0 ip). */
  private stackFrames(user: boolean, limit: number, id: number): bigint[] {
    const name = `${user ? 'stack_user' : 'stack_kernel'}_${limit}`;
    const index = this.plan.maps.findIndex((m) => m.role === 'stack' && m.name === name);
    const fd = this.mapFds[index];
    if (index < 0 || fd === undefined) return [];
    const key = Buffer.alloc(4);
    key.writeUInt32LE(id >>> 0);
    const m = this.plan.maps[index];
    const v = native.mapLookup(fd, key, m.valueSize);
    const out: bigint[] = [];
    if (!v) return out;
    for (let at = 0; at + 8 <= v.length; at += 8) {
      const ip = v.readBigUInt64LE(at);
      if (ip === 0n) break;
      out.push(ip);
    }
    return out;
  }

  createMaps(): void {
    for (const m of this.plan.maps) {
      try {
        const maxEntries = m.role === 'ringbuf' ? ringbufBytesFromEnv(m.maxEntries) : m.maxEntries;
        this.mapFds.push(native.createMap(m.bpfType, m.name.replace(/^@/, 'AT_') || 'AT_', m.keySize, m.valueSize, maxEntries, 0));
      } catch (e) {
        throw new RuntimeError(`Failed to create map ${m.name}: ${(e as Error).message}`);
      }
    }
  }

  loadPrograms(): void {
    const byName = new Map(providers.map((p) => [p.name, p]));
    for (const p of this.plan.programs) {
      const provider = byName.get(p.provider)!;
      const match: ProbeMatch = { provider, name: p.probeName, detail: p.detail };
      try {
        const { fd } = native.loadProgram({
          type: p.progType, name: p.functionName, insns: Buffer.from(p.insns!, 'base64'),
          fdArray: this.mapFds, license: 'GPL', logLevel: 0, ...provider.loadOptions?.(match), ...this.btfFor(p),
        });
        this.programs.push({ fd, match, special: provider.special });
      } catch (e) {
        const err = e as LoadProgramError;
        // A kernel without the feature (e.g. no BPF trampolines): one line, no verifier talk.
        const missing = provider.explainLoadError?.(match, err);
        if (missing) throw new RuntimeError(missing, 1, err.log);
        const why = explainVerifierLog(err.log, p, this.plan);
        const notes = [
          ...(why.insn !== undefined ? [`the verifier stopped at BPF instruction ${why.insn}: ${why.insnText ?? '?'}`] : []),
          ...(why.plain ? [`in plain words: ${why.plain}`] : []),
          '(run with -v for the verifier log)',
        ];
        throw new RuntimeError(
          `the kernel's verifier rejected the BPF program of probe ${p.probeName}: ${why.reason ?? err.message}`,
          1, err.log, why.loc ?? p.loc, notes);
      }
    }
  }

  /** Decodes a batch of ring-buffer records and writes their output in one go. */
  handleBatch = (batch: Buffer): void => {
    let out = '';
    // After exit() the rest of a batch (a busy probe fills the ring with
    // thousands of records before exit() is seen) is skipped, unless a set-up program may
    // have stopped a process that only its record lets us continue, or a
    // process whose stacks the maps hold reports itself (EVENT_PID_SEEN).
    const mustReadAll = this.programs.some((p) => p.match.provider.attachReported !== undefined) ||
      this.plan.maps.some((m) => m.role === 'pids');
    forEachRingRecord(batch, (rec, formatted) => {
      if (formatted) {
        // A run of printf records the native consumer formatted (text output only).
        if (!this.exiting) out += rec.toString('latin1');
        return;
      }
      // The u64 header without a BigInt per record (kinds fit in 32 bits).
      const kind = rec.readUInt32LE(0) + rec.readUInt32LE(4) * 4294967296;
      // Before the exit() check: a process stopped for it must be continued whatever happens.
      if (kind === EVENT_ATTACH_REPORTED) {
        this.attachReported(Number(rec.readBigUInt64LE(8)), rec.readBigUInt64LE(16));
        return;
      }
      // Even after exit(): the maps printed at exit may hold this process's stacks.
      if (kind === EVENT_PID_SEEN) {
        rememberProcess(Number(rec.readBigUInt64LE(8)));
        return;
      }
      if (this.exiting) return; // events after exit() are dropped, as in bpftrace
      if (kind === EVENT_UNWATCH) {
        this.unwatch(rec.readBigUInt64LE(8));
        return;
      }
      if (kind === EVENT_EXIT) {
        this.exitCode = rec.length >= 16 ? Number(rec.readBigInt64LE(8)) : 0; // (exit() without a code: the header alone)
        this.exiting = true;
        // What was printed before exit() goes out now, not after the rest of the batch.
        if (out) this.options.write(out);
        out = '';
        this.requestStop();
        return;
      }
      if (kind === EVENT_TIME) {
        const fmt = this.plan.timeFormats?.[Number(rec.readBigUInt64LE(8))] ?? '%H:%M:%S\n';
        const text = strftime(fmt, BigInt(Date.now()) * 1_000_000n);
        out += this.options.format === 'json' ? jsonMessage('time', text) + '\n' : text;
        return;
      }
      if (kind === EVENT_JOIN) {
        const n = Number(rec.readBigUInt64LE(16));
        const parts: string[] = [];
        for (let i = 0; i < n; i++) {
          const at = 24 + i * JOIN_ARG_SIZE;
          const end = rec.indexOf(0, at);
          parts.push(rec.toString('latin1', at, end < 0 || end > at + JOIN_ARG_SIZE ? at + JOIN_ARG_SIZE : end));
        }
        const text = parts.join(this.plan.joins[Number(rec.readBigUInt64LE(8))] ?? ' ');
        out += this.options.format === 'json' ? jsonMessage('join', text) + '\n' : text + '\n';
        return;
      }
      if (kind >= EVENT_PRINT_MAP) {
        out += this.mapEvent(kind, Number(rec.readBigInt64LE(8)), rec);
        return;
      }
      if (kind >= EVENT_PRINT_BASE) {
        const print = this.plan.prints[kind - EVENT_PRINT_BASE];
        if (!print) return;
        const v = decodeValue(rec, 8, print.type, this.decodeCtx);
        out += this.options.format === 'json' ? jsonValue(v) + '\n' : formatPrintValue(v);
        return;
      }
      const site = this.printfs.get(kind);
      if (!site) return;
      const text = site.fromRecord ? site.fromRecord(rec) : site.format(site.plan.argTypes.map((t, i) => decodeValue(rec, site.offsets[i], t, this.decodeCtx)));
      if ((site.plan.action === 'errorf' || site.plan.action === 'warnf') && site.plan.loc) {
        if (this.options.format === 'json') {
          out += jsonMessageRecord(site.plan.action, text, site.plan.loc);
          return;
        }
        if (out) this.options.write(out);
        out = '';
        const level = site.plan.action === 'errorf' ? 'ERROR' : 'WARNING';
        if (this.options.message) this.options.message(level, text, site.plan.loc);
        else process.stderr.write(plainMessage(level, text, site.plan.loc));
        return;
      }
      if (site.plan.action) {
        // Output so far goes first: the command's or file's text follows it.
        if (out) this.options.write(out);
        out = site.plan.action === 'system' ? runSystem(text, this.options.format) : runCat(text, this.options.format);
        return;
      }
      out += this.options.format === 'json' ? jsonPrintf(text) + '\n' : text;
    }, () => this.exiting && !mustReadAll);
    if (out) this.options.write(out);
    this.reportLost();
    this.reportMapsFull();
    // After exit() later records are dropped: no follow-up look (its first timer costs ~2 ms of a start).
    if (!this.exiting) this.armFollowUp();
  };

  /**
   * We look again RINGBUF_WAKEUP_NS after each batch, so until then records
   * are submitted without waking us (config word CONFIG_WAKEUP).
   */
  private armFollowUp(): void {
    if (this.followUp || this.ringbuf < 0) return;
    this.setWakeup(BPF_RB_NO_WAKEUP);
    this.followUp = setTimeout(() => this.followUpLook(), RINGBUF_WAKEUP_NS / 1e6);
    this.followUp.unref();
  }
  private followUp?: NodeJS.Timeout;

  /**
   * A batch re-arms the follow-up (handleBatch). A look that finds nothing
   * switches records back to the kernel's wakeup, then looks at the ring's
   * positions once more: a program that read the old flag had reserved its
   * record before reading it, so the record shows here (committed or still
   * being written) and gets one more look. The one gap: BPF has no fence,
   * so a reservation still in its CPU's store buffer while that CPU reads
   * the flag (a window of ~100 ns at the switch) can be missed, along with
   * the records queued behind it (the kernel wakes only a caught-up
   * consumer); the once-a-second look (lookAtRing) picks them up.
   */
  private followUpLook(): void {
    this.followUp = undefined;
    if (this.ringbuf < 0) return;
    native.ringbufConsume(this.ringbuf);
    if (this.followUp || this.ringbuf < 0 || this.exiting) return;
    this.setWakeup(0);
    if (native.ringbufPending(this.ringbuf)) this.armFollowUp();
  }

  /** Reads what the ring holds now (the once-a-second timer: see followUpLook). */
  lookAtRing(): void {
    if (this.ringbuf >= 0 && !this.exiting && !this.followUp) native.ringbufConsume(this.ringbuf);
  }

  /** Config word CONFIG_WAKEUP: the flags printf and friends submit with. */
  private setWakeup(flags: number): void {
    if (flags === this.wakeup || !this.config) return;
    this.config.value.writeBigUInt64LE(BigInt(flags), CONFIG_WAKEUP * 8);
    native.mapUpdate(this.config.fd, Buffer.alloc(4), this.config.value, 0);
    this.wakeup = flags;
  }
  private wakeup = 0;
  private config?: { fd: number; value: Buffer };

  /** Text output: printf sites of the common conversions are formatted by the native consumer, a run of records per string. */
  formatNatively(): void {
    if (this.options.format === 'json' || this.ringbuf < 0) return;
    const formats = this.plan.printfs.filter((p) => !p.action)
      .map((p) => recordPrintfFormat(p.id, p.format, p.argTypes, this.printfs.get(p.id)!.offsets))
      .filter((f): f is NativePrintfFormat => f !== undefined);
    if (formats.length) native.ringbufSetFormats(this.ringbuf, formats);
  }

  /** One warning per map, the first time an insert into it failed (on any CPU). */
  private warnMapFull(site: number): void {
    const s = this.plan.mapUpdateSites?.[site];
    if (!s || this.mapsWarnedFull.has(s.map)) return;
    this.mapsWarnedFull.add(s.map);
    const warn = this.options.warn ?? ((m: string) => process.stderr.write(`WARNING: ${m}\n`));
    warn(MAP_FULL_WARNING, s.loc);
  }

  /** The counters map's value (plan.ts COUNTER_*), one copy shared by all CPUs. */
  private counters(): Buffer | undefined {
    const index = this.plan.maps.findIndex((m) => m.role === 'counters');
    const fd = this.mapFds[index];
    if (index < 0 || fd === undefined) return undefined;
    return native.mapLookup(fd, Buffer.alloc(4), this.plan.maps[index].valueSize) ?? undefined;
  }

  private counter(word: number, counters = this.counters()): bigint {
    return counters && counters.length >= (word + 1) * 8 ? counters.readBigUInt64LE(word * 8) : 0n;
  }
  /**
   * `Lost N events` for records dropped since the last report (ring buffer
   * full), and an exit() whose event was one of them.
   */
  reportLost(): void {
    const counters = this.counters();
    const lost = this.counter(COUNTER_LOST_EVENTS, counters);
    // (A lost exit() record is not counted as lost: look for its request whenever records are lost, and every second.)
    if (!this.exiting && (lost > 0n || this.counter(COUNTER_EXIT, counters) !== 0n)) this.checkLostExit(counters);
    if (lost <= this.lostReported) return;
    const n = lost - this.lostReported;
    this.lostReported = lost;
    this.options.write(this.options.format === 'json' ? jsonLostEvents(n) + '\n' : formatLostEvents(n));
  }

  /**
   * Once records have been lost, exit() may have been one of them: look for
   * its request in the counters now, and again shortly (the batch that
   * would have carried it may never come).
   */
  private checkLostExit(counters = this.counters()): void {
    const exit = this.counter(COUNTER_EXIT, counters);
    if (exit !== 0n) {
      this.exitCode = Number(BigInt.asIntN(64, exit - 1n));
      this.exiting = true;
      this.requestStop();
      return;
    }
    if (this.lostExitTimer || this.stopping) return;
    this.lostExitTimer = setTimeout(() => {
      this.lostExitTimer = undefined;
      if (!this.exiting && !this.stopping && this.ringbuf >= 0) this.checkLostExit();
    }, 100);
  }
  private lostExitTimer?: NodeJS.Timeout;

  /**
   * `Map full` warnings for update sites whose insert failed since the last
   * look (after every batch, every second, at exit), one per map: the
   * first failing site of the map in source order.
   */
  reportMapsFull(): void {
    const sites = this.plan.mapUpdateSites ?? [];
    if (sites.length === 0 || this.mapsWarnedFull.size === new Set(sites.map((x) => x.map)).size) return;
    const counters = this.counters();
    sites.forEach((s, site) => {
      if (!this.mapsWarnedFull.has(s.map) && this.counter(COUNTER_MAP_FULL + site, counters) !== 0n) this.warnMapFull(site);
    });
  }

  /** print(@m, top, div), clear(@m), zero(@m): done in user space, when the event arrives, as bpftrace does. */
  private mapEvent(kind: number, mapIndex: number, rec: Buffer): string {
    const plan = this.plan.maps[mapIndex];
    if (!plan) return '';
    if (kind === EVENT_PRINT_MAP) {
      const snap = this.snapshot(mapIndex);
      const top = Number(rec.readBigInt64LE(16));
      const div = rec.readBigInt64LE(24);
      if (this.options.format === 'json') {
        const line = formatMapJson(snap, top, div);
        return line ? line + '\n' : '';
      }
      return formatMapText(snap, top, div);
    }
    const fd = this.mapFds[mapIndex];
    const valueBytes = plan.percpu ? align8(plan.valueSize) * this.numCpus : plan.valueSize;
    const dump = native.mapDump(fd, plan.keySize, valueBytes, plan.maxEntries);
    const zero = Buffer.alloc(valueBytes);
    for (let i = 0; i < dump.count; i++) {
      const key = dump.keys.subarray(i * plan.keySize, (i + 1) * plan.keySize);
      // Arrays can't lose keys: clearing one zeroes it (bpftrace 0.17 does the same).
      if (kind === EVENT_ZERO_MAP || plan.bpfType === 6 || plan.bpfType === 2) native.mapUpdate(fd, key, zero, 0);
      else native.mapDelete(fd, key);
    }
    return '';
  }

  /** Ends the wait for events (exit(), a signal); records already in the ring are still printed. */
  requestStop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.onExit?.();
  }
  private stopping = false;

  drain(): void {
    if (this.ringbuf >= 0) native.ringbufConsume(this.ringbuf);
  }

  runSpecial(which: 'begin' | 'end'): void {
    for (const p of this.programs) {
      if (p.special !== which) continue;
      native.testRun(p.fd);
      this.drain();
    }
  }

  /** Per program placed at run time (watchpoint:FUNC+argN), the address it was last attached at. */
  private readonly reportedAt = new Map<number, bigint>();
  /** A failure to attach a probe at run time: the run stops and this is reported, as bpftrace does. */
  fatal?: RuntimeError;

  private attachContext() {
    return { native, numCpus: this.numCpus, pid: this.options.child?.pid ?? this.options.targetPid };
  }

  /**
   * A set-up program reported where program `index` goes: attach it there
   * (the same address again is ignored, as in bpftrace), then continue the
   * process if the set-up program stopped it.
   */
  private attachReported(index: number, address: bigint): void {
    const p = this.programs[index];
    if (!p?.match.provider.attachReported) return;
    const ctx = this.attachContext();
    try {
      if (this.stopping || this.reportedAt.get(index) === address) return;
      this.reportedAt.set(index, address);
      this.keep(p.match.provider.attachReported(p.match, p.fd, ctx, address));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') {
        // bpftrace 0.17's words; it goes on without this breakpoint.
        const text = 'Failed to attach watchpoint probe. You are out of watchpoint registers.';
        this.options.write(this.options.format === 'json' ? jsonMessage('lost_events', text) + '\n' : text + '\n');
      } else {
        this.fatal = new RuntimeError(`Error attaching probe: '${p.match.name}': ${(e as Error).message}`, 255, undefined,
          this.plan.programs[index]?.loc);
        this.requestStop();
      }
    } finally {
      if (p.match.detail.stopsProcess && ctx.pid !== undefined) {
        try {
          process.kill(ctx.pid, 'SIGCONT');
        } catch {
          // it has exited
        }
      }
    }
  }

  /** Descriptors of the breakpoints on each address, for unwatch(). */
  private readonly watched = new Map<bigint, number[]>();

  /** The attached iter probe: its link is read (or pinned) instead of waiting for events. */
  private iterator?: { linkFd: number; match: ProbeMatch };

  private keep(a: Attachment, match?: ProbeMatch): void {
    this.attachedFds.push(...a.fds);
    if (a.iterator && match) this.iterator = { linkFd: a.fds[0], match };
    if (a.watches !== undefined) this.watched.set(a.watches, [...(this.watched.get(a.watches) ?? []), ...a.fds]);
  }

  /** unwatch(addr): closes every breakpoint on addr; an address nothing watches is ignored, as in bpftrace. */
  private unwatch(address: bigint): void {
    const fds = this.watched.get(address);
    if (!fds) return;
    this.watched.delete(address);
    for (const fd of fds) {
      const i = this.attachedFds.indexOf(fd);
      if (i >= 0) this.attachedFds.splice(i, 1);
      native.closeFd(fd);
    }
  }

  /** Script order, except that types the kernel runs newest first are attached last to first (Provider.attachInReverse). */
  private attachOrder(): LoadedProgram[] {
    const probes = this.programs.filter((p) => !p.special);
    return [...probes.filter((p) => !p.match.provider.attachInReverse), ...probes.filter((p) => p.match.provider.attachInReverse).reverse()];
  }

  attach(): void {
    for (const p of this.attachOrder()) {
      try {
        this.keep(p.match.provider.attach(p.match, p.fd, this.attachContext()), p.match);
      } catch (e) {
        if (e instanceof FeatureUnavailableError) throw new RuntimeError(e.message, 255);
        if (e instanceof EnvironmentError) throw new RuntimeError(e.message, 1);
        // One probe of a wildcard set the kernel refuses (an unprobeable function) is skipped, as
        // bpftrace does; running out of descriptors or memory is not about that probe.
        if (p.match.detail.fromWildcard && !RESOURCE_ERRORS.has((e as NodeJS.ErrnoException).code ?? '')) {
          const warn = this.options.warn ?? ((m: string) => process.stderr.write(`WARNING: ${m}\n`));
          warn(`could not attach probe ${p.match.name}, skipping: ${(e as Error).message}`);
          continue;
        }
        throw new RuntimeError(`Error attaching probe: '${p.match.name}': ${(e as Error).message}`, 255, undefined, this.plan.programs.find((x) => x.probeName === p.match.name)?.loc);
      }
    }
  }

  detach(): void {
    // All at once: each close of an attached probe waits for the kernel (RCU); in parallel the waits overlap.
    native.closeFds(this.attachedFds.splice(0));
  }

  /** Runs the iter probe, if one is attached, to the end of its objects; false when there is none. */
  async runIterator(): Promise<boolean> {
    if (!this.iterator) return false;
    const { linkFd, match } = this.iterator;
    const pin = match.detail.pin === undefined ? undefined : String(match.detail.pin);
    try {
      await runIterator(linkFd, pin, { write: this.options.write, drain: () => this.drain(), stopped: () => this.stopping });
    } catch (e) {
      throw new RuntimeError(pin !== undefined ? `Failed to pin iter probe link: ${(e as Error).message}` : `Failed to run iter probe ${match.name}: ${(e as Error).message}`);
    }
    this.requestStop();
    return true;
  }

  waitForExit(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      this.onExit = resolve;
    });
  }

  private dump(index: number): { keys: Buffer; values: Buffer; count: number } {
    const m = this.plan.maps[index];
    const valueBytes = m.percpu ? align8(m.valueSize) * this.numCpus : m.valueSize;
    return native.mapDump(this.mapFds[index], m.keySize, valueBytes, m.maxEntries);
  }

  snapshot(index: number): MapSnapshot {
    return snapshotMap(this.plan.maps[index], this.dump(index), this.numCpus, this.decodeCtx);
  }

  /**
   * Every user map as text, in formatMapsAtExit's order; count/sum maps with
   * one integer key go straight from the dump's bytes (output/columns).
   */
  mapsText(): string {
    const order = this.plan.maps.map((m, i) => ({ m, i })).filter(({ m }) => m.role === 'user')
      .sort((a, b) => compareMapNames(a.m.name, b.m.name));
    let out = '';
    for (const { m, i } of order) {
      const dump = this.dump(i);
      const columns = scalarColumns(m, dump, this.numCpus);
      out += columns ? formatColumnsText(columns) : formatMapText(snapshotMap(m, dump, this.numCpus, this.decodeCtx));
    }
    return out;
  }

  snapshots(): MapSnapshot[] {
    const out: MapSnapshot[] = [];
    this.plan.maps.forEach((m, i) => {
      if (m.role === 'user') out.push(this.snapshot(i));
    });
    return out;
  }

  /** Values user space hands to BPF code (start time for `elapsed`). */
  writeConfig(): void {
    const i = this.plan.maps.findIndex((m) => m.role === 'config');
    if (i < 0) return;
    const value = Buffer.alloc(CONFIG_WORDS * 8);
    value.writeBigUInt64LE(native.boottimeNs(), CONFIG_START_NS * 8);
    value.writeBigUInt64LE(BigInt(onlineCpus()), CONFIG_NCPUS * 8);
    const target = this.options.child?.pid ?? this.options.targetPid;
    if (this.options.child) value.writeBigUInt64LE(BigInt(this.options.child.pid), CONFIG_CPID * 8);
    if (target !== undefined) value.writeBigUInt64LE(BigInt(target), CONFIG_TARGET_PID * 8);
    native.mapUpdate(this.mapFds[i], Buffer.alloc(4), value, 0);
    this.config = { fd: this.mapFds[i], value };
    const c = this.plan.maps.findIndex((m) => m.role === 'counters');
    if (c >= 0) {
      const counters = Buffer.alloc(this.plan.maps[c].valueSize);
      counters.writeBigUInt64LE(1n, COUNTER_ONE * 8);
      native.mapUpdate(this.mapFds[c], Buffer.alloc(4), counters, 0);
    }
  }

  /** BTF func_info for programs with callback subprograms; the BTF is loaded once per session. */
  private btfFor(p: ProgramPlan): { progBtfFd?: number; funcInfo?: Buffer } {
    if (!p.subprogramOffsets?.length) return {};
    if (this.btfFd < 0) {
      try {
        this.btfFd = native.loadBtf(programBtf());
      } catch (e) {
        throw new RuntimeError(`cannot load the BTF that for-map loops need: ${(e as Error).message}`);
      }
    }
    return { progBtfFd: this.btfFd, funcInfo: funcInfo(p.subprogramOffsets) };
  }

  close(): void {
    if (this.lostExitTimer) clearTimeout(this.lostExitTimer);
    if (this.followUp) clearTimeout(this.followUp);
    this.detach();
    if (this.btfFd >= 0) native.closeFd(this.btfFd);
    this.btfFd = -1;
    if (this.ringbuf >= 0) native.ringbufClose(this.ringbuf);
    this.ringbuf = -1;
    for (const p of this.programs.splice(0)) native.closeFd(p.fd);
    for (const fd of this.mapFds.splice(0)) native.closeFd(fd);
  }
}

/**
 * Signals that stop tracing the way exit() does: END runs, maps print once.
 * SIGHUP too (bpftrace 0.17 dies on it, losing the maps; docs/compat.md): a
 * closed terminal or killed parent shell must not leave probes attached, and
 * output may be going to a file (-o) that still wants the maps.
 */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Runs a compiled plan to completion; resolves to the exit code. */
export async function run(plan: CompiledPlan, options: RunOptions): Promise<number> {
  const session = new Session(plan, options);
  const stop = () => session.requestStop();
  const stopListening = () => {
    for (const sig of STOP_SIGNALS) process.removeListener(sig, stop);
  };
  // A silent script would not notice its reader is gone until exit: watch for it.
  const hangupWatch = options.outputFd === undefined ? 0 : native.watchHangup(options.outputFd, stop);
  try {
    session.createMaps();
    mark('maps created');
    session.loadPrograms();
    mark('programs loaded');
    // Only reachable on a kernel that loads fentry programs (this project's VM refuses them).
    if (plan.maps.some((m) => m.role === 'perf')) throw new RuntimeError('skboutput(): writing pcap files is not implemented by tstrace yet (the program loaded, but nothing would read its packets)');
    const ringIndex = plan.maps.findIndex((m) => m.role === 'ringbuf');
    session.ringbuf = native.ringbufOpen(session.mapFds[ringIndex], session.handleBatch);
    session.formatNatively();

    if (!options.quiet) {
      const n = plan.attachPointCount;
      options.write(options.format === 'json' ? jsonAttachedProbes(n) + '\n' : `Attaching ${n} probe${n === 1 ? '' : 's'}...\n`);
    }
    for (const sig of STOP_SIGNALS) process.on(sig, stop);

    session.writeConfig();
    session.runSpecial('begin');
    // exit() in BEGIN: nothing else needs attaching.
    mark('BEGIN run');
    if (!session.exiting) session.attach();
    mark('attached');
    preloadKernelSymbolsFor(plan);
    if (options.notifyAttached) {
      options.write('__BPFTRACE_NOTIFY_PROBES_ATTACHED\n');
      options.flush?.(); // the harness waits for it, whatever the -B mode
    }
    // The traced process ending ends the run, as in bpftrace.
    options.child?.exited.then(stop);
    const unwatch = options.targetPid !== undefined ? watchProcessExit(options.targetPid, stop) : undefined;
    if (!session.exiting) options.child?.release();

    // A full map, or an exit() whose record did not fit, is noticed within a second even with no events flowing
    // (not armed after an exit() in BEGIN: the first timer costs a warm start ~1 ms).
    const fullWatch = session.exiting ? undefined : setInterval(() => {
      session.lookAtRing();
      session.reportLost();
      session.reportMapsFull();
    }, 1000);
    if (!(await session.runIterator())) await session.waitForExit();
    mark('stopping');
    clearInterval(fullWatch);
    unwatch?.();
    if (session.fatal) throw session.fatal;
    options.child?.terminate();
    // Signals during detach and END are absorbed (we are already stopping).
    // As in bpftrace, END and the map printing see no probe fire after them:
    // closing returns once the kernel has detached each probe (the grace periods
    // run in parallel, see detach).
    session.detach();
    mark('detached');
    session.drain();
    session.exiting = false;
    session.runSpecial('end');
    session.exiting = true;
    mark('END run');
    session.reportLost();
    session.reportMapsFull();
    // A second Ctrl-C while printing maps kills us, as in bpftrace (force
    // quit); the kernel releases everything when the process dies.
    stopListening();

    if (options.format === 'json') {
      options.write('\n\n');
      for (const line of formatMapsAtExitJson(session.snapshots())) options.write(line + '\n');
    } else {
      options.write('\n\n' + session.mapsText());
    }
    mark('maps printed');
    return session.exitCode;
  } finally {
    stopListening();
    if (hangupWatch) native.unwatchHangup(hangupWatch);
    options.child?.terminate();
    session.close();
  }
}
