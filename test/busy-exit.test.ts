// exit() from a busy probe: thousands of records are in the ring buffer when
// the first one is read. The output is exactly bpftrace's (the printf before
// exit(), nothing after it; src/runtime/index.ts handleBatch skips the rest of
// the batch), and a script with map inserts still gets its `Map full` warning.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, ChildProcess } from 'child_process';
import { runTracer, stripMemlockWarning } from './helpers/run';

let busy: ChildProcess;
beforeAll(() => {
  // getpid() in a loop: the probe fires nonstop.
  busy = spawn('python3', ['-c', 'import os\nwhile True: os.getpid()'], { stdio: 'ignore' });
});
afterAll(() => { busy.kill('SIGKILL'); });

describe('exit() in a busy probe', () => {
  for (const bin of ['bpftrace', 'tstrace'] as const) {
    it(`prints the one event before exit() (${bin})`, async () => {
      const r = await runTracer(bin, ['-e', `tracepoint:syscalls:sys_enter_getpid /pid == ${busy.pid}/ { printf("ATTACHED %d\\n", pid); exit(); }`], { notify: false, timeoutMs: 60_000 });
      expect(r.stdout).toBe(`Attaching 1 probe...\nATTACHED ${busy.pid}\n\n\n`);
      expect(stripMemlockWarning(r.stderr)).toBe('');
    }, 90_000);
  }

  it('a script with map inserts still warns that a map is full', async () => {
    const r = await runTracer('tstrace', ['-e', `tracepoint:syscalls:sys_enter_getpid /pid == ${busy.pid}/ { @n[nsecs] = 1; if (@c++ == 10) { exit(); } }`],
      { notify: false, timeoutMs: 60_000, env: { BPFTRACE_MAP_KEYS_MAX: '4' } });
    expect(r.stderr).toContain('Map full');
  }, 90_000);
});
