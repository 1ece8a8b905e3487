// The process a run is about: `-p PID`, or the child started by `-c CMD`.
// uprobe and usdt targets are resolved inside its mappings and their perf
// events are opened for it only. Set by the CLI before compiling.
import * as fs from 'fs';
import * as path from 'path';

let current: number | undefined;
let command: string | undefined;

export function setTargetPid(pid: number | undefined): void {
  current = pid;
}

export function targetPid(): number | undefined {
  return current;
}

/** The command of -c (its pid is known only once it is started, after compiling). */
export function setTargetCommand(cmd: string | undefined): void {
  command = cmd;
}

/**
 * The program of the -p/-c process as bpftrace 0.17 names it
 * (get_watchpoint_binary_path): `/proc/PID/exe`, or the first word of the
 * -c command (a path as written, else found in $PATH); undefined without
 * -p/-c. Throws ChildError for a -c command that names no program.
 */
export function targetProgram(): string | undefined {
  if (current !== undefined) return `/proc/${current}/exe`;
  if (command === undefined) return undefined;
  // Loaded only here: the runtime's -c support is not needed to compile anything else.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { splitCommand, resolveProgram } = require('../runtime/child') as typeof import('../runtime/child');
  return resolveProgram(splitCommand(command)[0] ?? '');
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
