// Address → symbol resolution in user space, for kstack/ustack/ksym.
// Kernel symbols come from /proc/kallsyms (loaded once, sorted, binary
// searched); user symbols from /proc/PID/maps and the ELF symbol tables of the
// mapped files (cached per file).
import * as fs from 'fs';
import { ElfFile } from '../probes/elf';
import { native } from './native';

interface SymTable {
  addrs: bigint[];
  names: string[];
  /** Symbol sizes when known (ELF); kallsyms has none (-1n). */
  sizes: bigint[];
}

function lookup(t: SymTable, addr: bigint): { name: string; offset: bigint } | undefined {
  let lo = 0;
  let hi = t.addrs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (t.addrs[mid] <= addr) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (found < 0) return undefined;
  const offset = addr - t.addrs[found];
  const size = t.sizes[found];
  if (size >= 0n && offset >= (size === 0n ? 1n : size)) return undefined;
  return { name: t.names[found], offset };
}

function sortTable(entries: { addr: bigint; name: string; size: bigint }[]): SymTable {
  entries.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  return { addrs: entries.map((e) => e.addr), names: entries.map((e) => e.name), sizes: entries.map((e) => e.size) };
}

/**
 * /proc/kallsyms is read and indexed by the addon (native/src/kallsyms.cc):
 * splitting its 120k lines in JS took ~120 ms. preloadKernelSymbols() starts
 * the read early for runs that will print kernel frames.
 */
function kernelLookup(addr: bigint): { name: string; offset: bigint } | undefined {
  const found = native.kallsymsLookup(addr);
  return found && { name: found[0], offset: BigInt(found[1]) };
}

/** Starts reading kernel symbols now if anything in the plan (a map, a print, a printf) holds a kstack or ksym. */
export function preloadKernelSymbolsFor(plan: object): void {
  if (holdsKernelAddresses(plan)) native.kallsymsPreload();
}

function holdsKernelAddresses(node: unknown): boolean {
  if (typeof node !== 'object' || node === null) return false;
  const o = node as { kind?: unknown; user?: unknown; what?: unknown };
  if ((o.kind === 'stack' && o.user === false) || (o.kind === 'text' && o.what === 'ksym')) return true;
  return Object.values(node).some(holdsKernelAddresses);
}

/** `sym+off` (offset decimal), or `0x…` when unknown. */
export function kernelFrame(addr: bigint): string {
  const s = kernelLookup(addr);
  return s ? `${s.name}+${s.offset}` : '0x' + addr.toString(16);
}

/** ksym(): the name without offset; 0 prints `0`, unknown `0x…`. */
export function ksymName(addr: bigint): string {
  if (addr === 0n) return '0';
  const s = kernelLookup(addr);
  return s ? s.name : '0x' + addr.toString(16);
}

// ---- user space ------------------------------------------------------------

/** Symbols of one file by virtual address, and its PT_LOAD segments to map file offsets. */
interface FileSyms {
  table: SymTable;
  loads: { offset: bigint; vaddr: bigint; filesz: bigint }[];
}

const fileTables = new Map<string, FileSyms | null>();

/** PT_LOAD segments and the GNU build id, from the program headers. */
function programHeaders(path: string): { loads: FileSyms['loads']; buildId?: string } {
  // Program headers and notes sit at the start of the file: read 64 KiB, not the whole binary.
  const fd = fs.openSync(path, 'r');
  let data: Buffer;
  try {
    data = Buffer.alloc(65536);
    data = data.subarray(0, fs.readSync(fd, data, 0, data.length, 0));
  } finally {
    fs.closeSync(fd);
  }
  const loads: FileSyms['loads'] = [];
  let buildId: string | undefined;
  const phoff = Number(data.readBigUInt64LE(32));
  const phentsize = data.readUInt16LE(54);
  const phnum = data.readUInt16LE(56);
  for (let i = 0; i < phnum && phoff + (i + 1) * phentsize <= data.length; i++) {
    const at = phoff + i * phentsize;
    const type = data.readUInt32LE(at);
    const offset = data.readBigUInt64LE(at + 8);
    const vaddr = data.readBigUInt64LE(at + 16);
    const filesz = data.readBigUInt64LE(at + 32);
    if (type === 1) loads.push({ offset, vaddr, filesz });
    if (type === 4 && !buildId && offset + filesz <= BigInt(data.length)) {
      // Notes: namesz, descsz, type, name (4-aligned), desc (4-aligned).
      let n = Number(offset);
      const end = n + Number(filesz);
      while (n + 12 <= end) {
        const namesz = data.readUInt32LE(n);
        if (namesz === 0 && data.readUInt32LE(n + 4) === 0) break;
        const descsz = data.readUInt32LE(n + 4);
        const ntype = data.readUInt32LE(n + 8);
        const name = data.toString('latin1', n + 12, n + 12 + namesz - 1);
        const desc = n + 12 + ((namesz + 3) & ~3);
        if (ntype === 3 && name === 'GNU') buildId = data.toString('hex', desc, desc + descsz);
        n = desc + ((descsz + 3) & ~3);
      }
    }
  }
  return { loads, buildId };
}

function elfFunctions(path: string): { addr: bigint; name: string; size: bigint }[] {
  return ElfFile.with(path, (elf) => [...elf.functions().values()].map((s) => ({ addr: BigInt(s.value), name: s.name, size: BigInt(s.size) })));
}

/** Symbols of the file at `path`, cached under `key` (its device and inode: one parse per binary, whatever the path). */
function fileTable(key: string, path: string): FileSyms | null {
  let t = fileTables.get(key);
  if (t !== undefined) return t;
  try {
    const { loads, buildId } = programHeaders(path);
    const syms = elfFunctions(path);
    // Separate debug symbols (Debian's *-dbg packages) hold the local functions.
    const debug = buildId && `/usr/lib/debug/.build-id/${buildId.slice(0, 2)}/${buildId.slice(2)}.debug`;
    if (debug && fs.existsSync(debug)) {
      try {
        const seen = new Set(syms.map((x) => x.addr));
        for (const x of elfFunctions(debug)) if (!seen.has(x.addr)) syms.push(x);
      } catch {
        // Unreadable debug file: the file's own symbols only.
      }
    }
    t = { table: sortTable(syms), loads };
  } catch {
    t = null;
  }
  fileTables.set(key, t);
  return t;
}

function fileLookup(f: FileSyms, fileOffset: bigint): { name: string; offset: bigint } | undefined {
  const seg = f.loads.find((l) => l.offset <= fileOffset && fileOffset < l.offset + l.filesz);
  return seg ? lookup(f.table, fileOffset - seg.offset + seg.vaddr) : undefined;
}

interface Mapping {
  start: bigint;
  end: bigint;
  offset: bigint;
  /** As /proc/PID/maps shows it (the process's own mount namespace). */
  path: string;
  /** Where we open it: through /proc/PID/root (containers), or map_files for a deleted file. */
  file: string;
  /** Cache key of the file's symbols: device and inode. */
  key: string;
}

/** The file behind a mapping, seen from the traced process (its mount namespace, deleted files too). */
function mappedFile(pid: number, start: string, end: string, path: string): { file: string; key: string } {
  const candidates = path.endsWith(' (deleted)') ? [`/proc/${pid}/map_files/${start}-${end}`] : [`/proc/${pid}/root${path}`, path];
  for (const file of candidates) {
    try {
      const st = fs.statSync(file);
      const key = `${st.dev}:${st.ino}`;
      // The same file under its own path outlives the process (its /proc/PID view does not).
      if (file !== path && !path.endsWith(' (deleted)') && sameFile(path, key)) return { file: path, key };
      return { file, key };
    } catch {
      // try the next view of the file
    }
  }
  return { file: path, key: path };
}

function sameFile(path: string, key: string): boolean {
  try {
    const st = fs.statSync(path);
    return `${st.dev}:${st.ino}` === key;
  } catch {
    return false;
  }
}

const procMaps = new Map<number, Mapping[]>();

function mappings(pid: number): Mapping[] {
  let m = procMaps.get(pid);
  if (m) return m;
  m = [];
  try {
    for (const line of fs.readFileSync(`/proc/${pid}/maps`, 'latin1').split('\n')) {
      const f = /^([0-9a-f]+)-([0-9a-f]+) \S+ ([0-9a-f]+) \S+ \S+\s+(\/.*)$/.exec(line);
      if (f) m.push({ start: BigInt('0x' + f[1]), end: BigInt('0x' + f[2]), offset: BigInt('0x' + f[3]), path: f[4], ...mappedFile(pid, f[1], f[2], f[4]) });
    }
  } catch {
    // The process is gone: frames print as addresses.
  }
  procMaps.set(pid, m);
  return m;
}

const demangled = new Map<string, string>();

/** C++ names as bpftrace prints them (demangled, unless BPFTRACE_NO_CPP_DEMANGLE=1). */
function demangle(name: string): string {
  if (!name.startsWith('_Z') || process.env.BPFTRACE_NO_CPP_DEMANGLE === '1') return name;
  let d = demangled.get(name);
  if (d === undefined) {
    d = native.demangle([name])[0];
    demangled.set(name, d);
  }
  return d;
}

// ---- JIT code: /tmp/perf-PID.map ---------------------------------------------

/** A JIT runtime's symbol file (`START SIZE name` per line, hex), as perf and bpftrace read it. */
interface PerfMap {
  table: SymTable;
  /** File size when read: a JIT appends, so a miss re-reads a grown file. */
  bytes: number;
}

const perfMaps = new Map<number, PerfMap | null>();

function perfMapPath(pid: number): string {
  const host = `/tmp/perf-${pid}.map`;
  return fs.existsSync(host) ? host : `/proc/${pid}/root/tmp/perf-${pid}.map`;
}

function readPerfMap(pid: number): PerfMap | null {
  try {
    const text = fs.readFileSync(perfMapPath(pid), 'latin1');
    const entries: { addr: bigint; name: string; size: bigint }[] = [];
    for (const line of text.split('\n')) {
      const f = /^(?:0x)?([0-9a-fA-F]+) (?:0x)?([0-9a-fA-F]+) (.+)$/.exec(line);
      if (f) entries.push({ addr: BigInt('0x' + f[1]), size: BigInt('0x' + f[2]), name: f[3] });
    }
    return { table: sortTable(entries), bytes: text.length };
  } catch {
    return null;
  }
}

function perfMapLookup(pid: number, addr: bigint): { name: string; offset: bigint } | undefined {
  let m = perfMaps.get(pid);
  if (m === undefined) {
    m = readPerfMap(pid);
    perfMaps.set(pid, m);
  }
  let s = m ? lookup(m.table, addr) : undefined;
  if (!s && m) {
    const now = readPerfMap(pid);
    if (now && now.bytes !== m.bytes) {
      perfMaps.set(pid, now);
      s = lookup(now.table, addr);
    }
  }
  return s;
}

/** Resolves a user address of `pid`: symbol, offset and the mapped file (JIT code: the perf map). */
function userSymbol(pid: number, addr: bigint): { name?: string; offset: bigint; path?: string } {
  for (const m of mappings(pid)) {
    if (addr < m.start || addr >= m.end) continue;
    const table = fileTable(m.key, m.file);
    const s = table ? fileLookup(table, addr - m.start + m.offset) : undefined;
    return s ? { name: demangle(s.name), offset: s.offset, path: m.path } : { offset: 0n, path: m.path };
  }
  const jit = perfMapLookup(pid, addr);
  if (jit) return { name: jit.name, offset: jit.offset, path: perfMapPath(pid) };
  return { offset: 0n };
}

export function userFrame(pid: number, addr: bigint, perf: boolean): string {
  const s = userSymbol(pid, addr);
  // An unresolved frame is `ADDR 0xADDR ([unknown])` in perf mode, as bpftrace prints it, even inside a known file.
  if (perf) return s.name ? `${addr.toString(16)} ${s.name}+${s.offset} (${s.path})` : `${addr.toString(16)} 0x${addr.toString(16)} ([unknown])`;
  return s.name ? `${s.name}+${s.offset}` : '0x' + addr.toString(16);
}

/** usym(): the name without offset; 0 prints `0`, unknown `0x…`. */
export function usymName(pid: number, addr: bigint): string {
  if (addr === 0n) return '0';
  return userSymbol(pid, addr).name ?? '0x' + addr.toString(16);
}

/**
 * A process just recorded user addresses (EVENT_PID_SEEN): read its mappings
 * and the symbols of the mapped files now, while /proc/PID still has them,
 * so its stacks still resolve after it exits.
 */
export function rememberProcess(pid: number): void {
  for (const m of mappings(pid)) fileTable(m.key, m.file);
}
