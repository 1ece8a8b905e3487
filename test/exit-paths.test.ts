// Every way a tstrace run can end: exit() (BEGIN or a probe), SIGINT,
// SIGTERM, SIGHUP, a second SIGINT while maps print (force quit), the -c
// child exiting, and the parent shell being killed — with a pipe (the
// reader goes away) or a terminal (the pty hangs up). Each time: END runs
// and the maps print exactly once where the run ends normally, and
// afterwards no BPF program, map, link or perf event of the run remains
// (test/helpers/leaks.ts). Attach errors part-way and SIGKILL are covered
// by test/cleanup.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import {
  BPFTRACE_BIN, GatedWorkload, NOTIFY_TOKEN, TSTRACE_BIN, WORKLOAD_C, buildWorkload, ensureTracefs, removeTempDir, runTracer,
  stripMemlockWarning, TracerBin, writeTempFile,
} from './helpers/run';
import { addFdinfoIds, emptyHeld, expectNoLeaks, Held, runAndWatch, snapshot } from './helpers/leaks';

afterAll(removeTempDir);

// BEGIN, a tracepoint, an interval that never fires, END: each prints, and
// each has a map, so "exactly once" is visible in the output.
const PROGRAM =
  'BEGIN { printf("BEGIN ran\\n"); @b = 1; } tracepoint:syscalls:sys_enter_getpid /comm == "no-such-comm"/ { @g = count(); } ' +
  'interval:s:1000 { @i = 1; } END { printf("END ran\\n"); @e = 2; } ' +
  // bpftrace 0.17 only notices a signal when an event wakes its poll loop: an empty printf every 50 ms.
  'interval:ms:50 { printf(""); }';
// @g (a count) prints 0, @i (never written) a blank line, as in bpftrace 0.17.
const STOPPED_OUTPUT = 'Attaching 5 probes...\nBEGIN ran\nEND ran\n\n\n@b: 1\n@e: 2\n@g: 0\n\n';

function count(text: string, what: string): number {
  return text.split(what).length - 1;
}

/** Resolves once `cond()` holds; a generous safety limit turns a hang into a failure (no duration is asserted). */
async function until(what: string, cond: () => boolean, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function alive(pid: number): boolean {
  try {
    // A zombie is dead for our purposes: its fds are closed.
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('exit paths: END runs and maps print exactly once, nothing remains', () => {
  it('exit() in BEGIN: END runs once, maps print once (as bpftrace 0.17)', async () => {
    ensureTracefs();
    const script = 'BEGIN { printf("BEGIN ran\\n"); @b = 1; exit(); } tracepoint:syscalls:sys_enter_getpid /comm == "no-such-comm"/ { @g = count(); } END { printf("END ran\\n"); @e = 2; }';
    const before = snapshot();
    const { r, ours } = await runAndWatch(['-e', script], {});
    const bt = await runTracer('bpftrace', ['-e', script]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Attaching 3 probes...\nBEGIN ran\nEND ran\n\n\n@b: 1\n@e: 2\n@g: 0\n');
    expect(r.stdout).toBe(bt.stdout);
    await expectNoLeaks(before, ours);
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig}: END runs once, maps print once, exit 0 (as bpftrace 0.17)`, async () => {
      const before = snapshot();
      // Signalled once BEGIN's output is out: bpftrace 0.17 loses it when signalled right after attaching.
      const stop = { signalOnOutput: { match: 'BEGIN ran\n', signal: sig } };
      const { r, ours } = await runAndWatch(['-e', PROGRAM], stop);
      const bt = await runTracer('bpftrace', ['-e', PROGRAM], stop);
      expect({ code: r.code, signal: r.signal, stdout: r.stdout }).toEqual({ code: 0, signal: null, stdout: STOPPED_OUTPUT });
      expect({ code: bt.code, stdout: bt.stdout }).toEqual({ code: 0, stdout: STOPPED_OUTPUT });
      expect(ours.progs.size).toBe(5);
      await expectNoLeaks(before, ours);
    });
  }

  it('SIGHUP stops like SIGINT: END once, maps once, exit 0 (bpftrace 0.17 dies and loses them; docs/compat.md)', async () => {
    const before = snapshot();
    const { r, ours } = await runAndWatch(['-e', PROGRAM], { signalOnOutput: { match: 'BEGIN ran\n', signal: 'SIGHUP' } });
    expect({ code: r.code, signal: r.signal, stdout: r.stdout }).toEqual({ code: 0, signal: null, stdout: STOPPED_OUTPUT });
    await expectNoLeaks(before, ours);
  });

  it('signals while END runs and maps print are absorbed or force-quit, never printed twice', async () => {
    // SIGTERM then SIGINT right away: the first stops, the second either lands
    // before map printing (absorbed) or during it (kills, as in bpftrace).
    const before = snapshot();
    const { r, ours } = await runAndWatch(['-e', PROGRAM], {
      onAttached: (pid) => {
        process.kill(pid, 'SIGTERM');
        process.kill(pid, 'SIGTERM');
      },
    });
    expect(count(r.stdout, 'END ran')).toBe(1);
    expect(count(r.stdout, '@b: 1')).toBe(1);
    expect(r.code).toBe(0);
    await expectNoLeaks(before, ours);
  });

  /**
   * A second SIGINT while the maps are printing quits at once (bpftrace 0.17:
   * killed by SIGINT). The map is big and stdout is not read, so the tracer is
   * provably blocked writing the maps when the second SIGINT arrives.
   */
  async function secondSigint(tracer: TracerBin, bin: string, second = true): Promise<{ signal: NodeJS.Signals | null; code: number | null; ours: Held; endRan: boolean; out: string }> {
    const comm = 'exitwl'; // the workload binary's name
    const w = new GatedWorkload(bin, ['getpid', '60000']);
    await w.ready();
    const script = `tracepoint:syscalls:sys_enter_getpid /comm == "${comm}"/ { @[nsecs] = count(); } END { printf("END ran\\n"); }`;
    const argv = tracer === 'tstrace' ? [process.execPath, TSTRACE_BIN, '-e', script] : [BPFTRACE_BIN, '-e', script];
    const child: ChildProcess = spawn(argv[0], argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, [NOTIFY_TOKEN]: '1', BPFTRACE_MAP_KEYS_MAX: '100000' },
    });
    const pid = child.pid!;
    const ours = emptyHeld();
    const poll = setInterval(() => addFdinfoIds(pid, ours), 25);
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString('latin1')));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString('latin1')));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    try {
      await until('probes attached', () => (out + err).includes(NOTIFY_TOKEN));
      addFdinfoIds(pid, ours);
      await w.go();
      child.stdout!.pause(); // from now on the pipe fills up
      const endRanBefore = out.includes('END ran');
      child.kill('SIGINT');
      // Blocked in write(2) on the full pipe: syscall 1 on x86_64.
      await until('the tracer blocks writing its maps', () => {
        try {
          return fs.readFileSync(`/proc/${pid}/syscall`, 'utf8').startsWith('1 ');
        } catch {
          return false;
        }
      });
      if (second) child.kill('SIGINT');
      child.stdout!.resume();
      const r = await exited;
      return { ...r, ours, endRan: !endRanBefore && out.includes('END ran'), out };
    } finally {
      clearInterval(poll);
      w.kill();
      if (alive(pid)) child.kill('SIGKILL');
    }
  }

  it('a second SIGINT while maps print force-quits (killed by SIGINT, as bpftrace 0.17), nothing remains', async () => {
    const bin = buildWorkload('exitwl', WORKLOAD_C);
    const before = snapshot();
    const ts = await secondSigint('tstrace', bin);
    expect({ code: ts.code, signal: ts.signal, endRan: ts.endRan }).toEqual({ code: null, signal: 'SIGINT', endRan: true });
    expect(ts.ours.progs.size).toBe(2);
    await expectNoLeaks(before, ts.ours);
    const bt = await secondSigint('bpftrace', bin);
    expect({ code: bt.code, signal: bt.signal, endRan: bt.endRan }).toEqual({ code: null, signal: 'SIGINT', endRan: true });
  }, 120_000);

  it('a reader slower than the map dump still gets every entry (stdout stays blocking; no partial writes)', async () => {
    const bin = buildWorkload('exitwl', WORKLOAD_C);
    const before = snapshot();
    const r = await secondSigint('tstrace', bin, false);
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
    const values = [...r.out.matchAll(/^@\[\d+\]: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(values.reduce((a, b) => a + b, 0)).toBe(60000);
    expect(r.out.endsWith('\n')).toBe(true);
    await expectNoLeaks(before, r.ours);
  }, 120_000);

  it('-c CMD: the child exiting ends the run; END once, maps once, exact as bpftrace 0.17, nothing remains', async () => {
    // A workload of its own: exactly 100 getpid calls, then exit.
    const bin = buildWorkload('exitc', '#include <unistd.h>\n#include <sys/syscall.h>\nint main(void) { for (int i = 0; i < 100; i++) syscall(SYS_getpid); return 0; }\n');
    const script = 'tracepoint:syscalls:sys_enter_getpid /pid == cpid/ { @calls = count(); } END { printf("END ran\\n"); }';
    const before = snapshot();
    const { r, ours } = await runAndWatch(['-c', bin, '-e', script], {});
    const bt = await runTracer('bpftrace', ['-c', bin, '-e', script]);
    const expected = 'Attaching 2 probes...\nEND ran\n\n\n@calls: 100\n';
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: expected, stderr: '' });
    expect({ code: bt.code, stdout: bt.stdout }).toEqual({ code: 0, stdout: expected });
    expect(ours.progs.size).toBe(2);
    await expectNoLeaks(before, ours);
  });

  it('END runs after every probe is detached: a busy tracepoint never writes after END (as bpftrace 0.17)', async () => {
    // Four processes call getpid as fast as they can. If a probe could still
    // fire once END has run, a later @last would show it, and a map END clears
    // could come back (examples/16-memleak.bt did, once in CI).
    const spinner = buildWorkload('exitspin', '#include <unistd.h>\n#include <sys/syscall.h>\nint main(void) { for (;;) syscall(SYS_getpid); }\n');
    const spinners = [0, 1, 2, 3].map(() => spawn(spinner, [], { stdio: 'ignore' }));
    try {
      const script = 'tracepoint:syscalls:sys_enter_getpid { @last = nsecs; @tids[tid] = 1; } interval:ms:50 { exit(); } END { @end = nsecs; clear(@tids); }';
      for (const tracer of ['tstrace', 'bpftrace'] as const) {
        for (let run = 0; run < (tracer === 'tstrace' ? 10 : 2); run++) {
          const r = await runTracer(tracer, ['-e', script]);
          expect(r.code, r.stderr).toBe(0);
          const m = /^Attaching 3 probes\.\.\.\n\n\n@end: (\d+)\n@last: (\d+)\n+$/.exec(r.stdout);
          expect(m, `${tracer} run ${run}: ${r.stdout}`).not.toBeNull();
          expect(BigInt(m![2]) < BigInt(m![1]), `${tracer} run ${run}: @last ${m![2]} after @end ${m![1]}`).toBe(true);
        }
      }
    } finally {
      for (const s of spinners) s.kill('SIGKILL');
    }
  }, 120_000);

  /** Starts `shellCommand` under bash; resolves the pid tstrace reports as attached, and the ids it holds. */
  async function startUnder(argv: string[], pidFile: string): Promise<{ shell: ChildProcess; tracerPid: number; ours: Held; output: () => string }> {
    fs.rmSync(pidFile, { force: true });
    const shell = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [NOTIFY_TOKEN]: '1' } });
    let out = '';
    shell.stdout!.on('data', (c: Buffer) => (out += c.toString('latin1')));
    shell.stderr!.on('data', (c: Buffer) => (out += c.toString('latin1')));
    shell.on('error', () => {});
    await until('tracer pid file', () => fs.existsSync(pidFile) && /^\d+\n/.test(fs.readFileSync(pidFile, 'utf8')));
    const tracerPid = Number(fs.readFileSync(pidFile, 'utf8'));
    const ours = emptyHeld();
    await until(`probes attached (output so far: ${JSON.stringify(out)})`, () => out.includes(NOTIFY_TOKEN));
    addFdinfoIds(tracerPid, ours);
    return { shell, tracerPid, ours, output: () => out };
  }

  it("parent shell SIGKILLed, pipe reader gone: tstrace notices without writing, runs END, exits, nothing remains", async () => {
    const pidFile = `/tmp/tstrace-exitpaths-${process.pid}.pid`;
    const before = snapshot();
    // -q and no printf: tstrace writes nothing until exit, so only the hangup watch can notice.
    const script = 'tracepoint:syscalls:sys_enter_getpid { @g = count(); } interval:s:1000 { @i = 1; }';
    const sh = writeTempFile('parent.sh', `"${process.execPath}" "${TSTRACE_BIN}" -q -e '${script}' &\necho $! > ${pidFile}\nwait\n`);
    const { shell, tracerPid, ours } = await startUnder(['bash', sh], pidFile);
    expect(ours.progs.size).toBe(2);
    shell.kill('SIGKILL');
    shell.stdout!.destroy();
    shell.stderr!.destroy();
    await until('tstrace exits after its reader is gone', () => !alive(tracerPid));
    await expectNoLeaks(before, ours);
    fs.rmSync(pidFile, { force: true });
  });

  it('terminal gone (pty hangs up, SIGHUP + EIO): tstrace stops and nothing remains', async () => {
    const pidFile = `/tmp/tstrace-exitpaths-pty-${process.pid}.pid`;
    const before = snapshot();
    // script(1) gives the shell a pty as controlling terminal; killing script closes the master.
    const sh = writeTempFile('tty.sh', `echo $$ > ${pidFile}\nexec "${process.execPath}" "${TSTRACE_BIN}" -e '${PROGRAM}'\n`);
    const { shell, tracerPid, ours } = await startUnder(['script', '-qfec', `bash ${sh}`, '/dev/null'], pidFile);
    expect(ours.progs.size).toBe(5);
    shell.kill('SIGKILL');
    await until('tstrace exits after the hangup', () => !alive(tracerPid));
    await expectNoLeaks(before, ours);
    fs.rmSync(pidFile, { force: true });
  });
});

describe('bpftrace 0.17 reference for SIGHUP (why tstrace diverges)', () => {
  it('bpftrace 0.17 is killed by SIGHUP without running END or printing maps', async () => {
    const bt = await runTracer('bpftrace', ['-e', PROGRAM], { signalOnOutput: { match: 'BEGIN ran\n', signal: 'SIGHUP' } });
    expect(bt.signal).toBe('SIGHUP');
    expect(bt.stdout).toBe('Attaching 5 probes...\nBEGIN ran\n');
    expect(stripMemlockWarning(bt.stderr)).toBe('');
  });
});
