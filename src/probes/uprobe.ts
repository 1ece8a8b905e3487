// uprobe:TARGET:SYMBOL[+OFFSET], uprobe:TARGET:ADDRESS and uretprobe:TARGET:SYMBOL
// (aliases u, ur) — user-space dynamic probes through the uprobe perf PMU
// (perf_event_open with the PMU's type, config1 = path of the binary,
// config2 = file offset, the retprobe bit in config). Program type KPROBE;
// the context is `struct pt_regs`. TARGET is a path, a program in $PATH or a
// library short name (`libc`); symbols come from the ELF symbol tables.
import { FeatureUnavailableError, MissingTargetError, ProbeError, Provider, ProbeMatch } from './provider';
import { openForTarget } from './perf';
import { dynamicPmu, retprobeConfig } from './pmu';
import { parseAddress, ptRegsArgs, splitOffset } from './regs';
import { hasWildcard, wildcardToRegExp } from './wildcard';
import { demangled, withoutParameters } from './demangle';
import { childProcess } from '../subprocess';
import * as fs from 'fs';
import { ElfError, ElfFile, ElfSymbol } from './elf';
import { globTargets, resolveUprobeTarget } from './libpath';

const BPF_PROG_TYPE_KPROBE = 2;

function uprobeLike(ret: boolean): Provider {
  const kind = ret ? 'uretprobe' : 'uprobe';
  const provider: Provider = {
    name: kind,
    aliases: [ret ? 'ur' : 'u'],
    progType: BPF_PROG_TYPE_KPROBE,
    attachInReverse: true,

    match(parts, ap) {
      // `uprobe:BIN:cpp:NAME` (current bpftrace) matches demangled C++ names only.
      const cppOnly = parts.length === 3 && parts[1] === 'cpp';
      if (parts.length !== 2 && !cppOnly) throw new ProbeError(`${kind} probe type requires 2 arguments`);
      const target = parts[0];
      const spec = parts[parts.length - 1];
      if (hasWildcard(target)) {
        const files = globTargets(target);
        const out: ProbeMatch[] = [];
        for (const file of files) {
          try {
            out.push(...provider.match([file, ...parts.slice(1)], ap));
          } catch (e) {
            if (!(e instanceof ProbeError)) throw e; // a file without the function: skipped
          }
        }
        if (out.length === 0) throw new ProbeError(`No ${kind} probes match ${target}:${spec}${files.length ? ` (searched ${files.length} files)` : ': no executable or library matches the path'}`);
        return out;
      }
      const path = resolveUprobeTarget(target);
      if (!path) throw new ProbeError(`uprobe target file '${target}' does not exist or is not executable`);
      // The detail names the location symbolically; attach() turns it into a
      // file offset again, so a cached plan never probes a rebuilt binary at a stale offset.
      const make = (label: string, detail: { func?: string; offset?: number; address?: number }): ProbeMatch => ({
        provider, name: `${kind}:${path}:${label}`, detail: { path, func: '', offset: 0, address: -1, ...detail },
      });
      try {
        // An address (bpftrace: anything strtoll accepts completely) rather than a symbol.
        if (/^(0x[0-9a-f]+|[0-9]+)$/i.test(spec)) {
          const m = make(String(parseAddress(spec)), { address: parseAddress(spec) });
          locate(m);
          return [m];
        }
        const { name: func, offset } = splitOffset(spec, !ret);
        const elf = loadElf(path);
        if (hasWildcard(func)) {
          if (offset) throw new ProbeError('Offsets cannot be combined with wildcards');
          const names = cppMatches(path, elf, func, cppOnly, true);
          if (names.length === 0) throw new ProbeError(`No functions in ${path} match ${func}`);
          return names.map((n) => make(n, { func: n }));
        }
        // A C++ function by its demangled name, with or without parameters; the probe is named by the symbol.
        const funcs = !cppOnly && elf.find(func) ? [func] : cppMatches(path, elf, func, cppOnly, false);
        if (funcs.length === 0) {
          throw new MissingTargetError(`Could not resolve symbol: ${path}:${func}`, [make(offset ? `${func}+${offset}` : func, { func, offset })]);
        }
        return funcs.map((f) => {
          const m = make(offset ? `${f}+${offset}` : f, { func: f, offset });
          locate(m);
          return m;
        });
      } catch (e) {
        if (e instanceof ElfError) throw new ProbeError(`uprobe target file '${target}': ${e.message}`);
        throw e;
      }
    },

    contextArgs: () => ptRegsArgs(ret),

    list([target]) {
      const path = target === undefined || hasWildcard(target) ? undefined : resolveUprobeTarget(target);
      if (!path) return [];
      try {
        return [...loadElf(path).symbols.keys()].map((f) => ({ name: `${kind}:${path}:${f}`, searchName: `${kind}:${target}:${f}` }));
      } catch {
        return [];
      }
    },

    attach(m, progFd, ctx) {
      const pmu = dynamicPmu('uprobe');
      if (!pmu) {
        throw new FeatureUnavailableError(
          `${m.name}: uprobes are not available in this kernel (no uprobe PMU in /sys/bus/event_source/devices); ` +
            'use a tracepoint such as tracepoint:syscalls:sys_enter_* instead');
      }
      const attr = {
        type: pmu.type, config: retprobeConfig(pmu, ret),
        config1: String(m.detail.path), config2: locate(m), samplePeriod: 1, wakeupEvents: 1,
      };
      try {
        return { fds: [openForTarget(ctx, attr, progFd)] };
      } catch (e) {
        // ENOTSUPP (kernel-internal 524, no libc name): x86 uprobes can't single-step that instruction.
        if ((e as { errno?: number }).errno === 524) throw new Error(`the kernel can't place a uprobe on the instruction there (ENOTSUPP)`);
        throw e;
      }
    },
  };
  return provider;
}

/**
 * Symbols of `elf` that `pattern` names: by the mangled name (unless
 * cppOnly), or by the demangled name with or without its parameter list,
 * as bpftrace matches C++ functions. Sorted.
 */
function cppMatches(path: string, elf: LoadedElf, pattern: string, cppOnly: boolean, wildcard: boolean): string[] {
  const names = [...elf.symbols.keys()];
  const dm = demangled(`${path}\0${elf.identity}`, names);
  const re = wildcard ? wildcardToRegExp(pattern) : undefined;
  const test = (s: string) => (re ? re.test(s) : s === pattern);
  return names.filter((n) => {
    if (!cppOnly && re && re.test(n)) return true;
    const d = dm.get(n);
    return d !== undefined && (test(d) || test(withoutParameters(d)));
  }).sort();
}

interface LoadedElf {
  identity: string;
  /** Every function symbol: the binary's, then its debug file's (read on first use). */
  readonly symbols: Map<string, ElfSymbol>;
  /** `symbols.get(name)`, without reading every symbol when they have not been read yet. */
  find(name: string): ElfSymbol | undefined;
  fileOffset(vaddr: number): number | undefined;
}

const elfCache = new Map<string, LoadedElf>();

/** Symbols and segments of `path`, read once per version of the file. */
function loadElf(path: string): LoadedElf {
  const st = fs.statSync(path);
  const identity = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  const hit = elfCache.get(path);
  if (hit?.identity === identity) return hit;
  // fileOffset only uses the program headers read at open, so it outlives the fd.
  const opened = ElfFile.with(path, (elf) => elf);
  let all: Map<string, ElfSymbol> | undefined;
  const one = new Map<string, ElfSymbol | undefined>();
  const loaded: LoadedElf = {
    identity,
    get symbols() {
      all ??= ElfFile.with(path, (elf) => {
        const symbols = new Map(elf.functions());
        addDebugSymbols(elf, symbols);
        return symbols;
      });
      return all;
    },
    find(name) {
      if (all) return all.get(name);
      if (!one.has(name)) {
        one.set(name, ElfFile.with(path, (elf) => elf.findFunction(name) ?? debugSymbol(elf, name)));
      }
      return one.get(name);
    },
    fileOffset: (v) => opened.fileOffset(v),
  };
  elfCache.set(path, loaded);
  return loaded;
}

function debugFileOf(elf: ElfFile): string | undefined {
  const id = elf.buildId();
  if (!id || id.length < 3) return undefined;
  const debugPath = `/usr/lib/debug/.build-id/${id.slice(0, 2)}/${id.slice(2)}.debug`;
  return fs.existsSync(debugPath) ? debugPath : undefined;
}

/** The debug file's symbol `name` with the binary's file offset, as addDebugSymbols adds it. */
function debugSymbol(elf: ElfFile, name: string): ElfSymbol | undefined {
  const debugPath = debugFileOf(elf);
  if (!debugPath) return undefined;
  try {
    return ElfFile.with(debugPath, (debug) => {
      const s = debug.findFunction(name);
      const fileOffset = s && elf.fileOffset(s.value);
      return s && fileOffset !== undefined ? { ...s, fileOffset } : undefined;
    });
  } catch (e) {
    if (!(e instanceof ElfError)) throw e;
    return undefined;
  }
}

/**
 * Stripped binaries keep their full symbol table in a separate debug file
 * (Debian's *-dbg packages: /usr/lib/debug/.build-id/xx/rest.debug), which
 * bpftrace reads too. Its addresses are the binary's; file offsets come from
 * the binary's own segments.
 */
function addDebugSymbols(elf: ElfFile, into: Map<string, ElfSymbol>): void {
  const debugPath = debugFileOf(elf);
  if (!debugPath) return;
  try {
    ElfFile.with(debugPath, (debug) => {
      for (const [name, s] of debug.functions()) {
        if (into.has(name)) continue;
        const fileOffset = elf.fileOffset(s.value);
        if (fileOffset !== undefined) into.set(name, { ...s, fileOffset });
      }
    });
  } catch (e) {
    if (!(e instanceof ElfError)) throw e;
  }
}

/**
 * File offset for the uprobe PMU, resolved from the binary as it is now (at
 * match time, and again at attach time: a cached plan may outlive a rebuild).
 * A probe inside a function must sit on an instruction boundary, or the
 * breakpoint corrupts an instruction and crashes the traced program; without
 * a way to check (objdump), such probes are refused, as bpftrace does
 * without its disassembler.
 */
function locate(m: ProbeMatch): number {
  const path = String(m.detail.path);
  const elf = loadElf(path);
  const address = Number(m.detail.address);
  let sym: ElfSymbol | undefined;
  let offset: number;
  if (address >= 0) {
    for (const s of elf.symbols.values()) if (s.value <= address && address < s.value + Math.max(s.size, 1)) sym = s;
    if (!sym) throw new ProbeError(`Could not resolve address: ${path}:0x${address.toString(16)} (not inside a function symbol)`);
    offset = address - sym.value;
  } else {
    sym = elf.find(String(m.detail.func));
    if (!sym) throw new MissingTargetError(`Could not resolve symbol: ${path}:${m.detail.func}`, [m]);
    offset = Number(m.detail.offset);
  }
  if (offset !== 0) {
    if (sym.size && offset >= sym.size) throw new ProbeError(`Offset outside the function bounds ('${sym.name}' size is ${sym.size})`);
    const boundaries = instructionStarts(path, elf.identity, sym);
    if (!boundaries) {
      throw new ProbeError(`Can't check if uprobe is in proper place (objdump from binutils is needed to find instruction boundaries): ${path}:${sym.name}+${offset}`);
    }
    if (!boundaries.has(sym.value + offset)) {
      throw new ProbeError(`${path}:${sym.name}+${offset} is not on an instruction boundary (a uprobe there would crash the traced program)`);
    }
  }
  return sym.fileOffset + offset;
}

const boundaryCache = new Map<string, Set<number> | undefined>();

/** Addresses where instructions of `sym` start, from objdump; undefined when objdump can't tell. */
function instructionStarts(path: string, identity: string, sym: ElfSymbol): Set<number> | undefined {
  const key = `${path}\0${identity}\0${sym.value}`;
  if (boundaryCache.has(key)) return boundaryCache.get(key);
  let starts: Set<number> | undefined;
  try {
    const out = childProcess().execFileSync('objdump', [
      '-d', '--no-show-raw-insn', `--start-address=0x${sym.value.toString(16)}`,
      `--stop-address=0x${(sym.value + Math.max(sym.size, 1)).toString(16)}`, path,
    ], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
    starts = new Set();
    for (const line of out.split('\n')) {
      const m = /^\s+([0-9a-f]+):\s/.exec(line);
      if (m) starts.add(parseInt(m[1], 16));
    }
    if (starts.size === 0) starts = undefined;
  } catch {
    starts = undefined;
  }
  boundaryCache.set(key, starts);
  return starts;
}

export const uprobeProvider = uprobeLike(false);
export const uretprobeProvider = uprobeLike(true);
