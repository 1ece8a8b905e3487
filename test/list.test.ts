// -l / -lv, differential against bpftrace 0.17 on this machine's real lists
// (tracefs events, ELF symbols, USDT notes). Normalised, as docs/compat.md
// says, only where 0.17 prints its search pattern for software/hardware
// (`software:*sleep*:`), lists only two `iter:` probes (tstrace lists every
// iterator of the BTF, test/iter.test.ts compares those two), and
// warns that it can't read this kernel's (absent) kprobe list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'child_process';
import * as path from 'path';
import { ensureTracefs, GatedWorkload, removeTempDir, runTracer, stripMemlockWarning, tempDir } from './helpers/run';

let USDT = '';
beforeAll(() => {
  ensureTracefs();
  USDT = path.join(tempDir(), 'usdtlist');
  execFileSync('cc', ['-O2', '-o', USDT, path.join(__dirname, 'fixtures/usdt-prog.c')], { stdio: 'pipe' });
});
afterAll(removeTempDir);

const SOFTWARE = ['alignment-faults', 'bpf-output', 'context-switches', 'cpu-clock', 'cpu-migrations', 'dummy', 'emulation-faults',
  'major-faults', 'minor-faults', 'page-faults', 'task-clock'].map((e) => `software:${e}:`);
const HARDWARE = ['backend-stalls', 'branch-instructions', 'branch-misses', 'bus-cycles', 'cache-misses', 'cache-references',
  'cpu-cycles', 'frontend-stalls', 'instructions', 'ref-cycles'].map((e) => `hardware:${e}:`);

async function both(args: string[]): Promise<{ ours: string; theirs: string }> {
  const ours = await runTracer('tstrace', args, { notify: false });
  const theirs = await runTracer('bpftrace', args, { notify: false });
  expect(ours.code).toBe(0);
  expect(ours.stderr).toBe('');
  // 0.17 also tries to list kprobes, which this kernel doesn't have.
  expect(stripMemlockWarning(theirs.stderr).replace(/^WARNING: Could not read symbols from \/sys\/kernel\/tracing\/available_filter_functions: .*\n/m, '')).toBe('');
  // 0.17's echo of the search for software/hardware, and its iter probes.
  const norm = theirs.stdout.split('\n').filter((l) => !/^(software|hardware):.*[*].*:$/.test(l) && !l.startsWith('iter:')).join('\n');
  return { ours: ours.stdout, theirs: norm };
}

describe('-l', () => {
  it('tracepoint:* lists every traceable tracefs event, sorted, as bpftrace does', async () => {
    const { ours, theirs } = await both(['-l', 'tracepoint:*']);
    expect(ours.split('\n').length).toBeGreaterThan(1000);
    expect(ours).toBe(theirs);
  });

  it('a search over every provider, an alias, a comma list', async () => {
    for (const search of ['*sleep*', 't:syscalls:sys_enter_open*,tracepoint:syscalls:sys_exit_open', 'tracepoint:sched:sched_s*']) {
      const { ours, theirs } = await both(['-l', search]);
      expect(ours).toBe(theirs);
      expect(ours).not.toBe('');
    }
  });

  it('with no search: software and hardware events by their long names, the iterators, then the tracepoints', async () => {
    const ours = await runTracer('tstrace', ['-l'], { notify: false });
    const tracepoints = await runTracer('tstrace', ['-l', 'tracepoint:*'], { notify: false });
    const iterators = await runTracer('tstrace', ['-l', 'iter:*'], { notify: false });
    expect(iterators.stdout).toContain('iter:task\niter:task_file\n');
    expect(ours.stdout).toBe(HARDWARE.join('\n') + '\n' + iterators.stdout + SOFTWARE.join('\n') + '\n' + tracepoints.stdout);
    expect((await runTracer('tstrace', ['-l', 's:*'], { notify: false })).stdout).toBe(SOFTWARE.join('\n') + '\n');
  });

  it('uprobe: functions of an ELF file (path, or a library short name)', async () => {
    for (const search of ['uprobe:/bin/bash:*', 'uprobe:libc:mallo*', `uprobe:${USDT}:*`]) {
      const { ours, theirs } = await both(['-l', search]);
      expect(ours).toBe(theirs);
      expect(ours).not.toBe('');
    }
  });

  it('usdt: notes of an ELF file, with and without a provider', async () => {
    for (const search of [`usdt:${USDT}:*`, `usdt:${USDT}:s*`, `usdt:${USDT}:tstother:*`, `usdt:${USDT}:*:start`]) {
      const { ours, theirs } = await both(['-l', search]);
      expect(ours).toBe(theirs);
      expect(ours).not.toBe('');
    }
    expect((await runTracer('tstrace', ['-l', `usdt:${USDT}:*`], { notify: false })).stdout).toBe(
      ['tstest:global', 'tstest:six', 'tstest:start', 'tstest:tick', 'tstother:start'].map((n) => `usdt:${USDT}:${n}\n`).join(''),
    );
  });
});

describe('-l -p PID', () => {
  it("the uprobes and USDT probes of the process's executable, through /proc/PID/root, as bpftrace 0.17", async () => {
    const w = new GatedWorkload(USDT, ['gate', '1']);
    try {
      await w.ready();
      for (const search of [[], ['usdt:*'], ['uprobe:*'], ['usdt:*:tstest:s*']]) {
        const { ours, theirs } = await both(['-l', ...search, '-p', String(w.pid)]);
        expect(ours).toBe(theirs);
        expect(ours).toContain(`:/proc/${w.pid}/root${USDT}:`);
      }
    } finally {
      w.kill();
    }
  });
});

describe('-lv', () => {
  it('tracepoint formats, as bpftrace prints them', async () => {
    for (const search of ['tracepoint:syscalls:sys_enter_openat', 'tracepoint:sched:*']) {
      const { ours, theirs } = await both(['-lv', search]);
      expect(ours).toBe(theirs);
    }
    const { ours } = await both(['-lv', 'tracepoint:syscalls:sys_enter_openat']);
    expect(ours).toBe('tracepoint:syscalls:sys_enter_openat\n    int __syscall_nr\n    int dfd\n    const char * filename\n    int flags\n    umode_t mode\n');
    // -l -v is the same as -lv.
    expect((await runTracer('tstrace', ['-l', '-v', 'tracepoint:syscalls:sys_enter_openat'], { notify: false })).stdout).toBe(ours);
  });

  it('fentry/fexit prototypes from BTF (0.17 lists kfunc only where trampolines load, so not here)', async () => {
    const r = await runTracer('tstrace', ['-lv', 'fentry:vfs_read'], { notify: false });
    expect(r.stdout).toBe('fentry:vfs_read\n    struct file * file\n    char * buf\n    size_t count\n    loff_t * pos\n    ssize_t retval\n');
    expect((await runTracer('tstrace', ['-l', 'fexit:vfs_read*'], { notify: false })).stdout).toMatch(/^fexit:vfs_read\n(fexit:vfs_read\w+\n)*$/);
    // A bare -l doesn't list the thousands of BTF functions.
    expect((await runTracer('tstrace', ['-l', '*vfs_read'], { notify: false })).stdout).toBe('');
  });

  it('usdt arguments typed from their note operands (tstrace addition: 0.17 prints none)', async () => {
    const r = await runTracer('tstrace', ['-lv', `usdt:${USDT}:tstest:six`], { notify: false });
    expect(r.stdout).toBe(`usdt:${USDT}:tstest:six\n    int32 arg0\n    int64 arg1\n    int16 arg2\n    uint8 arg3\n    int64 arg4\n    uint64 arg5\n`);
  });
});
