// The command of `-c CMD`: started before the probes are attached but held
// until they are (so its first instructions are already traced), released,
// and watched until it exits. The hold is a shell that waits for one line on
// an inherited pipe and then execs the command: the pid stays the same, and
// perf events opened for it survive the exec.
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export class ChildError extends Error {}

/** Splits CMD into words as a shell would for plain words, '…' and "…" (no expansions). */
export function splitCommand(cmd: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < cmd.length; i++) {
    const ch = cmd[i];
    if (ch === "'" || ch === '"') {
      const end = cmd.indexOf(ch, i + 1);
      if (end < 0) throw new ChildError(`unterminated ${ch} in command: ${cmd}`);
      cur += cmd.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (ch === '\\' && i + 1 < cmd.length) {
      cur += cmd[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** The program CMD's first word names: a path, or the first executable of that name in $PATH. */
export function resolveProgram(word: string): string {
  const executable = (p: string) => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (word.includes('/')) {
    if (!executable(word)) throw new ChildError(`path '${word}' does not exist or is not executable`);
    return word;
  }
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    if (dir && executable(path.join(dir, word))) return path.join(dir, word);
  }
  throw new ChildError(`path '${word}' does not exist or is not executable`);
}

export class HeldChild {
  readonly pid: number;
  /** Resolves with the exit code (128+signal when killed) once the command has exited. */
  readonly exited: Promise<number>;
  private hasExited = false;
  private readonly proc: ChildProcess;

  constructor(cmd: string) {
    const words = splitCommand(cmd);
    if (words.length === 0) throw new ChildError('the command of -c is empty');
    const program = resolveProgram(words[0]);
    // `read` fails on EOF: if we die or give up before releasing it, the command never runs.
    this.proc = spawn('/bin/sh', ['-c', 'read -r _ <&3 || exit 127; exec 3<&-; exec "$0" "$@"', program, ...words.slice(1)], {
      stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
      argv0: words[0],
    });
    if (this.proc.pid === undefined) throw new ChildError(`failed to start ${words[0]}`);
    this.pid = this.proc.pid;
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.hasExited = true;
        resolve(code ?? 128 + (signal ? (require('os').constants.signals[signal] ?? 0) : 0));
      });
    });
  }

  /** Lets the command run (exec it). */
  release(): void {
    const pipe = this.proc.stdio[3] as NodeJS.WritableStream | null;
    pipe?.end('\n');
  }

  /** Ends the command if it is still running (bpftrace sends SIGTERM when it stops first). */
  terminate(): void {
    if (this.hasExited) return;
    (this.proc.stdio[3] as NodeJS.WritableStream | null)?.end();
    try {
      this.proc.kill('SIGTERM');
    } catch {
      // already gone
    }
  }
}
