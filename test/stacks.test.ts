// kstack / ustack / ksym on the real kernel: stack-trace maps, symbolisation
// from /proc/kallsyms and from the ELF symbols of a traced program.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import { buildWorkload, removeTempDir, runTracer, uniqueComm } from './helpers/run';

const LOOP_C = `
#include <unistd.h>

__attribute__((noinline, noipa)) int leaf(int a, void *f) { return a + (f != 0); }
// At a uprobe on leaf's first instruction its caller (mid) has no frame of its own
// yet in the frame-pointer chain, so the unwound stack is leaf, main, libc.
__attribute__((noinline, noipa)) int mid(int a) { return leaf(a, (void *)mid) * 2; }

int main(void) {
  int total = 0;
  for (;;) {
    total = mid(total) & 0xffff;
    usleep(5000);
  }
  return total;
}
`;

let bin: string;

beforeAll(() => {
  // Built with frame pointers: the kernel's user-stack unwinder follows them.
  bin = buildWorkload(uniqueComm('tsstack_'), LOOP_C);
  execFileSync('cc', ['-O1', '-fno-omit-frame-pointer', '-o', bin, `${bin}.c`], { stdio: 'pipe' });
});

afterAll(() => removeTempDir());

/** `@[\n    frame\n    frame\n]: N` blocks of a map's text output. */
function stackKeys(stdout: string, map = '@'): string[][] {
  const out: string[][] = [];
  const re = new RegExp(`^${map}\\[\\n((?:.*\\n)*?)\\]: \\d+$`, 'gm');
  for (const m of stdout.matchAll(re)) out.push(m[1].split('\n').filter((l) => l !== ''));
  return out;
}

describe('kstack', () => {
  it('profile samples print kernel stacks as map keys, frames as sym+off', async () => {
    const r = await runTracer('tstrace', ['--no-cache', '-e', 'profile:hz:99 { @[kstack] = count(); } interval:ms:500 { exit(); }'], { timeoutMs: 30000 });
    expect(r.stderr).toBe('');
    const stacks = stackKeys(r.stdout);
    expect(stacks.length).toBeGreaterThan(0);
    for (const s of stacks) for (const f of s) expect(f).toMatch(/^ {4}([A-Za-z0-9_.]+\+\d+|0x[0-9a-f]+)$/);
    // Idle CPUs sample the idle loop.
    expect(stacks.some((s) => s.some((f) => /^ {4}[A-Za-z0-9_.]+\+\d+$/.test(f)))).toBe(true);
  });

  it('kstack(perf, 3): at most 3 frames, TAB + hex address + sym+off', async () => {
    const r = await runTracer('tstrace', ['--no-cache', '-e', 'profile:hz:99 { @[kstack(perf, 3)] = count(); } interval:ms:500 { exit(); }'], { timeoutMs: 30000 });
    expect(r.stderr).toBe('');
    const stacks = stackKeys(r.stdout);
    expect(stacks.length).toBeGreaterThan(0);
    for (const s of stacks) {
      expect(s.length).toBeLessThanOrEqual(3);
      for (const f of s) expect(f).toMatch(/^\t[0-9a-f]+ ([A-Za-z0-9_.]+\+\d+|0x[0-9a-f]+)$/);
    }
  });

  it('kstack(2) in a tracepoint, as a printf %s value: 8-space indented frames', async () => {
    const r = await runTracer('tstrace', ['--no-cache', '-e', 'tracepoint:raw_syscalls:sys_enter { printf("[%s]\\n", kstack(2)); exit(); }'], { timeoutMs: 30000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\[\n( {8}[A-Za-z0-9_.]+\+\d+\n){1,2}\]$/m);
  });
});

describe('ustack', () => {
  let child: ChildProcess | undefined;
  afterAll(() => child?.kill('SIGKILL'));

  it("uprobe stacks show the program's own functions", async () => {
    const r = await runTracer('tstrace', ['--no-cache', '-e', `uprobe:${bin}:leaf { @[ustack] = count(); @p[ustack(perf, 1)] = count(); @s[usym(arg1), usym(0)] = 1; }`], {
      timeoutMs: 30000,
      onAttached: async () => {
        child = spawn(bin, [], { stdio: 'ignore' });
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
      signalAfterAttach: 'SIGINT',
    });
    child?.kill('SIGKILL');
    expect(r.stderr).toBe('');
    const stacks = stackKeys(r.stdout);
    expect(stacks.length).toBeGreaterThan(0);
    expect(stacks[0][0]).toBe('    leaf+0');
    expect(stacks[0]).toContainEqual(expect.stringMatching(/^ {4}main\+\d+$/));
    expect(r.stdout).toMatch(/^@s\[mid, 0\]: 1$/m);
    const perf = stackKeys(r.stdout, '@p');
    expect(perf[0]).toEqual([`\t${perf[0][0].slice(1).split(' ')[0]} leaf+0 (${bin})`]);
  });
});

describe('ksym', () => {
  it('resolves a kernel function address to its name; 0 prints 0, unknown 0x…', async () => {
    const line = fs.readFileSync('/proc/kallsyms', 'utf8').split('\n').find((l) => / [Tt] vfs_read$/.test(l));
    expect(line).toBeDefined();
    const addr = BigInt('0x' + line!.split(' ')[0]);
    expect(addr).not.toBe(0n);
    const r = await runTracer('tstrace', ['--no-cache', '-e', `BEGIN { printf("%s %s %s\\n", ksym(${addr + 3n}), ksym(0), ksym(1)); exit(); }`], { timeoutMs: 30000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('vfs_read 0 0x1\n');
  });
});

describe('time / strftime', () => {
  const hm = (d: Date) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;

  it('time("%H:%M") prints the local clock', async () => {
    const before = hm(new Date());
    const r = await runTracer('tstrace', ['--no-cache', '-e', 'BEGIN { time("%H:%M\\n"); time(); exit(); }'], { timeoutMs: 30000 });
    const after = hm(new Date());
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect([before, after]).toContain(lines[1]);
    expect(lines[2]).toMatch(/^\d\d:\d\d:\d\d$/);
  });

  it('strftime("%Y", nsecs) prints the current year', async () => {
    const r = await runTracer('tstrace', ['--no-cache', '-e', 'BEGIN { printf("%s\\n", strftime("%Y", nsecs)); @y = strftime("%Y-%m-%d", nsecs); exit(); }'], { timeoutMs: 30000 });
    expect(r.stderr).toBe('');
    const now = new Date();
    expect(r.stdout.split('\n')[1]).toBe(String(now.getFullYear()));
    expect(r.stdout).toMatch(/^@y: \d{4}-\d\d-\d\d$/m);
  });
});
