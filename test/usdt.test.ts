// USDT probes, -c CMD and -p PID against a real <sys/sdt.h> program
// (test/fixtures/usdt-prog.c, built here at -O0 and -O2 so its notes hold
// memory, register and constant operands), with exact argument values,
// differential against bpftrace 0.17 where 0.17 can do the same thing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { GatedWorkload, removeTempDir, runTracer, stripMemlockWarning, tempDir } from './helpers/run';
import { expectNoLeaks, snapshot, watchBpfIds } from './helpers/leaks';

let O0 = '';
let O2 = '';

function build(name: string, opt: string): string {
  const bin = path.join(tempDir(), name);
  execFileSync('cc', [opt, '-Wall', '-o', bin, path.join(__dirname, 'fixtures/usdt-prog.c')], { stdio: 'pipe' });
  return bin;
}

beforeAll(() => {
  O0 = build('usdtprog0', '-O0');
  O2 = build('usdtprog2', '-O2');
});
afterAll(removeTempDir);

const SIX = (bin: string) =>
  `usdt:${bin}:tstest:six { printf("%d %d %d %d %d %s\\n", arg0, arg1, arg2, arg3, arg4, str(arg5)); @a[arg0, arg3] = count(); @u = arg0; } ` +
  `usdt:${bin}:tstest:start { @s = count(); }`;

describe('usdt arguments, -c', () => {
  for (const [label, bin] of [['-O0 (memory operands)', () => O0], ['-O2 (constants and registers)', () => O2]] as const) {
    it(`${label}: same output as bpftrace 0.17`, async () => {
      const args = ['-c', `${bin()} 3`, '-e', SIX(bin())];
      const ours = await runTracer('tstrace', args, { notify: false });
      const theirs = await runTracer('bpftrace', args, { notify: false });
      // The child's own line (on stderr) carries its pid, different in each run.
      const norm = (s: string) => s.replace(/^pid=\d+ /m, 'pid=N ');
      expect(norm(stripMemlockWarning(theirs.stderr))).toBe('pid=N semaphore_seen=0\n');
      expect(norm(ours.stderr)).toBe('pid=N semaphore_seen=0\n');
      expect(ours.code).toBe(0);
      expect(ours.stdout).toBe(theirs.stdout);
      expect(ours.stdout).toBe(
        'Attaching 2 probes...\n' +
          '-5 1912276171 7 250 0 hello\n-5 1912276171 7 250 1 hello\n-5 1912276171 7 250 2 hello\n\n\n' +
          '@a[-5, 250]: 3\n@s: 3\n@u: 18446744073709551611\n',
      );
    });
  }

  it('a semaphore is set while its probe is attached (ref_ctr_offset), and only then', async () => {
    const script = `usdt:${O2}:tstest:tick { @[arg0] = count(); }`;
    const ours = await runTracer('tstrace', ['-c', `${O2} 3`, '-e', script], { notify: false });
    expect(ours.stdout).toBe('Attaching 1 probe...\n\n\n@[100]: 1\n@[101]: 1\n@[102]: 1\n');
    expect(ours.stderr).toMatch(/^pid=\d+ semaphore_seen=3\n$/);
    const untraced = spawnSync(O2, ['3'], { encoding: 'utf8' });
    expect(untraced.stderr).toMatch(/^pid=\d+ semaphore_seen=0\n$/);
  });

  it('a global named by a rip-relative operand is read (bpftrace 0.17: "deref ident is not handled yet")', async () => {
    for (const bin of [O0, O2]) {
      const r = await runTracer('tstrace', ['-c', `${bin} 2`, '-e', `usdt:${bin}:tstest:global { printf("g=%d\\n", arg0); }`], { notify: false });
      expect(r.stdout).toBe('Attaching 1 probe...\ng=77\ng=77\n\n\n');
    }
  });

  it('cpid is the child pid; probes fire only in the child; no BPF program or map is left after it exits', async () => {
    const before = snapshot();
    const watch = watchBpfIds();
    const script = `usdt:${O2}:tstest:start { printf("cpid=%d pid=%d\\n", cpid, pid); } tracepoint:syscalls:sys_enter_getpid { @other[pid == cpid] = count(); }`;
    const r = await runTracer('tstrace', ['-c', `${O2} 2`, '-e', script], { notify: false, onSpawn: watch.onSpawn });
    watch.stop();
    expect(r.code).toBe(0);
    const pid = /^pid=(\d+) semaphore_seen=0\n$/.exec(r.stderr)?.[1];
    expect(pid).toBeDefined();
    // The program calls getpid() once; other processes' calls are filtered out.
    expect(r.stdout).toBe(`Attaching 2 probes...\ncpid=${pid} pid=${pid}\ncpid=${pid} pid=${pid}\n\n\n@other[1]: 1\n`);
    expect(watch.ours.progs.size).toBe(2);
    await expectNoLeaks(before, watch.ours);
  });

  it('wildcards in provider and name; namespace-less names; the probe builtin', async () => {
    const r = await runTracer('tstrace', ['-c', `${O2} 1`, '-e', `usdt:${O2}:tstest:s* { @[probe] = count(); } usdt:${O2}:tick { @t = count(); }`], { notify: false });
    expect(r.stdout).toBe(`Attaching 3 probes...\n\n\n@[usdt:${O2}:tstest:six]: 1\n@[usdt:${O2}:tstest:start]: 1\n@t: 1\n`);
  });
});

describe('usdt without -c', () => {
  it('attaches to every process mapping the file (system-wide)', async () => {
    const w = new GatedWorkload(O0, ['gate', '4']);
    try {
      await w.ready();
      const r = await runTracer('tstrace', ['-e', `usdt:${O0}:tstest:six { @[arg4] = sum(arg1); }`], {
        onAttached: async () => {
          await w.go();
        },
        signalAfterAttach: 'SIGINT',
      });
      expect(r.stdout).toBe('Attaching 1 probe...\n\n\n@[0]: 1234567890123\n@[1]: 1234567890123\n@[2]: 1234567890123\n@[3]: 1234567890123\n');
    } finally {
      w.kill();
    }
  });

  it('-p PID: only that process, and the run ends when it exits', async () => {
    const other = new GatedWorkload(O2, ['gate', '5']);
    const w = new GatedWorkload(O2, ['gate', '2']);
    try {
      await Promise.all([w.ready(), other.ready()]);
      const r = await runTracer('tstrace', ['-p', String(w.pid), '-e', `usdt:${O2}:tstest:six { @[pid] = count(); } usdt:${O2}:tstest:tick { @tick = count(); }`], {
        onAttached: async () => {
          await other.go();
          await w.go();
        },
      });
      // No signal was sent: the end of PID ended the run.
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`Attaching 2 probes...\n\n\n@[${w.pid}]: 2\n@tick: 2\n`);
    } finally {
      w.kill();
      other.kill();
    }
  });
});

describe('usdt and -p/-c errors', () => {
  const err = async (args: string[]) => {
    const r = await runTracer('tstrace', args, { notify: false });
    return { code: r.code, stderr: r.stderr };
  };
  it('bad attach points', async () => {
    const ap = (text: string) => err(['--dry-run', '-e', `${text} { @ = count(); }`]);
    expect(await ap(`usdt:${O2}:start`)).toEqual({
      code: 1,
      stderr: `stdin:1:1-${`usdt:${O2}:start`.length + 1}: ERROR: namespace for usdt:${O2}:start not specified, matched 2 probes\nusdt:${O2}:start { @ = count(); }\n${'~'.repeat(`usdt:${O2}:start`.length)}\n`,
    });
    expect((await ap(`usdt:${O2}:tstest:nope`)).stderr).toContain(`ERROR: no usdt probe matches tstest:nope in ${O2}\n`);
    expect((await ap('usdt:/nonexistent:a:b')).stderr).toContain("ERROR: usdt target file '/nonexistent' does not exist or is not executable\n");
    expect((await ap(`usdt:${O2}`)).stderr).toContain('ERROR: usdt probe type requires 2 or 3 arguments\n');
    expect((await ap(`usdt:${O2}:tstest:six { @ = arg6; } usdt:${O2}:tstest:start`)).stderr).toContain(
      `ERROR: usdt:${O2}:tstest:six has 6 arguments: arg6 does not exist\n`,
    );
  });
  it('cpid without -c, -p checks, -c with -p, -c with a missing program', async () => {
    expect((await err(['--dry-run', '-e', 'BEGIN { @ = cpid; }'])).stderr).toContain('ERROR: cpid cannot be used without child command\n');
    expect(await err(['-p', 'abc', '-e', 'BEGIN {}'])).toEqual({ code: 1, stderr: "ERROR: pid 'abc' is not a valid decimal number\n" });
    expect(await err(['-p', '999999999', '-e', 'BEGIN {}'])).toEqual({ code: 1, stderr: 'ERROR: pid 999999999: No such process\n' });
    expect(await err(['-p', '1', '-c', 'true', '-e', 'BEGIN {}'])).toEqual({ code: 1, stderr: 'ERROR: USAGE: Cannot use both -c and -p.\n' });
    expect(await err(['-c', '/nonexistent/x', '-e', 'BEGIN {}'])).toEqual({
      code: 255, stderr: "ERROR: Failed to fork child: path '/nonexistent/x' does not exist or is not executable\n",
    });
  });
  it('a compile error never starts the command', async () => {
    const marker = path.join(tempDir(), 'ran');
    const r = await err(['-c', `/bin/touch ${marker}`, '-e', 'BEGIN { @ = nope; }']);
    expect(r.code).toBe(1);
    expect(fs.existsSync(marker)).toBe(false);
  });
});
