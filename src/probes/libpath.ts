// Resolving a uprobe target that is not a path, as bpftrace does: a program
// name is looked up in $PATH; `libNAME` is looked up in the dynamic loader's
// cache (/etc/ld.so.cache, first 64-bit x86 entry whose soname starts with
// `libNAME.so`), then in the standard library directories.
import * as fs from 'fs';
import * as path from 'path';
import { elfType, ET_DYN, ET_EXEC } from './elf';
import { mappedFileNamed, targetPid } from './target';

const LD_SO_CACHE = '/etc/ld.so.cache';
const NEW_MAGIC = 'glibc-ld.so.cache1.1';
const OLD_MAGIC = 'ld.so-1.7.0';
/** FLAG_ELF_LIBC6 | FLAG_X8664_LIB64: the entries this (x86_64) process can use. */
const X86_64_LIBC6 = 0x0303;
const LIB_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib'];

/** Entries of ld.so.cache in file order: soname and path, 64-bit x86 only. */
export function readLdSoCache(file = LD_SO_CACHE): { soname: string; path: string }[] {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return [];
  }
  let base = 0;
  if (buf.toString('latin1', 0, OLD_MAGIC.length) === OLD_MAGIC) {
    // Old format first (12-byte entries), then the new one, 8-aligned.
    const n = buf.readUInt32LE(12);
    base = (16 + n * 12 + 7) & ~7;
  }
  if (buf.toString('latin1', base, base + NEW_MAGIC.length) !== NEW_MAGIC) return [];
  const count = buf.readUInt32LE(base + 20);
  const cstr = (at: number) => {
    const end = buf.indexOf(0, at);
    return buf.toString('latin1', at, end < 0 ? buf.length : end);
  };
  const out: { soname: string; path: string }[] = [];
  for (let i = 0; i < count; i++) {
    const at = base + 48 + i * 24;
    if (at + 24 > buf.length) break;
    const flags = buf.readInt32LE(at);
    if ((flags & 0xffff) !== X86_64_LIBC6) continue;
    // String offsets are relative to the new-format header.
    out.push({ soname: cstr(base + buf.readUInt32LE(at + 4)), path: cstr(base + buf.readUInt32LE(at + 8)) });
  }
  return out;
}

function isTarget(p: string): boolean {
  const t = elfType(p);
  if (t === ET_DYN) return true;
  if (t !== ET_EXEC) return false;
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The file a uprobe target names, or undefined when there is none (or it is not an ELF executable/library). */
export function resolveUprobeTarget(target: string): string | undefined {
  if (target.includes('/')) return isTarget(target) ? target : undefined;
  // With -p/-c, a short name means a file that process has mapped.
  const pid = targetPid();
  const mapped = pid === undefined ? undefined : mappedFileNamed(pid, target);
  if (mapped && isTarget(mapped)) return mapped;
  for (const dir of (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (!dir) continue;
    const p = path.join(dir, target);
    if (isTarget(p)) return p;
  }
  if (!target.startsWith('lib')) return undefined;
  const prefix = `${target}.so`;
  for (const e of readLdSoCache()) if (e.soname.startsWith(prefix) && isTarget(e.path)) return e.path;
  for (const dir of LIB_DIRS) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    // libc.so is often a linker script: prefer a versioned file (libc.so.6).
    const hits = names.filter((n) => n.startsWith(prefix)).sort((a, b) => b.length - a.length);
    for (const n of hits) if (isTarget(path.join(dir, n))) return path.join(dir, n);
  }
  return undefined;
}
