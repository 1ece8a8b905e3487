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
import { removeTempDir, runTracer, sortEqualValueRuns, tempDir } from './helpers/run';

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

// A "JIT": an anonymous executable page described in /tmp/perf-PID.map (the
// format node --perf-basic-prof and Java agents write), handed to report().
const JIT_C = `
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
__attribute__((noinline, noipa)) int report(void *p) { return p != 0; }
int main(void) {
  unsigned char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return 1;
  page[0] = 0xc3; /* ret */
  char path[64];
  snprintf(path, sizeof path, "/tmp/perf-%d.map", getpid());
  FILE *f = fopen(path, "w");
  fprintf(f, "%lx 10 LazyCompile:*jitted_fn demo.js:1\\n%lx 20 other_fn\\n", (unsigned long)page, (unsigned long)page + 0x100);
  fclose(f);
  printf("ready\\n");
  fflush(stdout);
  for (;;) { report(page + 4); report(page + 0x104); ((void (*)(void))page)(); usleep(2000); }
}
`;

describe('JIT code and other mount namespaces', () => {
  let jit: string;
  const started: ChildProcess[] = [];

  beforeAll(() => {
    const dir = tempDir();
    jit = path.join(dir, 'tsjit');
    fs.writeFileSync(`${jit}.c`, JIT_C);
    execFileSync('cc', ['-O1', '-o', jit, `${jit}.c`], { stdio: 'pipe' });
  });
  afterAll(() => {
    for (const c of started) {
      c.kill('SIGKILL');
      fs.rmSync(`/tmp/perf-${c.pid}.map`, { force: true });
    }
  });

  /** Starts `argv` and resolves with its pid once it printed "ready". */
  function start(argv: string[]): Promise<ChildProcess> {
    const c = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    started.push(c);
    return new Promise((resolve, reject) => {
      c.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve(c));
      c.on('close', (code) => reject(new Error(`${argv.join(' ')} exited: ${code}`)));
    });
  }

  it('usym() of JIT code comes from /tmp/perf-PID.map, as bpftrace', async () => {
    await start([jit]);
    const { bt, ts } = await both(`uprobe:${jit}:report { @[usym(arg0)] = count(); if (@n++ > 3) { exit(); } }`);
    const names = (out: string) => sortEqualValueRuns(out.replace(/: \d+$/gm, ': 0'));
    expect(ts).toMatch(/^@\[LazyCompile:\*jitted_fn demo\.js:1\]: \d+$/m);
    expect(ts).toMatch(/^@\[other_fn\]: \d+$/m);
    expect(names(ts)).toBe(names(bt));
  });

  it('a binary visible only in the traced process\'s mount namespace is read through /proc/PID/root', async () => {
    const mnt = fs.mkdtempSync('/mnt/tstrace-ns-');
    try {
      // Inside a private mount namespace: a tmpfs on mnt holding a copy of the binary.
      const c = await start(['unshare', '-m', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs none ${mnt} && cp ${jit} ${mnt}/tsnsbin && exec ${mnt}/tsnsbin`]);
      expect(fs.existsSync(`${mnt}/tsnsbin`)).toBe(false);
      const inside = `/proc/${c.pid}/root${mnt}/tsnsbin`;
      const { bt, ts } = await both(`uprobe:${inside}:report { @[ustack(1)] = count(); @u[usym(arg0)] = count(); if (@n++ > 3) { exit(); } }`);
      expect(ts).toMatch(/^@\[\n {4}report\+0\n\]: \d+$/m);
      const shape = (out: string) => sortEqualValueRuns(out.replace(/: \d+$/gm, ': 0'));
      expect(shape(ts)).toBe(shape(bt));
    } finally {
      for (const c of started.splice(0)) {
        c.kill('SIGKILL');
        fs.rmSync(`/tmp/perf-${c.pid}.map`, { force: true });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      fs.rmdirSync(mnt);
    }
  });
});
