// Access to tracefs: finding (and if needed mounting) it, listing events,
// and reading event formats and ids.
import * as fs from 'fs';
import { childProcess } from '../subprocess';
import type { IntBits, StructField, Type } from '../checker/types';
import { EnvironmentError, ProbeError } from './provider';

const CANDIDATES = [
  { dir: '/sys/kernel/tracing', fstype: 'tracefs', mountPoint: '/sys/kernel/tracing' },
  { dir: '/sys/kernel/debug/tracing', fstype: 'debugfs', mountPoint: '/sys/kernel/debug' },
];

let tracefsRoot: string | undefined;

/** The tracefs directory, mounting tracefs (or debugfs) when neither is mounted. */
export function tracefs(): string {
  if (tracefsRoot) return tracefsRoot;
  for (const c of CANDIDATES) {
    if (fs.existsSync(`${c.dir}/events`)) return (tracefsRoot = c.dir);
  }
  // Mounted but closed to us (tracefs is mode 0700): say so rather than try to mount it again.
  for (const c of CANDIDATES) {
    try {
      fs.readdirSync(c.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EACCES') {
        throw new ProbeError(`cannot read tracefs at ${c.dir}: permission denied (it is readable by root only); tracepoint probes need root, even with --dry-run`);
      }
    }
  }
  const failures: string[] = [];
  for (const c of CANDIDATES) {
    try {
      childProcess().execFileSync('mount', ['-t', c.fstype, 'nodev', c.mountPoint], { stdio: ['ignore', 'ignore', 'pipe'] });
      if (fs.existsSync(`${c.dir}/events`)) return (tracefsRoot = c.dir);
    } catch (e) {
      // mount(8) says `mount: /sys/kernel/tracing: permission denied.` and more lines: keep the reason.
      const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim().split('\n')[0] ?? '';
      failures.push(stderr.replace(/^mount: [^:]*: /, '').replace(/\.$/, '') || (e as Error).message);
    }
  }
  throw new EnvironmentError(
    `tracefs is not mounted at /sys/kernel/tracing (nor debugfs at /sys/kernel/debug) and mounting it failed (${[...new Set(failures)].join('; ')}); ` +
    'tracepoints need it: mount -t tracefs nodev /sys/kernel/tracing');
}

export function listCategories(): string[] {
  return fs.readdirSync(`${tracefs()}/events`, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
}

export function listEvents(category: string): string[] {
  try {
    return fs.readdirSync(`${tracefs()}/events/${category}`, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

export function eventExists(category: string, event: string): boolean {
  return fs.existsSync(`${tracefs()}/events/${category}/${event}/format`);
}

export function eventId(category: string, event: string): number {
  return Number(fs.readFileSync(`${tracefs()}/events/${category}/${event}/id`, 'utf8'));
}

export interface FormatField extends StructField {
  /** The C declaration as the format file gives it, e.g. `const char * filename`. */
  decl: string;
  size: number;
  common: boolean;
}

const FIELD_RE = /^\s*field:(.*?);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);/;

/** Parses an event's format file into fields typed for the checker. */
export function readFormat(category: string, event: string): FormatField[] {
  const text = fs.readFileSync(`${tracefs()}/events/${category}/${event}/format`, 'utf8');
  const fields: FormatField[] = [];
  for (const line of text.split('\n')) {
    const m = FIELD_RE.exec(line);
    if (!m) continue;
    const decl = m[1].trim();
    const offset = Number(m[2]);
    const size = Number(m[3]);
    const signed = m[4] === '1';
    const nameMatch = /([A-Za-z_][A-Za-z0-9_]*)\s*(\[[^\]]*\])?$/.exec(decl);
    if (!nameMatch) continue;
    const name = nameMatch[1];
    const userPointers = category === 'syscalls';
    fields.push({ name, decl, offset, size, common: name.startsWith('common_'), type: fieldType(decl, size, signed, nameMatch[2], userPointers) });
  }
  return fields;
}

function fieldType(decl: string, size: number, signed: boolean, arraySuffix: string | undefined, userPointers: boolean): Type {
  if (decl.startsWith('__data_loc')) return { kind: 'int', bits: 32, signed: false };
  if (decl.includes('*')) {
    // A pointer to a record: fields come from BTF when accessed (src/ctypes).
    const record = /^(?:const\s+)?(struct|union)\s+([A-Za-z_][A-Za-z0-9_]*)\s*\*\s*[A-Za-z_]/.exec(decl);
    if (record) return { kind: 'pointer', to: { kind: 'struct', name: `${record[1]} ${record[2]}`, size: 0, fields: [], lazy: true }, addrSpace: userPointers ? 'user' : 'kernel' };
    const isChar = /\bchar\b/.test(decl);
    return { kind: 'pointer', to: isChar ? { kind: 'int', bits: 8, signed: true } : { kind: 'int', bits: 64, signed: false }, addrSpace: userPointers ? 'user' : 'kernel' };
  }
  if (arraySuffix) {
    if (/\bchar\b/.test(decl)) return { kind: 'string', size };
    const length = Number(arraySuffix.slice(1, -1)) || 1;
    const elemBytes = size / length;
    const bits = ([8, 16, 32, 64] as const).find((b) => b === elemBytes * 8) ?? 8;
    return { kind: 'array', elem: { kind: 'int', bits, signed }, length };
  }
  const declared = declaredInt(decl);
  if (declared) return declared;
  const bits = ([8, 16, 32, 64] as const).find((b) => b === size * 8);
  if (!bits) return { kind: 'array', elem: { kind: 'int', bits: 8, signed: false }, length: size };
  return { kind: 'int', bits, signed };
}

// The format file gives a field's slot size (syscall arguments are all 8
// bytes); bpftrace types the field by its C declaration, so `int dfd` is an
// int32 and AT_FDCWD reads as -100.
const C_INTS: Record<string, [IntBits, boolean]> = {
  char: [8, true], short: [16, true], int: [32, true], long: [64, true], 'long long': [64, true],
  u8: [8, false], u16: [16, false], u32: [32, false], u64: [64, false], s8: [8, true], s16: [16, true], s32: [32, true], s64: [64, true],
  __u8: [8, false], __u16: [16, false], __u32: [32, false], __u64: [64, false], __s8: [8, true], __s16: [16, true], __s32: [32, true], __s64: [64, true],
  size_t: [64, false], ssize_t: [64, true], umode_t: [16, false], pid_t: [32, true], uid_t: [32, false], gid_t: [32, false], qid_t: [32, false],
  loff_t: [64, true], off_t: [64, true], time_t: [64, true], clockid_t: [32, true], key_serial_t: [32, true], mqd_t: [32, true],
  gfp_t: [32, false], rwf_t: [32, true], aio_context_t: [64, false], bool: [8, false], dev_t: [32, false], ino_t: [64, false],
};

function declaredInt(decl: string): Type | undefined {
  let words = decl.replace(/\b(const|volatile|signed)\b/g, ' ').trim().split(/\s+/);
  words = words.slice(0, -1); // drop the field name
  let unsigned = false;
  if (words[0] === 'unsigned') {
    unsigned = true;
    words = words.slice(1);
    if (words.length === 0) words = ['int'];
  }
  const base = words.filter((w) => w !== 'int' || words.length === 1).join(' ') || 'int';
  const known = C_INTS[base];
  if (!known) return undefined;
  return { kind: 'int', bits: known[0], signed: unsigned ? false : known[1] };
}
