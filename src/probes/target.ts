// The process a run is about: `-p PID`, or the child started by `-c CMD`.
// uprobe and usdt targets are resolved inside its mappings and their perf
// events are opened for it only. Set by the CLI before compiling.
import * as fs from 'fs';
import * as path from 'path';

let current: number | undefined;

export function setTargetPid(pid: number | undefined): void {
  current = pid;
}

export function targetPid(): number | undefined {
  return current;
}

/** Files mapped by `pid`, in /proc/PID/maps order, without duplicates. */
export function mappedFiles(pid: number): string[] {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/maps`, 'latin1');
  } catch {
    return [];
  }
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    // address perms offset dev inode pathname
    const m = /^\S+\s+\S+\s+\S+\s+\S+\s+[1-9][0-9]*\s+(\/.*)$/.exec(line);
    if (m && !m[1].endsWith(' (deleted)')) out.add(m[1]);
  }
  return [...out];
}

/** The file mapped by `pid` that a short name (`libc`, `bash`) names, as bpftrace resolves `-p` targets. */
export function mappedFileNamed(pid: number, name: string): string | undefined {
  for (const file of mappedFiles(pid)) {
    const base = path.basename(file);
    if (base === name || base.startsWith(`${name}.so`) || base.startsWith(`${name}-`)) return file;
  }
  return undefined;
}
