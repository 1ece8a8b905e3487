// Probe types beyond tracepoints, against the real kernel: uprobes and
// uretprobes on a tiny C program built here (exact values), profile and
// software events (they fire), and, for what this kernel lacks (hardware
// counters, kprobes, BPF trampolines), the one-line error each must give.
// Which features the kernel has is asked of the kernel itself, so the same
// tests hold on a machine that has them. Needs `npm run build:ts` first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { buildWorkload, removeTempDir, runTracer, RunResult, uniqueComm } from './helpers/run';
import { ElfFile } from '../src/probes/elf';
import { vmlinuxBtf } from '../src/probes/btf';
import { native } from '../src/runtime/native';

const NO_STACK_TRACE = /at .*\.js|^\s+at /m;

// add() is called 3 times with (1, 10), 5 times with (2, 20), 7 times with (3, 30):
// distinct counts, so the map prints in a fixed order. Sum of the results: 3*11 + 5*22 + 7*33.
const ADD_C = `
#include <stdlib.h>
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline, noipa)) int add(int a, int b) { return a + b; }

int main(int argc, char **argv) {
  long total = 0;
  int scale = argc > 1 ? atoi(argv[1]) : 1;
  for (int a = 1; a <= 3; a++)
    for (int j = 0; j < 2 * a + 1; j++) total += add(a, 10 * a * scale);
  if (getenv("TSTRACE_PROBES_TEST_NEVER_SET")) total++;
  printf("%ld\\n", total);
  return 0;
}
`;
const ADD_CALLS = 15;
const RETVAL_SUM = 3 * 11 + 5 * 22 + 7 * 33;

let comm: string;
let bin: string;

beforeAll(() => {
  comm = uniqueComm('tsprobe_');
  bin = buildWorkload(comm, ADD_C);
});

afterAll(() => removeTempDir());

/** Runs tstrace; once attached, runs the test program to completion, then stops tstrace with SIGINT. */
function traceAdd(script: string): Promise<RunResult> {
  return runTracer('tstrace', ['-e', script], {
    onAttached: () => {
      expect(execFileSync(bin, [], { encoding: 'utf8' })).toBe(`${RETVAL_SUM}\n`);
    },
    signalAfterAttach: 'SIGINT',
  });
}

describe('uprobe / uretprobe', () => {
  it('reads arg0 and arg1 of every call', async () => {
    const r = await traceAdd(`uprobe:${bin}:add { @a[arg0, arg1] = count(); }`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Attaching 1 probe...\n\n\n@a[1, 10]: 3\n@a[2, 20]: 5\n@a[3, 30]: 7\n');
    expect(r.code).toBe(0);
  });

  it('reads retval of every return', async () => {
    const r = await traceAdd(`uretprobe:${bin}:add { @r = sum(retval); @n = count(); }`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`Attaching 1 probe...\n\n\n@n: ${ADD_CALLS}\n@r: ${RETVAL_SUM}\n`);
    expect(r.code).toBe(0);
  });

  it('accepts the u:/ur: aliases, and `probe` names the expanded attach point', async () => {
    const r = await traceAdd(`u:${bin}:ad* { @[probe] = count(); } ur:${bin}:add { @ret = count(); }`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`Attaching 2 probes...\n\n\n@[uprobe:${bin}:add]: ${ADD_CALLS}\n@ret: ${ADD_CALLS}\n`);
    expect(r.code).toBe(0);
  });

  it('attaches to an address (the start of add) and names it in decimal', async () => {
    const addr = ElfFile.with(bin, (e) => e.functions().get('add')!.value);
    const r = await traceAdd(`uprobe:${bin}:0x${addr.toString(16)} { @[probe] = count(); }`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`Attaching 1 probe...\n\n\n@[uprobe:${bin}:${addr}]: ${ADD_CALLS}\n`);
    expect(r.code).toBe(0);
  });

  it('resolves a library short name through ld.so.cache and shows the resolved path', async () => {
    const r = await traceAdd(`uprobe:libc:getenv /comm == "${comm}"/ { @[probe] = count(); }`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Attaching 1 probe\.\.\.\n\n\n@\[uprobe:\/[^\]]*\/libc\.so\.6:getenv\]: [1-9][0-9]*\n$/);
    expect(r.code).toBe(0);
  });

  it('refuses an offset that is not on an instruction boundary (it would crash the program)', async () => {
    const r = await runTracer('tstrace', ['--dry-run', '--no-cache', '-e', `uprobe:${bin}:add+1 { }`], { notify: false });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/ERROR: .*add\+1 is not on an instruction boundary|ERROR: Can't check if uprobe is in proper place/);
  });

  it('reports a missing binary and a missing symbol at the attach point', async () => {
    let r = await runTracer('tstrace', ['--dry-run', '--no-cache', '-e', 'uprobe:/nonexistent/bin:f { }'], { notify: false });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe("stdin:1:1-26: ERROR: uprobe target file '/nonexistent/bin' does not exist or is not executable");
    r = await runTracer('tstrace', ['--no-cache', '-e', `uprobe:${bin}:nosuchfn { }`], { notify: false });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`ERROR: Could not resolve symbol: ${bin}:nosuchfn`);
    // --dry-run compiles it anyway, with a warning (docs/compat.md).
    r = await runTracer('tstrace', ['--dry-run', '--no-cache', '-e', `uprobe:${bin}:nosuchfn { }`], { notify: false });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`WARNING: Could not resolve symbol: ${bin}:nosuchfn; --dry-run compiles the probe anyway`);
  });

  it('rejects retval in an entry probe and arg0 in a return probe', async () => {
    let r = await runTracer('tstrace', ['--dry-run', '--no-cache', '-e', `uprobe:${bin}:add { @ = retval; }`], { notify: false });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ERROR: The retval builtin can only be used with 'kretprobe' and 'uretprobe' and 'kfunc' probes");
    r = await runTracer('tstrace', ['--dry-run', '--no-cache', '-e', `uretprobe:${bin}:add { @ = arg0; }`], { notify: false });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ERROR: The arg0 builtin can only be used with 'kprobes', 'uprobes' and 'usdt' probes");
  });
});

describe('profile and software events', () => {
  it('profile:hz:99 fires (one event per CPU)', async () => {
    const r = await runTracer('tstrace', ['-e', 'profile:hz:99 { @[cpu] = count(); } interval:ms:300 { exit(); }']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Attaching 2 probes\.\.\.\n\n\n(@\[\d+\]: \d+\n)+$/);
    expect(r.code).toBe(0);
  });

  it('profile:ms:N and the p: alias fire, named by the long form', async () => {
    const r = await runTracer('tstrace', ['-e', 'p:ms:10 { @[probe] = count(); } interval:ms:300 { exit(); }']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Attaching 2 probes\.\.\.\n\n\n@\[profile:ms:10\]: \d+\n$/);
    expect(r.code).toBe(0);
  });

  it('software:cpu-clock fires with its default count', async () => {
    const r = await runTracer('tstrace', ['-e', 'software:cpu-clock { @[cpu] = count(); } interval:ms:300 { exit(); }']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Attaching 2 probes\.\.\.\n\n\n(@\[\d+\]: \d+\n)+$/);
    expect(r.code).toBe(0);
  });

  it('s:faults:1 counts the page faults of a program it watches', async () => {
    const r = await traceAdd(`s:faults:1 /comm == "${comm}"/ { @[probe] = count(); }`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Attaching 1 probe\.\.\.\n\n\n@\[software:faults:1\]: [1-9]\d*\n$/);
    expect(r.code).toBe(0);
  });

  it('rejects an unknown software event and wildcards', async () => {
    let r = await runTracer('tstrace', ['--dry-run', '--no-cache', '-e', 'software:nope:1 { }'], { notify: false });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe('stdin:1:1-16: ERROR: nope is not a software probe');
    r = await runTracer('tstrace', ['--dry-run', '--no-cache', '-e', 'software:cpu* { }'], { notify: false });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe('stdin:1:1-14: ERROR: wildcards are not allowed for hardware probe type');
  });
});

// What this kernel lacks, asked of the kernel.
const hasCorePmu = ['cpu', 'cpu_core', 'cpu_atom'].some((d) => fs.existsSync(`/sys/bus/event_source/devices/${d}`));
const hasKprobePmu = fs.existsSync('/sys/bus/event_source/devices/kprobe/type');
function trampolinesPermitted(): boolean {
  const f = vmlinuxBtf()?.func('vfs_read');
  if (!f) return false;
  // r0 = 0; exit
  const insns = Buffer.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  try {
    const { fd } = native.loadProgram({ type: 26, name: 'probe_check', insns, fdArray: [], license: 'GPL', logLevel: 0, expectedAttachType: 24, attachBtfId: f.id });
    native.closeFd(fd);
    return true;
  } catch {
    return false;
  }
}

describe('probe types this kernel lacks: one line, non-zero exit, no stack trace', () => {
  function expectOneLine(r: RunResult, line: string, code: number): void {
    expect(r.stderr).toBe(`${line}\n`);
    expect(r.stderr).not.toMatch(NO_STACK_TRACE);
    expect(r.code).toBe(code);
  }

  it.skipIf(hasCorePmu)('hardware:cache-misses names the missing counters and the alternatives', async () => {
    const r = await runTracer('tstrace', ['-e', 'hardware:cache-misses:1000000 { @ = count(); }'], { notify: false });
    expect(r.stdout).toBe('Attaching 1 probe...\n');
    expectOneLine(
      r,
      'ERROR: hardware:cache-misses:1000000: hardware performance counters are not available on this machine ' +
        '(perf_event_open: No such file or directory); use software:cpu-clock or profile:hz:99 instead',
      255,
    );
  });

  it.skipIf(hasKprobePmu)('kprobe:vfs_read says kprobes are missing and suggests a tracepoint', async () => {
    const r = await runTracer('tstrace', ['-e', 'kprobe:vfs_read { @[arg2] = count(); }'], { notify: false });
    expect(r.stdout).toBe('Attaching 1 probe...\n');
    expectOneLine(
      r,
      'ERROR: kprobe:vfs_read: kprobes are not available in this kernel (no kprobe PMU in /sys/bus/event_source/devices); ' +
        'use tracepoint:syscalls:sys_enter_read instead',
      255,
    );
  });

  it.skipIf(hasKprobePmu)('kretprobe (kr:) gives the same line, with the return tracepoint', async () => {
    const r = await runTracer('tstrace', ['-e', 'kr:vfs_read { @ = sum(retval); }'], { notify: false });
    expectOneLine(
      r,
      'ERROR: kretprobe:vfs_read: kprobes are not available in this kernel (no kprobe PMU in /sys/bus/event_source/devices); ' +
        'use tracepoint:syscalls:sys_exit_read instead',
      255,
    );
  });

  it.skipIf(trampolinesPermitted())('fentry:vfs_read says BPF trampolines are not permitted', async () => {
    const r = await runTracer('tstrace', ['-e', 'fentry:vfs_read { @[args->count] = count(); }'], { notify: false });
    expect(r.stdout).toBe('');
    expectOneLine(
      r,
      'ERROR: fentry:vfs_read: BPF trampolines are not permitted on this kernel (loading returned EPERM); use ' +
        (hasKprobePmu ? 'kprobe:vfs_read' : 'tracepoint:syscalls:sys_enter_read (kprobes are not available either)') + ' instead',
      1,
    );
  });

  it('--dry-run compiles kprobe, kretprobe, fentry and fexit scripts fully', async () => {
    const script =
      'kprobe:vfs_read { @[arg0, arg2] = count(); } kprobe:vfs_read+16 { @o = count(); } kretprobe:vfs_read { @r = sum(retval); } ' +
      'fentry:vfs_read { @c = sum(args->count); } kfunc:vfs_write { @w = sum(arg2); } fexit:vfs_read { @x = hist(retval); }';
    const r = await runTracer('tstrace', ['--dry-run', '--no-cache', '-e', script], { notify: false });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });

  it('an unknown kernel function is an error at the attach point', async () => {
    let r = await runTracer('tstrace', ['--no-cache', '-e', 'kprobe:no_such_function_xyz { }'], { notify: false });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe('stdin:1:1-28: ERROR: No kernel function named no_such_function_xyz (not in /proc/kallsyms)');
    // --dry-run compiles it anyway, with a warning (docs/compat.md).
    r = await runTracer('tstrace', ['--dry-run', '--no-cache', '-e', 'kprobe:no_such_function_xyz { }'], { notify: false });
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe('stdin:1:1-28: WARNING: No kernel function named no_such_function_xyz (not in /proc/kallsyms); --dry-run compiles the probe anyway');
  });

  it('arg6 is not an x86_64 register argument', async () => {
    const r = await runTracer('tstrace', ['--dry-run', '--no-cache', '-e', 'kprobe:vfs_read { @ = arg6; }'], { notify: false });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe("stdin:1:23-27: ERROR: x86_64 doesn't support arg6");
  });
});
