// Several blocks on the same event run in script order, as in bpftrace. The
// kernel runs the consumers of one uprobe newest first, so bpftrace 0.17
// attaches uprobes (and uretprobes, usdt, software, kprobe, kfunc) last to
// first (attach_reverse() in its bpftrace.cpp). When the second block calls
// exit(), the first block's output must still be there: differential against
// bpftrace 0.17 on a tiny C program built here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorkload, removeTempDir, uniqueComm } from './helpers/run';
import { runBothWithChild } from './helpers/oracle';

const TWICE_C = `
#include <unistd.h>
__attribute__((noinline, noipa)) int twice(int x) { return 2 * x; }
int main(void) {
  getppid();
  return twice(21) == 42 ? 0 : 1;
}
`;

let bin = '';
beforeAll(() => {
  bin = buildWorkload(uniqueComm('tsorder_'), TWICE_C);
});
afterAll(removeTempDir);

const both = (script: string) => runBothWithChild(bin, script);

describe('blocks on one event run in script order', () => {
  it('two uprobes on one function, the second exits', async () => {
    const { ours, theirs } = await both(
      `uprobe:${bin}:twice { printf("first %d\\n", arg0); } uprobe:${bin}:twice { printf("second %d\\n", arg0); exit(); }`);
    expect(ours.stdout).toBe('Attaching 2 probes...\nfirst 21\nsecond 21\n\n\n');
    expect(ours.stdout).toBe(theirs.stdout);
  });

  it('three uretprobes on one function, the last exits', async () => {
    const { ours, theirs } = await both(
      `uretprobe:${bin}:twice { printf("a %d\\n", retval); } uretprobe:${bin}:twice { printf("b %d\\n", retval); }` +
      ` uretprobe:${bin}:twice { printf("c %d\\n", retval); exit(); }`);
    expect(ours.stdout).toBe('Attaching 3 probes...\na 42\nb 42\nc 42\n\n\n');
    expect(ours.stdout).toBe(theirs.stdout);
  });

  it('tracepoints: attached in script order, and the kernel runs them so', async () => {
    const { ours, theirs } = await both(
      'tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { printf("first\\n"); }' +
      ' tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { printf("second\\n"); exit(); }');
    expect(ours.stdout).toBe('Attaching 2 probes...\nfirst\nsecond\n\n\n');
    expect(ours.stdout).toBe(theirs.stdout);
  });

  it('software events: reversed like uprobes', async () => {
    // Only the child's first page fault prints (@done stops the rest).
    const { ours, theirs } = await both(
      'software:page-faults:1 /pid == cpid && @done == 0/ { printf("first\\n"); }' +
      ' software:page-faults:1 /pid == cpid && @done == 0/ { @done = 1; printf("second\\n"); exit(); }');
    expect(ours.stdout).toBe('Attaching 2 probes...\nfirst\nsecond\n\n\n@done: 1\n');
    expect(ours.stdout).toBe(theirs.stdout);
  });

  it('a uprobe and a uretprobe interleaved in the script keep their order per event', async () => {
    const { ours, theirs } = await both(
      `uprobe:${bin}:twice { printf("enter 1\\n"); } uretprobe:${bin}:twice { printf("return 1\\n"); }` +
      ` uprobe:${bin}:twice { printf("enter 2\\n"); } uretprobe:${bin}:twice { printf("return 2\\n"); exit(); }`);
    expect(ours.stdout).toBe('Attaching 4 probes...\nenter 1\nenter 2\nreturn 1\nreturn 2\n\n\n');
    expect(ours.stdout).toBe(theirs.stdout);
  });
});
