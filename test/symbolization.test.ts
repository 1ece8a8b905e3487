// ustack / usym of a C++ program: ELF symbols of the mapped binary, demangled
// with abi::__cxa_demangle as bpftrace does; stack modes (default, perf,
// frame limit); differential against bpftrace 0.17.
//
// Normalisation: map values (counts) are replaced by N, because how many
// events land before exit() is processed differs from run to run (for either
// tracer); stack frames, symbol names, offsets and layout are compared as is.
// Addresses in perf mode differ between runs (ASLR) and are compared by shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { removeTempDir, runTracer, tempDir } from './helpers/run';

const CPP = `
#include <unistd.h>
#define NOINLINE __attribute__((noinline, noipa))
namespace ns {
struct Foo {
  NOINLINE int bar(int a);
};
NOINLINE int Foo::bar(int a) { return a * 3 + 1; }
template <typename T> NOINLINE T twice(T v) { Foo f; return f.bar((int)v) + f.bar((int)v); }
NOINLINE int helper(int v) { return v + 1; }
NOINLINE int apply(int (*fp)(int), int v) { return fp(v); }
}
int main() {
  long total = 0;
  for (;;) {
    total += ns::twice<long>(total & 7) + ns::apply(ns::helper, (int)total & 3);
    usleep(2000);
  }
  return (int)total;
}
`;

const BAR = '_ZN2ns3Foo3barEi';
const APPLY = '_ZN2ns5applyEPFiiEi';

let bin: string;
let child: ChildProcess | undefined;

beforeAll(() => {
  const dir = tempDir();
  const src = path.join(dir, 'tscpp.cc');
  bin = path.join(dir, 'tscpp');
  fs.writeFileSync(src, CPP);
  // Frame pointers: the kernel's user-stack unwinder follows them.
  execFileSync('g++', ['-O1', '-fno-omit-frame-pointer', '-o', bin, src], { stdio: 'pipe' });
  child = spawn(bin, [], { stdio: 'ignore' });
});

afterAll(() => {
  child?.kill('SIGKILL');
  removeTempDir();
});

const countsAsN = (s: string) => s.replace(/\]: \d+$/gm, ']: N');

async function both(script: string, env: Record<string, string> = {}): Promise<{ bt: string; ts: string }> {
  const bt = await runTracer('bpftrace', ['-e', script], { notify: false, env, timeoutMs: 30_000 });
  const ts = await runTracer('tstrace', ['-e', script], { notify: false, env, timeoutMs: 30_000 });
  expect(bt.code).toBe(0);
  expect(ts.stderr).toBe('');
  expect(ts.code).toBe(0);
  return { bt: bt.stdout, ts: ts.stdout };
}

describe('C++ user stacks and symbols', () => {
  it('ustack and ustack(2) as map keys: demangled frames, same as bpftrace', async () => {
    const { bt, ts } = await both(`uprobe:${bin}:${BAR} { @[ustack] = count(); @two[ustack(2)] = count(); exit(); }`);
    expect(ts).toMatch(/^@\[\n {4}ns::Foo::bar\(int\)\+0\n {4}main\+\d+\n/m);
    expect(countsAsN(ts)).toBe(countsAsN(bt));
  });

  it('ustack(perf, 2): TAB, hex address, sym+off and the binary path', async () => {
    const { bt, ts } = await both(`uprobe:${bin}:${BAR} { @[ustack(perf, 2)] = count(); exit(); }`);
    const frames = (s: string) => [...s.matchAll(/^\t([0-9a-f]+) (.*)$/gm)].map((m) => m[2]);
    expect(frames(ts)).toEqual([`ns::Foo::bar(int)+0 (${bin})`, expect.stringMatching(new RegExp(`^main\\+\\d+ \\(${bin}\\)$`))]);
    expect(frames(ts)).toEqual(frames(bt));
  });

  it('usym() of a function pointer and printf("%s", ustack)', async () => {
    const { bt, ts } = await both(`uprobe:${bin}:${APPLY} { @[usym(arg0)] = count(); printf("%s|\\n", usym(arg0)); printf("%s\\n", ustack(1)); exit(); }`);
    expect(ts).toContain('ns::helper(int)|\n');
    expect(ts).toMatch(/^@\[ns::helper\(int\)\]: \d+$/m);
    // Lines after the last printf may repeat (events before exit() is seen): compare the first event.
    const firstEvent = (s: string) => s.split('\n').slice(0, 4).join('\n');
    expect(firstEvent(ts)).toBe(firstEvent(bt));
    expect(firstEvent(ts)).toMatch(/\n {8}ns::apply\(int \(\*\)\(int\), int\)\+0$/);
  });

  it('BPFTRACE_NO_CPP_DEMANGLE=1 keeps mangled names, as bpftrace', async () => {
    const { bt, ts } = await both(`uprobe:${bin}:${BAR} { @[ustack(1)] = count(); exit(); }`, { BPFTRACE_NO_CPP_DEMANGLE: '1' });
    expect(ts).toMatch(/^ {4}_ZN2ns3Foo3barEi\+0$/m);
    expect(countsAsN(ts)).toBe(countsAsN(bt));
  });
});
