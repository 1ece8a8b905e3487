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
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { ensureTracefs, runTracer, RunOptions, RunResult } from './helpers/run';

interface BpfProg {
  id: number;
  name?: string;
  map_ids?: number[];
}
interface BpfMap {
  id: number;
  name?: string;
}

function bpftoolProgs(): BpfProg[] {
  return JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8' })) as BpfProg[];
}

function bpftoolMaps(): BpfMap[] {
  return JSON.parse(execFileSync('bpftool', ['-j', 'map', 'show'], { encoding: 'utf8' })) as BpfMap[];
}

interface Held {
  progs: Set<number>;
  maps: Set<number>;
}

/** BPF program and map ids held through file descriptors by process `pid`. */
function addFdinfoIds(pid: number | string, into: Held): void {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return; // process gone or not accessible
  }
  for (const fd of fds) {
    let info: string;
    try {
      info = fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue;
    }
    const p = /^prog_id:\s*(\d+)/m.exec(info);
    if (p) into.progs.add(Number(p[1]));
    const m = /^map_id:\s*(\d+)/m.exec(info);
    if (m) into.maps.add(Number(m[1]));
  }
}

/** Ids held by any live process. */
function heldByLiveProcesses(): Held {
  const held: Held = { progs: new Set(), maps: new Set() };
  for (const pid of fs.readdirSync('/proc')) {
    if (/^\d+$/.test(pid)) addFdinfoIds(pid, held);
  }
  return held;
}

interface Snapshot {
  progs: Set<number>;
  maps: Set<number>;
}

function snapshot(): Snapshot {
  return { progs: new Set(bpftoolProgs().map((p) => p.id)), maps: new Set(bpftoolMaps().map((m) => m.id)) };
}

type Brief = { id: number; name?: string };
interface Leaks {
  /** Ids seen in tstrace's fd table that are still loaded. */
  oursProgs: Brief[];
  oursMaps: Brief[];
  /** New `probe_*` programs / new maps that nothing alive holds. */
  orphanProgs: Brief[];
  orphanMaps: Brief[];
}

function findLeaks(before: Snapshot, ours: Held): Leaks {
  const progs = bpftoolProgs();
  const maps = bpftoolMaps();
  const held = heldByLiveProcesses();
  const oursProgs = progs.filter((p) => ours.progs.has(p.id));
  const oursMaps = maps.filter((m) => ours.maps.has(m.id));
  const orphanProgs = progs.filter(
    (p) => !before.progs.has(p.id) && (p.name ?? '').startsWith('probe_') && !held.progs.has(p.id),
  );
  const orphanIds = new Set(orphanProgs.map((p) => p.id));
  const referenced = new Set<number>();
  for (const p of progs) if (!orphanIds.has(p.id)) for (const id of p.map_ids ?? []) referenced.add(id);
  const orphanMaps = maps.filter((m) => !before.maps.has(m.id) && !held.maps.has(m.id) && !referenced.has(m.id));
  const brief = (o: BpfProg | BpfMap) => ({ id: o.id, name: o.name });
  return {
    oursProgs: oursProgs.map(brief),
    oursMaps: oursMaps.map(brief),
    orphanProgs: orphanProgs.map(brief),
    orphanMaps: orphanMaps.map(brief),
  };
}

async function expectNoLeaks(before: Snapshot, ours: Held): Promise<void> {
  const deadline = Date.now() + 3000;
  let leaks = findLeaks(before, ours);
  const empty = (l: Leaks) => !l.oursProgs.length && !l.oursMaps.length && !l.orphanProgs.length && !l.orphanMaps.length;
  while (!empty(leaks) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    leaks = findLeaks(before, ours);
  }
  expect(leaks).toEqual({ oursProgs: [], oursMaps: [], orphanProgs: [], orphanMaps: [] });
}

/**
 * Runs tstrace while polling its fd table every 25 ms (and once more right
 * after attachment) to collect the program and map ids it holds.
 */
async function runAndWatch(args: string[], opts: RunOptions): Promise<{ r: RunResult; ours: Held }> {
  const ours: Held = { progs: new Set(), maps: new Set() };
  let timer: NodeJS.Timeout | undefined;
  try {
    const r = await runTracer('tstrace', args, {
      timeoutMs: 60_000,
      ...opts,
      onSpawn: (pid) => {
        timer = setInterval(() => addFdinfoIds(pid, ours), 25);
      },
      onAttached: async (pid) => {
        addFdinfoIds(pid, ours);
        await opts.onAttached?.(pid);
      },
    });
    return { r, ours };
  } finally {
    clearInterval(timer);
  }
}

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
