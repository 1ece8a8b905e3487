// Cleanup tests: whichever way tstrace ends (exit(), SIGINT, SIGTERM, an
// error after the programs were loaded, SIGKILL), none of its BPF programs or
// maps stay in the kernel.
//
// How "ours" is determined, robustly against other tracers running at the
// same time (bpftrace, other tstrace runs):
//   * While tstrace runs, /proc/<pid>/fdinfo/* is polled; every `prog_id:` and
//     `map_id:` seen there belongs to this tstrace process. After it exits,
//     all of those ids must disappear from `bpftool -j prog show` / `map show`.
//   * In addition, any program named `probe_*` (tstrace's naming) or any map
//     that did not exist before the run and that no live process holds through
//     a file descriptor (and no loaded program references) counts as leaked.
// Program/map release is asynchronous (RCU), so the checks poll for ~3 s.
import { describe, expect, it } from 'vitest';
import { ensureTracefs } from './helpers/run';
import { expectNoLeaks, runAndWatch, snapshot } from './helpers/leaks';

// A tracepoint, an interval (with printf, so the ring buffer is used), BEGIN
// and END: every kind of program and map tstrace creates today.
const PROGRAM = (intervalMs: number, exitInInterval: boolean) =>
  `BEGIN { @b = 1; } tracepoint:syscalls:sys_enter_getpid { @g[pid] = count(); } ` +
  `interval:ms:${intervalMs} { printf("tick\\n"); @i = count(); ${exitInInterval ? 'exit();' : ''} } END { @e = 1; }`;

describe('no BPF programs or maps remain after tstrace ends', () => {
  it('(a) exit() from an interval probe', async () => {
    ensureTracefs();
    const before = snapshot();
    const { r, ours } = await runAndWatch(['-e', PROGRAM(700, true)], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('tick\n');
    expect(ours.progs.size).toBe(4);
    expect(ours.maps.size).toBeGreaterThanOrEqual(4);
    await expectNoLeaks(before, ours);
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`(${sig === 'SIGINT' ? 'b' : 'c'}) ${sig}`, async () => {
      const before = snapshot();
      const { r, ours } = await runAndWatch(['-e', PROGRAM(100_000, false)], { signalAfterAttach: sig });
      expect(r.code).toBe(0);
      expect(r.signal).toBeNull();
      expect(r.stdout).toContain('@b: 1\n');
      expect(ours.progs.size).toBe(4);
      await expectNoLeaks(before, ours);
    });
  }

  it('(d) attach error after load: tracepoint:ftrace:function cannot be opened', async () => {
    const before = snapshot();
    const { r, ours } = await runAndWatch(
      ['-e', `tracepoint:syscalls:sys_enter_getpid { @g = count(); } interval:ms:100000 { @i = count(); } tracepoint:ftrace:function { @f = count(); }`],
      {},
    );
    expect(r.attached).toBe(false);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/Error attaching probe: '?tracepoint:ftrace:function/);
    await expectNoLeaks(before, ours);
  });

  it('(d) attach error part-way through 361 probes (RLIMIT_NOFILE exhausted)', async () => {
    const before = snapshot();
    const { r, ours } = await runAndWatch(
      ['-e', 'tracepoint:syscalls:sys_enter_* { @[probe] = count(); } interval:ms:100000 { exit(); }'],
      { fdLimit: 450, timeoutMs: 120_000 },
    );
    expect(r.attached).toBe(false);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ERROR: .*(Error attaching probe|Error loading program|too many open files)/i);
    expect(r.stderr).not.toMatch(/at .*\.js/);
    // Programs really were loaded before the failure (the check is not vacuous).
    expect(ours.progs.size).toBeGreaterThan(100);
    await expectNoLeaks(before, ours);
  }, 180_000);

  it('(d) crash: SIGKILL while attached', async () => {
    const before = snapshot();
    const { r, ours } = await runAndWatch(['-e', PROGRAM(100_000, false)], { signalAfterAttach: 'SIGKILL' });
    expect(r.signal).toBe('SIGKILL');
    expect(ours.progs.size).toBe(4);
    await expectNoLeaks(before, ours);
  });
});
