// Shared helpers for the end-to-end, differential and cleanup tests: run the
// real tstrace CLI (or the bpftrace 0.17 oracle) as a child process, wait for
// "probes attached", drive a workload, stop it, and collect its output.
import { spawn, execFileSync, ChildProcess } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const TSTRACE_BIN = path.resolve(__dirname, '../../bin/tstrace');
export const BPFTRACE_BIN = '/usr/bin/bpftrace';
export const NOTIFY_TOKEN = '__BPFTRACE_NOTIFY_PROBES_ATTACHED';

/** bpftrace 0.17's harmless stderr line when it cannot raise RLIMIT_MEMLOCK in this VM. */
export const BPFTRACE_MEMLOCK_WARNING =
  'ERROR: Unknown error -1: couldn\'t set RLIMIT_MEMLOCK for bpftrace. If your program is not loading, you can try "ulimit -l 8192" to fix the problem';

export type TracerBin = 'tstrace' | 'bpftrace';

export interface RunOptions {
  /** Extra environment variables (merged over process.env). */
  env?: Record<string, string | undefined>;
  /** Written to the child's stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string;
  /** Hard limit for the whole run; the child is SIGKILLed and the promise rejects when exceeded. */
  timeoutMs?: number;
  /** Runs once the tracer reports that every probe is attached; gets the tracer's pid. */
  onAttached?: (pid: number) => Promise<void> | void;
  /** Runs right after the tracer process has been spawned; gets its pid. */
  onSpawn?: (pid: number) => void;
  /** Sent to the tracer after onAttached resolved. */
  signalAfterAttach?: 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'SIGKILL';
  /**
   * Run the tracer through `sh -c 'ulimit -n N; exec ...'` (hard and soft
   * RLIMIT_NOFILE), used to provoke failures part-way through attaching.
   */
  fdLimit?: number;
  /**
   * Enable the notify protocol (default true). With false the variable is
   * removed from the environment, so the output is exactly what a user sees;
   * onAttached/signalAfterAttach then never fire.
   */
  notify?: boolean;
  /**
   * Sends `signal` as soon as the tracer's stdout contains `match` (checked
   * on every chunk, after the notify token has been removed) and, unless
   * `notify: false`, the tracer has reported that its probes are attached.
   */
  signalOnOutput?: { match: string; signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'SIGKILL' };
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the notify token was seen. */
  attached: boolean;
  /** The child's pid. */
  pid: number;
  /** stdout and stderr before the notify token was removed. */
  rawStdout: string;
  rawStderr: string;
}

function removeToken(text: string): string {
  return text.split(NOTIFY_TOKEN + '\n').join('').split(NOTIFY_TOKEN).join('');
}

/**
 * Runs tstrace or bpftrace with `args`. The notify protocol
 * (`__BPFTRACE_NOTIFY_PROBES_ATTACHED`) is enabled unless `notify: false`: tstrace prints the
 * token on stdout, bpftrace 0.17 on stderr; it is removed from the returned
 * text. onAttached runs right after the token shows up, then the optional
 * signal is sent. The promise resolves when the child has exited.
 */
export function runTracer(bin: TracerBin, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, [NOTIFY_TOKEN]: '1' };
  if (opts.notify === false) delete env[NOTIFY_TOKEN];
  let file: string;
  let argv: string[];
  const direct = bin === 'tstrace' ? [process.execPath, TSTRACE_BIN, ...args] : [BPFTRACE_BIN, ...args];
  if (opts.fdLimit !== undefined) {
    file = '/bin/sh';
    argv = ['-c', `ulimit -n ${opts.fdLimit} && exec "$@"`, 'sh', ...direct];
  } else {
    [file, ...argv] = direct;
  }

  return new Promise<RunResult>((resolve, reject) => {
    const child: ChildProcess = spawn(file, argv, {
      env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    let attached = false;
    let settled = false;
    let hookError: unknown;
    let outputSignalSent = false;
    let attachedSeen = false;
    const watchStream = bin === 'tstrace' ? 'stdout' : 'stderr';

    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(
        new Error(
          `${bin} ${JSON.stringify(args)} did not finish within ${timeoutMs} ms ` +
            `(attached=${attached}); killed it.\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`,
        ),
      );
    }, timeoutMs);

    const onData = (stream: 'stdout' | 'stderr', chunk: Buffer) => {
      const text = chunk.toString('latin1');
      if (stream === 'stdout') stdout += text;
      else stderr += text;
      if (!attached && stream === watchStream && (stream === 'stdout' ? stdout : stderr).includes(NOTIFY_TOKEN)) attachedSeen = true;
      // Only once attached (when the notify protocol is on): bpftrace 0.17 ignores a SIGINT that arrives before.
      if (opts.signalOnOutput && !outputSignalSent && (attachedSeen || opts.notify === false) && removeToken(stdout).includes(opts.signalOnOutput.match)) {
        outputSignalSent = true;
        if (child.exitCode === null && child.signalCode === null) child.kill(opts.signalOnOutput.signal);
      }
      if (!attached && stream === watchStream && (stream === 'stdout' ? stdout : stderr).includes(NOTIFY_TOKEN)) {
        attached = true;
        void (async () => {
          try {
            if (opts.onAttached) await opts.onAttached(child.pid!);
          } catch (e) {
            hookError = e;
            child.kill('SIGKILL');
            return;
          }
          if (opts.signalAfterAttach && child.exitCode === null && child.signalCode === null) {
            child.kill(opts.signalAfterAttach);
          }
        })();
      }
    };
    child.stdout!.on('data', (c: Buffer) => onData('stdout', c));
    child.stderr!.on('data', (c: Buffer) => onData('stderr', c));
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => {});
      child.stdin!.end(opts.input);
    }
    child.on('error', (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (hookError) {
        reject(hookError);
        return;
      }
      resolve({
        stdout: removeToken(stdout),
        stderr: removeToken(stderr),
        code,
        signal,
        attached,
        pid: child.pid!,
        rawStdout: stdout,
        rawStderr: stderr,
      });
    });
  });
}

/**
 * docs/compat.md ("Ties in value-sorted maps … the differential tests
 * normalise it by sorting runs of lines with equal values"): sorts each run of
 * consecutive `@name[...]: <integer>` lines that share the map name and value.
 */
export function sortEqualValueRuns(text: string): string {
  const lines = text.split('\n');
  const keyOf = (l: string): string | undefined => {
    const m = /^(@\w*)\[.*\]: (-?\d+)$/.exec(l);
    return m ? `${m[1]}\u0000${m[2]}` : undefined;
  };
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    const k = keyOf(lines[i]);
    let j = i + 1;
    if (k !== undefined) while (j < lines.length && keyOf(lines[j]) === k) j++;
    out.push(...lines.slice(i, j).sort());
    i = j;
  }
  return out.join('\n');
}

/** bpftrace's stderr without the RLIMIT_MEMLOCK line this VM always produces. */
export function stripMemlockWarning(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l !== BPFTRACE_MEMLOCK_WARNING)
    .join('\n');
}

/** Mounts tracefs when /sys/kernel/tracing/events is missing. */
export function ensureTracefs(): void {
  if (fs.existsSync('/sys/kernel/tracing/events')) return;
  try {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing'], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`tracefs is not mounted and mounting it failed: ${(e as Error).message}`);
  }
  if (!fs.existsSync('/sys/kernel/tracing/events')) throw new Error('tracefs mounted but /sys/kernel/tracing/events is missing');
}

let workDir: string | undefined;

/** A per-process temporary directory for workload binaries and scripts. */
export function tempDir(): string {
  if (!workDir) workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tstrace-test-'));
  return workDir;
}

/** Removes the temporary directory (call from afterAll). */
export function removeTempDir(): void {
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  workDir = undefined;
}

/** A random name usable as a comm: `prefix` + hex, at most 15 characters. */
export function uniqueComm(prefix: string): string {
  const name = prefix + crypto.randomBytes(4).toString('hex');
  return name.slice(0, 15);
}

/**
 * Compiles `cSource` with `cc -O2` into `<tempdir>/<name>` and returns the
 * binary's path. The binary's base name becomes its comm, so keep `name` at
 * most 15 characters to filter on it exactly.
 */
export function buildWorkload(name: string, cSource: string): string {
  if (name.length > 15) throw new Error(`workload name '${name}' is longer than 15 chars (comm would be truncated)`);
  const dir = tempDir();
  const src = path.join(dir, `${name}.c`);
  const bin = path.join(dir, name);
  fs.writeFileSync(src, cSource);
  try {
    execFileSync('cc', ['-O2', '-Wall', '-o', bin, src], { stdio: 'pipe' });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`cc failed for ${name}: ${err.stderr?.toString() ?? err.message}`);
  }
  return bin;
}

export interface WorkloadResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * A workload process that prints `ready` once it has done its start-up (so
 * the dynamic loader's syscalls happen before tracing starts) and then blocks
 * reading one byte from stdin. `go()` releases it and resolves on its exit.
 */
export class GatedWorkload {
  private readonly child: ChildProcess;
  private readonly exited: Promise<WorkloadResult>;
  private readonly readyP: Promise<void>;
  private stdout = '';
  private stderr = '';

  constructor(bin: string, args: string[], private readonly timeoutMs = 20_000) {
    this.child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin!.on('error', () => {});
    this.readyP = new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`workload ${bin} never printed 'ready'`));
      }, timeoutMs);
      this.child.stdout!.on('data', (c: Buffer) => {
        this.stdout += c.toString();
        if (this.stdout.includes('ready\n')) {
          clearTimeout(t);
          resolve();
        }
      });
      this.child.on('close', () => {
        clearTimeout(t);
        reject(new Error(`workload ${bin} exited before 'ready': ${this.stderr}`));
      });
    });
    this.readyP.catch(() => {});
    this.child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }));
    });
  }

  ready(): Promise<void> {
    return this.readyP;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Releases the workload and waits for it to exit (killing it after timeoutMs). */
  async go(): Promise<WorkloadResult> {
    this.child.stdin!.end('g');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error('workload did not exit in time'));
      }, this.timeoutMs);
    });
    try {
      const r = await Promise.race([this.exited, timeout]);
      if (r.code !== 0) throw new Error(`workload failed: code=${r.code} signal=${r.signal} stderr=${r.stderr}`);
      return r;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * The standard workload: one binary with several modes, all gated on stdin.
 *   open PATH N [PATH N ...] — openat(AT_FDCWD, PATH, O_RDONLY) N times per PATH (closing each fd)
 *   read K1 K2 ...   — read(-1, NULL, Ki) for each Ki (fails with EBADF)
 *   getpid N         — getpid() N times via syscall(2)
 *   write N          — write(-1, NULL, i) for i in 1..N
 */
export const WORKLOAD_C = `
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  char c;
  if (argc < 2) return 2;
  printf("ready\\n");
  fflush(stdout);
  if (read(0, &c, 1) != 1) return 3;
  if (strcmp(argv[1], "open") == 0 && argc >= 4 && argc % 2 == 0) {
    for (int a = 2; a + 1 < argc; a += 2) {
      int n = atoi(argv[a + 1]);
      for (int i = 0; i < n; i++) {
        int fd = openat(AT_FDCWD, argv[a], O_RDONLY);
        if (fd >= 0) close(fd);
      }
    }
  } else if (strcmp(argv[1], "read") == 0) {
    for (int i = 2; i < argc; i++) {
      ssize_t r = read(-1, NULL, (size_t)strtoull(argv[i], NULL, 10));
      (void)r;
    }
  } else if (strcmp(argv[1], "getpid") == 0 && argc == 3) {
    int n = atoi(argv[2]);
    for (int i = 0; i < n; i++) syscall(SYS_getpid);
  } else if (strcmp(argv[1], "write") == 0 && argc == 3) {
    int n = atoi(argv[2]);
    for (int i = 1; i <= n; i++) {
      ssize_t r = write(-1, NULL, (size_t)i);
      (void)r;
    }
  } else {
    return 4;
  }
  return 0;
}
`;

/**
 * Runs `tracer` with `args`; when attached, runs the gated workload
 * (`bin workloadArgs...`) to completion, then stops the tracer with SIGINT
 * (or `stopSignal`).
 * The workload is started (and past its dynamic loading) before the tracer.
 */
export async function traceWorkload(
  tracer: TracerBin,
  args: string[],
  bin: string,
  workloadArgs: string[],
  opts: Omit<RunOptions, 'onAttached' | 'signalAfterAttach'> & {
    /** Signal sent once the workload has exited (default SIGINT); null: the script must exit() by itself. */
    stopSignal?: 'SIGINT' | 'SIGTERM' | null;
  } = {},
): Promise<RunResult> {
  const { stopSignal = 'SIGINT', ...runOpts } = opts;
  const w = new GatedWorkload(bin, workloadArgs);
  try {
    await w.ready();
    return await runTracer(tracer, args, {
      timeoutMs: 60_000,
      ...runOpts,
      onAttached: async () => {
        await w.go();
        // bpftrace 0.17 drops events still queued in its perf buffers at
        // SIGINT (docs/compat.md, "Events that do not fit"); give it time to
        // read them, so both tracers are compared on the same events.
        if (stopSignal) await new Promise((resolve) => setTimeout(resolve, 500));
      },
      signalAfterAttach: stopSignal ?? undefined,
    });
  } finally {
    w.kill();
  }
}

/** Writes `text` to a fresh file in the temp dir and returns its path. */
export function writeTempFile(name: string, text: string): string {
  const p = path.join(tempDir(), name);
  fs.writeFileSync(p, text);
  return p;
}
