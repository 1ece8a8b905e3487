// Two tstrace processes at the same time do not interfere: the same script
// twice, and two different scripts, traced over one workload started only
// once both are attached. Each output is exact (every event counted by both,
// every printf line in the right process only), and afterwards nothing of
// either remains in the kernel. Both runs share a fresh compile cache, so
// they also race writing (first round) and reading (second round) it.
import { afterAll, describe, expect, it } from 'vitest';
import * as path from 'path';
import { GatedWorkload, RunResult, WORKLOAD_C, buildWorkload, ensureTracefs, removeTempDir, tempDir } from './helpers/run';
import { emptyHeld, expectNoLeaks, Held, runAndWatch, snapshot } from './helpers/leaks';

afterAll(removeTempDir);

const N = 500;

/** Runs every script at once; the workload (`getpid N`) starts when all are attached; each then gets SIGINT. */
async function together(scripts: string[], bin: string, cacheDir: string): Promise<{ runs: RunResult[]; ours: Held; pid: number }> {
  const w = new GatedWorkload(bin, ['getpid', String(N)]);
  await w.ready();
  let attached = 0;
  let allAttached!: () => void;
  const everyoneAttached = new Promise<void>((r) => (allAttached = r));
  let workloadDone: Promise<unknown> | undefined;
  const ours = emptyHeld();
  try {
    const results = await Promise.all(scripts.map((script) => runAndWatch(['-e', script], {
      env: { TSTRACE_CACHE_DIR: cacheDir },
      signalAfterAttach: 'SIGINT',
      onAttached: async () => {
        if (++attached === scripts.length) allAttached();
        await everyoneAttached;
        workloadDone ??= w.go();
        await workloadDone;
      },
    })));
    for (const { ours: o } of results) {
      for (const k of ['progs', 'maps', 'links', 'pids'] as const) for (const id of o[k]) ours[k].add(id);
    }
    return { runs: results.map((x) => x.r), ours, pid: w.pid };
  } finally {
    w.kill();
  }
}

describe('two tstrace processes at the same time', () => {
  const bin = () => buildWorkload('conwl', WORKLOAD_C);

  it('the same script twice: both see every event, outputs exact and identical, nothing remains', async () => {
    ensureTracefs();
    const script = 'tracepoint:syscalls:sys_enter_getpid /comm == "conwl"/ { @calls = count(); printf("hit\\n"); }';
    const cacheDir = path.join(tempDir(), 'cache-same');
    for (const round of ['cold cache', 'warm cache']) {
      const before = snapshot();
      const { runs, ours } = await together([script, script], bin(), cacheDir);
      const expected = `Attaching 1 probe...\n${'hit\n'.repeat(N)}\n\n@calls: ${N}\n`;
      for (const r of runs) expect({ round, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ round, code: 0, stdout: expected, stderr: '' });
      // Two separate sets of programs and maps.
      expect(ours.pids.size).toBe(2);
      expect(ours.progs.size).toBe(2);
      await expectNoLeaks(before, ours);
    }
  });

  it('two different scripts: each output exact, printf lines only in their own process, nothing remains', async () => {
    const a = 'tracepoint:syscalls:sys_enter_getpid /comm == "conwl"/ { @enter = count(); printf("A %d\\n", pid); }';
    const b = 'tracepoint:syscalls:sys_exit_getpid /comm == "conwl"/ { @exits = count(); @pids = sum(args->ret); printf("B\\n"); } ' +
      // @never is never written: it prints as an empty line, as in bpftrace 0.17.
      'interval:s:1000 { @never = 1; } END { printf("B end\\n"); }';
    const before = snapshot();
    const { runs: [ra, rb], ours, pid } = await together([a, b], bin(), path.join(tempDir(), 'cache-different'));
    expect({ code: ra.code, stdout: ra.stdout, stderr: ra.stderr }).toEqual({
      code: 0, stdout: `Attaching 1 probe...\n${`A ${pid}\n`.repeat(N)}\n\n@enter: ${N}\n`, stderr: '',
    });
    expect({ code: rb.code, stdout: rb.stdout, stderr: rb.stderr }).toEqual({
      code: 0, stdout: `Attaching 3 probes...\n${'B\n'.repeat(N)}B end\n\n\n@exits: ${N}\n\n@pids: ${N * pid}\n`, stderr: '',
    });
    expect(ours.progs.size).toBe(1 + 3);
    await expectNoLeaks(before, ours);
  });
});
