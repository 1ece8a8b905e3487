// Every short probe-type alias bpftrace 0.17 accepts, for the aliases no
// other test file covers: `U:` and `i:` attach for real here (differential
// against bpftrace 0.17); `k:`, `kr:`, `f:`, `fr:`, `kfunc:`, `kretfunc:` and
// `h:` name kernel features this VM lacks (no kprobe or core PMU in
// /sys/bus/event_source/devices, BPF trampolines refused with EPERM), so they
// are checked by codegen (the attach plan names the long form) and by the
// one-line error a run gives. Each runtime check is skipped where the
// kernel has the feature.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { removeTempDir, runTracer, stripMemlockWarning, tempDir } from './helpers/run';

let usdt = '';
beforeAll(() => {
  usdt = path.join(tempDir(), 'usdtalias');
  execFileSync('cc', ['-O2', '-o', usdt, path.join(__dirname, 'fixtures/usdt-prog.c')], { stdio: 'pipe' });
});
afterAll(removeTempDir);

const DEVICES = '/sys/bus/event_source/devices';
const hasKprobes = fs.existsSync(`${DEVICES}/kprobe/type`);
const hasCorePmu = fs.readdirSync(DEVICES).some((d) => /^(cpu|cpu_core|cpu_atom)$/.test(d));

describe('aliases that attach here', () => {
  it('U: is usdt (3 loop iterations, 3 hits), named by the long form', async () => {
    const args = ['-c', `${usdt} 3`, '-e', `U:${usdt}:tstest:start { @[probe] = count(); }`];
    const ours = await runTracer('tstrace', args, { notify: false });
    const theirs = await runTracer('bpftrace', args, { notify: false });
    // The program reports on stderr (its own line, not the tracer's).
    expect(ours.stderr).toMatch(/^pid=\d+ semaphore_seen=0\n$/);
    expect(stripMemlockWarning(theirs.stderr)).toMatch(/^pid=\d+ semaphore_seen=0\n$/);
    expect(ours.stdout).toBe(`Attaching 1 probe...\n\n\n@[usdt:${usdt}:tstest:start]: 3\n`);
    expect(ours.stdout).toBe(theirs.stdout);
  });

  it('i: is interval', async () => {
    // It may fire again before exit() is seen: records after exit() are dropped (map counts would vary).
    const args = ['-e', 'i:ms:1 { printf("%s\\n", probe); exit(); }'];
    const ours = await runTracer('tstrace', args, { notify: false });
    const theirs = await runTracer('bpftrace', args, { notify: false });
    expect(ours.stderr).toBe('');
    expect(ours.stdout).toBe('Attaching 1 probe...\ninterval:ms:1\n\n\n');
    expect(ours.stdout).toBe(theirs.stdout);
  });
});

describe('aliases of probe types this kernel lacks', () => {
  const ALIASES: [string, string][] = [
    ['k:vfs_read', 'kprobe:vfs_read'],
    ['kr:vfs_read', 'kretprobe:vfs_read'],
    ['f:vfs_read', 'fentry:vfs_read'],
    ['fr:vfs_read', 'fexit:vfs_read'],
    ['kfunc:vfs_read', 'fentry:vfs_read'],
    ['kretfunc:vfs_read', 'fexit:vfs_read'],
    ['h:cycles', 'hardware:cycles'],
  ];

  it('compile to the long form (attach plan)', async () => {
    const r = await runTracer('tstrace', ['--explain', 'attach', '-e', ALIASES.map(([a]) => `${a} { @[probe] = count(); }`).join(' ')], { notify: false });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const named = r.stdout.split('\n').filter((l) => /^\S+ {2}\(probe_\d+, /.test(l)).map((l) => l.split(' ')[0]);
    expect(named).toEqual(ALIASES.map(([, long]) => long));
  });

  it.skipIf(hasKprobes)('k: and kr: stop with the kprobe line, naming the long form', async () => {
    for (const [alias, long] of ALIASES.slice(0, 2)) {
      const r = await runTracer('tstrace', ['-e', `${alias} { @ = count(); }`], { notify: false });
      expect(r.code, alias).toBe(255);
      expect(r.stderr, alias).toBe(`ERROR: ${long}: kprobes are not available in this kernel (no kprobe PMU in ${DEVICES}); ` +
        `use tracepoint:syscalls:${long.startsWith('kret') ? 'sys_exit_read' : 'sys_enter_read'} instead\n`);
    }
  });

  it('f:, fr:, kfunc:, kretfunc: stop with the trampoline line where the kernel refuses the trial load', async () => {
    for (const [alias, long] of ALIASES.slice(2, 6)) {
      const r = await runTracer('tstrace', ['-e', `${alias} { @ = count(); } BEGIN { exit(); }`], { notify: false });
      if (r.code === 0) continue; // trampolines work on this kernel
      expect(r.code, alias).toBe(1);
      expect(r.stderr, alias).toMatch(new RegExp(`^ERROR: ${long}: BPF trampolines are not (permitted|supported) on this kernel \\(loading returned E[A-Z]+\\); use .+ instead\\n$`));
    }
  });

  it.skipIf(hasCorePmu)('h: stops with the hardware-counter line', async () => {
    const r = await runTracer('tstrace', ['-e', 'h:cycles { @ = count(); }'], { notify: false });
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/^ERROR: hardware:cycles: hardware performance counters are not available on this machine \(perf_event_open: .+\); use software:cpu-clock or profile:hz:99 instead\n$/);
  });
});
