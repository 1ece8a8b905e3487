// watchpoint:FUNC+argN:LEN:MODE and asyncwatchpoint (bpftrace 0.17's forms):
// the breakpoint goes on the address FUNC receives in argN, in the -p/-c
// process, from the moment FUNC is called. A hidden set-up uprobe reports the
// address; tstrace opens the breakpoint at run time (watchpoint also holds the
// process stopped meanwhile). Hardware breakpoints work in this VM (the
// breakpoint PMU is in /sys/bus/event_source/devices and the writes below are
// counted), and bpftrace 0.17 runs these forms here, so every case is
// differential against it, on tiny C programs built here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'child_process';
import * as fs from 'fs';
import { buildWorkload, removeTempDir, runTracer, stripMemlockWarning, TracerBin, uniqueComm } from './helpers/run';
import { runBothWithChild } from './helpers/oracle';

// watch_me(&a) is called twice (the second call reports the same address: no
// second breakpoint), then `a` is written 6 times; watch_second(1, &b) passes
// the address in arg1, then `b` is written twice. "held": wait for a byte
// before calling watch_me and another after it (for -p and asyncwatchpoint).
const WATCH_C = `
#include <stdio.h>
#include <string.h>
#include <unistd.h>
volatile long a, b;
__attribute__((noinline, noipa)) void watch_me(volatile long *p) { __asm__ volatile("" : : "r"(p) : "memory"); }
__attribute__((noinline, noipa)) void watch_second(int tag, volatile long *p) { __asm__ volatile("" : : "r"(tag), "r"(p) : "memory"); }
static void wait_byte(void) { char c; if (read(0, &c, 1) != 1) _exit(3); }
int main(int argc, char **argv) {
  int held = argc > 1 && strcmp(argv[1], "held") == 0;
  if (held) { printf("ready\\n"); fflush(stdout); wait_byte(); }
  watch_me(&a);
  if (held) wait_byte();
  for (int i = 0; i < 5; i++) a += i;
  watch_me(&a);
  a = 7;
  watch_second(1, &b);
  b = 1;
  b = 2;
  return (int)(a + b) - 9;
}
`;

// Five addresses, one breakpoint each: x86 has four debug registers.
const MANY_C = `
volatile long slot[6];
__attribute__((noinline, noipa)) void watch_me(volatile long *p) { __asm__ volatile("" : : "r"(p) : "memory"); }
int main(void) {
  for (int i = 0; i < 5; i++) watch_me(&slot[i]);
  for (int i = 0; i < 5; i++) slot[i] = i + 1;
  return 0;
}
`;

// unwatch(): two writes, then (held) a byte to wait for, then two more.
const UNWATCH_C = `
#include <stdio.h>
#include <unistd.h>
volatile long a;
__attribute__((noinline, noipa)) void watch_me(volatile long *p) { __asm__ volatile("" : : "r"(p) : "memory"); }
static void wait_byte(void) { char c; if (read(0, &c, 1) != 1) _exit(3); }
int main(void) {
  printf("ready\\n");
  fflush(stdout);
  wait_byte();
  watch_me(&a);
  a = 1;
  a = 2;
  printf("wrote\\n");
  fflush(stdout);
  wait_byte();
  a = 3;
  a = 4;
  return (int)a - 4;
}
`;

let watch = '';
let many = '';
let unwatchBin = '';
beforeAll(() => {
  watch = buildWorkload(uniqueComm('tswatch_'), WATCH_C);
  many = buildWorkload(uniqueComm('tswmany_'), MANY_C);
  unwatchBin = buildWorkload(uniqueComm('tswun_'), UNWATCH_C);
});
afterAll(removeTempDir);

/** Perf-event descriptors `pid` holds (a new one appears when a breakpoint is opened). */
function perfEventFds(pid: number): number {
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:[perf_event]') n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

/** Starts WATCH_C held (or another program that prints "ready" and waits); resolves once it waits for its first byte. */
function startHeld(bin = watch, args = ['held']): Promise<{ pid: number; send: (bytes: string) => void; kill: () => void; printed: () => string }> {
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out === 'ready\n') resolve({ pid: child.pid!, send: (s) => child.stdin!.write(s), kill: () => child.kill('SIGKILL'), printed: () => out });
    });
    child.on('error', reject);
  });
}


describe('watchpoint:FUNC+argN', () => {
  it('-c: every write after the call, arg0 and arg1, a repeated address watched once', async () => {
    const { ours, theirs } = await runBothWithChild(watch, 'watchpoint:watch_me+arg0:8:w, w:watch_second+arg1:8:w { @[probe] = count(); }');
    // bpftrace 0.17 names these probes PROGRAM:FUNC[:N]:LEN:MODE, N only when it is not 0.
    expect(ours.stdout).toBe(`Attaching 2 probes...\n\n\n@[watchpoint:${watch}:watch_second:1:8:w]: 2\n@[watchpoint:${watch}:watch_me:8:w]: 6\n`);
    expect(ours.code).toBe(0);
    expect(ours.stdout).toBe(theirs.stdout);
  });

  it('-c: more addresses than debug registers', async () => {
    const { ours, theirs } = await runBothWithChild(many, 'watchpoint:watch_me+arg0:8:w { @[probe] = count(); }');
    expect(ours.stdout).toBe('Attaching 1 probe...\nFailed to attach watchpoint probe. You are out of watchpoint registers.\n' +
      `\n\n@[watchpoint:${many}:watch_me:8:w]: 4\n`);
    expect(ours.stdout).toBe(theirs.stdout);
  });

  for (const async of [false, true]) {
    const kind = async ? 'asyncwatchpoint' : 'watchpoint';
    it(`-p: ${kind} on a running process`, async () => {
      const results: Record<TracerBin, string> = { tstrace: '', bpftrace: '' };
      for (const bin of ['tstrace', 'bpftrace'] as const) {
        const held = await startHeld();
        try {
          const r = await runTracer(bin, ['-p', String(held.pid), '-e', `${kind}:watch_me+arg0:8:w { @[probe] = count(); }`], {
            onAttached: async (tracer) => {
              if (!async) {
                // The set-up uprobe stops the process until the breakpoint is in place.
                held.send('gg');
                return;
              }
              // asyncwatchpoint does not stop it: let the writes start only once the breakpoint is open.
              const before = perfEventFds(tracer);
              held.send('g');
              await until(() => perfEventFds(tracer) > before);
              held.send('g');
            },
          });
          expect(bin === 'tstrace' ? r.stderr : stripMemlockWarning(r.stderr)).toBe('');
          results[bin] = r.stdout.replace(`/proc/${held.pid}/`, '/proc/PID/');
        } finally {
          held.kill();
        }
      }
      expect(results.tstrace).toBe(`Attaching 1 probe...\n\n\n@[${kind}:/proc/PID/exe:watch_me:8:w]: 6\n`);
      expect(results.tstrace).toBe(results.bpftrace);
    });
  }

  it('unwatch(addr) removes the breakpoint: later writes are not seen', async () => {
    const results: Record<TracerBin, string> = { tstrace: '', bpftrace: '' };
    for (const bin of ['tstrace', 'bpftrace'] as const) {
      const held = await startHeld(unwatchBin, []);
      try {
        const exe = `/proc/${held.pid}/exe`;
        const script = `uprobe:${exe}:watch_me { @addr = arg0; } ` +
          'watchpoint:watch_me+arg0:8:w { @n++; printf("write %d\\n", @n); if (@n == 2) { unwatch(@addr); } }';
        const r = await runTracer(bin, ['-p', String(held.pid), '-e', script], {
          onAttached: async (tracer) => {
            const before = perfEventFds(tracer);
            held.send('g');
            // Both writes hit the breakpoint (their programs ran, unwatch() was requested) before
            // the program prints; once the tracer has closed the breakpoint, the last two writes.
            await until(() => held.printed().includes('wrote\n'));
            await until(() => perfEventFds(tracer) === before);
            held.send('g');
          },
        });
        expect(bin === 'tstrace' ? r.stderr : stripMemlockWarning(r.stderr)).toBe('');
        results[bin] = r.stdout.replace(/^@addr: \d+$/m, '@addr: ADDR');
      } finally {
        held.kill();
      }
    }
    expect(results.tstrace).toBe('Attaching 2 probes...\nwrite 1\nwrite 2\n\n\n@addr: ADDR\n@n: 2\n');
    expect(results.tstrace).toBe(results.bpftrace);
  });

  it('errors, as bpftrace 0.17 words them', async () => {
    const cases: [string[], string][] = [
      [[], 'watchpoint:watch_me+arg0:8:w'],
      [[], 'aw:watch_me+arg0:8:w'],
      [[], 'asyncwatchpoint:0x1000:8:w'],
      [['-c', watch], 'watchpoint:watch_me+arg6:8:w'],
      [['-c', watch], 'watchpoint:watch_me+foo:8:w'],
      [['-c', watch], 'watchpoint:watch_me+arg:8:w'],
      [['-c', watch], 'watchpoint:watch_me+arg0x:8:w'],
      [['-c', watch], 'watchpoint:a+b+c:8:w'],
      [['-c', watch], 'watchpoint:watch_me+arg0:3:w'],
      [['-c', watch], 'watchpoint:0:8:w'],
    ];
    for (const [opts, ap] of cases) {
      const script = `${ap} { @ = count(); }`;
      const ours = await runTracer('tstrace', [...opts, '-e', script], { notify: false });
      const theirs = await runTracer('bpftrace', [...opts, '-e', script], { notify: false });
      expect(ours.code, ap).toBe(1);
      expect(ours.stdout, ap).toBe('');
      expect(ours.stderr, ap).toBe(stripMemlockWarning(theirs.stderr));
    }
    for (const script of ['BEGIN { unwatch("a"); }', 'BEGIN { unwatch(); }']) {
      const ours = await runTracer('tstrace', ['-e', script], { notify: false });
      const theirs = await runTracer('bpftrace', ['-e', script], { notify: false });
      expect(ours.code, script).toBe(1);
      expect(ours.stderr, script).toBe(stripMemlockWarning(theirs.stderr));
    }
    const ours = (await runTracer('tstrace', ['--dry-run', '-e', 'aw:watch_me+arg0:8:w { }'], { notify: false })).stderr;
    expect(ours.split('\n')[0]).toBe('stdin:1:1-21: ERROR: -p PID or -c CMD required for watchpoint');
  });

  it('the compile cache never gives one -c program the plan of another (names and paths depend on it)', async () => {
    const script = 'watchpoint:watch_me+arg0:8:w { @[probe] = count(); }';
    const first = await runTracer('tstrace', ['-c', many, '-e', script], { notify: false });
    const second = await runTracer('tstrace', ['-c', watch, '-e', script], { notify: false });
    expect(first.stdout).toBe('Attaching 1 probe...\nFailed to attach watchpoint probe. You are out of watchpoint registers.\n' +
      `\n\n@[watchpoint:${many}:watch_me:8:w]: 4\n`);
    expect(second.stdout).toBe(`Attaching 1 probe...\n\n\n@[watchpoint:${watch}:watch_me:8:w]: 6\n`);
  });

  it('an address the kernel refuses at run time stops the run with one error (bpftrace 0.17 aborts)', async () => {
    // watch_* also matches watch_second, whose arg0 is the int 1: no address to watch.
    const args = ['-c', watch, '-e', 'w:watch_*+arg0:8:w { @[probe] = count(); }'];
    const ours = await runTracer('tstrace', args, { notify: false });
    const theirs = await runTracer('bpftrace', args, { notify: false });
    expect(ours.stdout).toBe('Attaching 2 probes...\n');
    expect(ours.code).toBe(255);
    expect(ours.stderr.split('\n')[0]).toBe(`stdin:1:1-19: ERROR: Error attaching probe: 'watchpoint:${watch}:watch_second:8:w': ` +
      'the kernel refused a breakpoint at 0x1 (Invalid argument): it must be a user-space address aligned to the length; x86 supports modes w, rw and x (x with length 8)');
    expect(theirs.stdout).toBe(ours.stdout);
    expect(stripMemlockWarning(theirs.stderr)).toContain(`ERROR: Error attaching probe: watchpoint:${watch}:watch_second:8:w: Invalid argument\n`);
    expect(theirs.signal).toBe('SIGABRT');
  });

  it('a function the program does not have', async () => {
    // bpftrace 0.17 says only "No probes to attach"; tstrace names the symbol (docs/compat.md).
    const r = await runTracer('tstrace', ['-c', watch, '-e', 'watchpoint:nosuch+arg0:8:w { }'], { notify: false });
    expect(r.stderr.split('\n')[0]).toBe(`stdin:1:1-27: ERROR: Could not resolve symbol: ${watch}:nosuch`);
    expect(r.code).toBe(1);
  });

  it('--dry-run and --emit-elf compile the hidden set-up uprobe', async () => {
    const elf = `${watch}.o`;
    const r = await runTracer('tstrace', ['--dry-run', '--emit-elf', elf, '-c', watch, '-e', 'watchpoint:watch_me+arg0:8:w { @ = count(); }'], { notify: false });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const sections = require('child_process').execFileSync('readelf', ['-SW', elf], { encoding: 'utf8' });
    expect(sections).toMatch(/ perf_event /);
    expect(sections).toMatch(/ uprobe /);
  });
});
