// Attach-point forms against real targets: C++ symbols (differential with
// bpftrace 0.17), uprobe path wildcards, -p resolving a library short name
// inside the process, wildcard sets where the kernel refuses one probe (warn
// and go on), and a probe that matches nothing (an error, for each type).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { buildWorkload, GatedWorkload, removeTempDir, runTracer, sortEqualValueRuns, stripMemlockWarning, tempDir, traceWorkload, uniqueComm, WORKLOAD_C } from './helpers/run';

const CPP = `
#include <cstdio>
namespace Ns {
struct Foo { __attribute__((noinline)) int bar(int x) { return x + 1; } };
__attribute__((noinline)) int twice(int x) { return 2 * x; }
}
__attribute__((noinline)) int twice(long x) { return 3 * x; }
int main() {
  Ns::Foo f;
  int s = 0;
  for (int i = 0; i < 3; i++) s += f.bar(i) + Ns::twice(i) + twice((long)i);
  std::printf("%d\\n", s);
  return 0;
}
`;

// fn_locked starts with a lock-prefixed instruction, which x86 uprobes refuse (ENOTSUPP).
const LOCKED_C = `
#include <stdio.h>
#include <unistd.h>
int counter;
__attribute__((naked, noinline)) void fn_locked(int *p) { __asm__("lock incl (%rdi)\\n ret"); }
__attribute__((noinline)) void fn_plain(int *p) { __asm__ volatile("" ::: "memory"); *p += 1; }
int main(void) {
  char c;
  printf("ready\\n");
  fflush(stdout);
  if (read(0, &c, 1) != 1) return 3;
  for (int i = 0; i < 3; i++) { fn_locked(&counter); fn_plain(&counter); }
  return 0;
}
`;

let cpp = '';
let locked = '';
let workload = '';
let comm = '';
beforeAll(() => {
  cpp = path.join(tempDir(), 'cppforms');
  fs.writeFileSync(`${cpp}.cc`, CPP);
  execFileSync('g++', ['-O2', '-o', cpp, `${cpp}.cc`]);
  locked = buildWorkload('lockedfn', LOCKED_C);
  comm = uniqueComm('tsforms_');
  workload = buildWorkload(comm, WORKLOAD_C);
});
afterAll(removeTempDir);

describe('C++ symbols', () => {
  for (const name of ['"Ns::twice(int)"', 'twice', '*twice*', '"Ns::Foo::bar"', '_Z5twicel']) {
    it(`uprobe:BIN:${name} matches as bpftrace 0.17 does`, async () => {
      const args = ['-c', cpp, '-e', `uprobe:${cpp}:${name} { @[probe] = count(); }`];
      const ours = await runTracer('tstrace', args, { notify: false });
      const theirs = await runTracer('bpftrace', args, { notify: false });
      expect(stripMemlockWarning(theirs.stderr)).toBe('');
      expect(ours.stderr).toBe('');
      // Equal counts print in hash order in 0.17 (docs/compat.md: sorted by text in tstrace).
      expect(sortEqualValueRuns(ours.stdout)).toBe(sortEqualValueRuns(theirs.stdout));
      expect(ours.stdout).toMatch(/^Attaching \d probes?\.\.\.\n21\n\n\n(@\[uprobe:.*:_Z\w+(\.isra\.0)?\]: 3\n)+$/);
    });
  }

  it('the cpp: qualifier (current bpftrace) matches demangled names only', async () => {
    const r = await runTracer('tstrace', ['-c', cpp, '-e', `uprobe:${cpp}:cpp:"Ns::*" { @[probe] = count(); }`], { notify: false });
    expect(r.stdout).toBe(`Attaching 2 probes...\n21\n\n\n@[uprobe:${cpp}:_ZN2Ns3Foo3barEi.isra.0]: 3\n@[uprobe:${cpp}:_ZN2Ns5twiceEi]: 3\n`);
  });
});

describe('uprobe targets', () => {
  it('a wildcard path expands over the files it names', async () => {
    const dir = path.dirname(cpp);
    const r = await runTracer('tstrace', ['-c', cpp, '-e', `uprobe:${dir}/cppfor*:"Ns::twice(int)" { @[probe] = count(); }`], { notify: false });
    expect(r.stdout).toBe(`Attaching 1 probe...\n21\n\n\n@[uprobe:${cpp}:_ZN2Ns5twiceEi]: 3\n`);
  });

  it('-p resolves a library short name in the process, and every probe counts only its calls', async () => {
    const w = new GatedWorkload(workload, ['getpid', '6']);
    const other = new GatedWorkload(workload, ['getpid', '4']);
    try {
      await Promise.all([w.ready(), other.ready()]);
      const libc = fs.readFileSync(`/proc/${w.pid}/maps`, 'latin1').split('\n').map((l) => l.split(/\s+/)[5]).find((p) => p && /\/libc\.so/.test(p));
      // The tracepoint sees both processes' getpid() calls; -p filters it to PID (current bpftrace).
      const script = 'uprobe:libc:syscall { @[probe, pid] = count(); } tracepoint:syscalls:sys_enter_getpid { @tp[pid] = count(); }';
      const r = await runTracer('tstrace', ['-p', String(w.pid), '-e', script], {
        onAttached: async () => {
          await other.go();
          await w.go();
        },
      });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`Attaching 2 probes...\n\n\n@[uprobe:${libc}:syscall, ${w.pid}]: 6\n@tp[${w.pid}]: 6\n`);
    } finally {
      w.kill();
      other.kill();
    }
  });
});

describe('wildcard sets and probes that match nothing', () => {
  it('a probe of a wildcard set the kernel refuses is skipped with a warning; the others run', async () => {
    const w = new GatedWorkload(locked, []);
    try {
      await w.ready();
      const r = await runTracer('tstrace', ['-p', String(w.pid), '-e', `uprobe:${locked}:fn_* { @[probe] = count(); }`], { onAttached: () => w.go().then(() => undefined) });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(`WARNING: could not attach probe uprobe:${locked}:fn_locked, skipping: the kernel can't place a uprobe on the instruction there (ENOTSUPP)\n`);
      expect(r.stdout).toBe(`Attaching 2 probes...\n\n\n@[uprobe:${locked}:fn_plain]: 3\n`);
    } finally {
      w.kill();
    }
  });

  it('the same probe named exactly is an error', async () => {
    const w = new GatedWorkload(locked, []);
    try {
      await w.ready();
      const r = await runTracer('tstrace', ['-p', String(w.pid), '-e', `uprobe:${locked}:fn_locked { @ = count(); }`], { notify: false });
      expect(r.code).toBe(255);
      expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`ERROR: Error attaching probe: 'uprobe:${locked}:fn_locked': the kernel can't place a uprobe`));
    } finally {
      w.kill();
    }
  });

  it('each probe type: matching nothing is an error at the attach point', async () => {
    const cases: [string, string][] = [
      ['tracepoint:nope*:sys_enter_x', 'tracepoints not found: nope*:sys_enter_x'],
      ['tracepoint:ftrace:func*', 'tracepoints not found: ftrace:func*'],
      ['uprobe:/bin/bash:zzz_nope*', 'No functions in /bin/bash match zzz_nope*'],
      ['uprobe:/nonexistent*/x:f', 'No uprobe probes match /nonexistent*/x:f: no executable or library matches the path'],
      [`usdt:${locked}:*`, `no usdt probe matches * in ${locked}`],
      ['rawtracepoint:zzz_nope*', 'No raw tracepoint matches zzz_nope*'],
      ['fentry:zzz_nope*', 'No kernel functions with BTF match zzz_nope*'],
      ['kprobe:zzz_nope*', 'No kernel functions match zzz_nope*'],
      ['kprobe:vmlinux:zzz_nope*', 'No kernel functions match vmlinux:zzz_nope*'],
    ];
    for (const [ap, message] of cases) {
      // Not --dry-run: that compiles probes on kernel functions missing here, with a warning.
      const r = await runTracer('tstrace', ['-e', `${ap} { @ = count(); }`], { notify: false });
      expect(r.code, ap).toBe(1);
      expect(r.stderr.split('\n')[0].startsWith(`stdin:1:1-${ap.length + 1}: ERROR: ${message}`), `${ap}: ${r.stderr}`).toBe(true);
    }
  });

  it('wildcards in the tracepoint category and event, same expansion as bpftrace 0.17', async () => {
    // The script ends itself when the workload exits: bpftrace 0.17 sometimes hangs on a SIGINT right after attaching.
    const script =
      `tracepoint:sysc*:sys_enter_getp* /comm == "${comm}"/ { @[probe] = count(); } ` +
      `tracepoint:sched:sched_process_exit /comm == "${comm}"/ { exit(); }`;
    const run = (bin: 'tstrace' | 'bpftrace') => traceWorkload(bin, ['-e', script], workload, ['getpid', '5'], { stopSignal: null });
    const ours = await run('tstrace');
    const theirs = await run('bpftrace');
    expect(ours.stdout).toBe(theirs.stdout);
    // getpid, getppid, getpgid, getpgrp, getpriority, getpeername: only getpid fires.
    expect(ours.stdout).toBe('Attaching 7 probes...\n\n\n@[tracepoint:syscalls:sys_enter_getpid]: 5\n');
  });
});

describe('software events', () => {
  it('every name and alias bpftrace 0.17 accepts attaches here, as in bpftrace', async () => {
    const events = ['alignment-faults', 'context-switches', 'cs', 'cpu-clock:1000000', 'cpu:1000000', 'cpu-migrations', 'dummy',
      'emulation-faults', 'major-faults', 'minor-faults', 'page-faults', 'faults', 'task-clock'];
    const script = `${events.map((e) => `software:${e}`).join(', ')} { } interval:ms:100 { exit(); }`;
    const ours = await runTracer('tstrace', ['-e', script], { notify: false });
    const theirs = await runTracer('bpftrace', ['-e', script], { notify: false });
    expect(stripMemlockWarning(theirs.stderr)).toBe('');
    expect(ours.stderr).toBe('');
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stdout).toBe('Attaching 14 probes...\n\n\n');
    // bpf-output too (bpftrace 0.17's bcc refuses it: "Invalid perf event type 1 config 10").
    const bpfOutput = await runTracer('tstrace', ['-e', 'software:bpf-output { } interval:ms:100 { exit(); }'], { notify: false });
    expect(bpfOutput.stderr).toBe('');
    expect(bpfOutput.stdout).toBe('Attaching 2 probes...\n\n\n');
  });
});
