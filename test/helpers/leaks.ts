// Leak checks shared by the tests that prove tstrace leaves nothing in the
// kernel (test/cleanup.test.ts explains how "ours" is determined): ids held
// by a tstrace process, snapshots of bpftool's lists, and the polling check.
import { expect } from 'vitest';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { runTracer, RunOptions, RunResult } from './run';

interface BpfProg {
  id: number;
  name?: string;
  map_ids?: number[];
}
interface BpfMap {
  id: number;
  name?: string;
}

export function bpftoolProgs(): BpfProg[] {
  return JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8' })) as BpfProg[];
}

export function bpftoolMaps(): BpfMap[] {
  return JSON.parse(execFileSync('bpftool', ['-j', 'map', 'show'], { encoding: 'utf8' })) as BpfMap[];
}

export interface Held {
  progs: Set<number>;
  maps: Set<number>;
}

/** BPF program and map ids held through file descriptors by process `pid`. */
export function addFdinfoIds(pid: number | string, into: Held): void {
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
export function heldByLiveProcesses(): Held {
  const held: Held = { progs: new Set(), maps: new Set() };
  for (const pid of fs.readdirSync('/proc')) {
    if (/^\d+$/.test(pid)) addFdinfoIds(pid, held);
  }
  return held;
}

export interface Snapshot {
  progs: Set<number>;
  maps: Set<number>;
}

export function snapshot(): Snapshot {
  return { progs: new Set(bpftoolProgs().map((p) => p.id)), maps: new Set(bpftoolMaps().map((m) => m.id)) };
}

type Brief = { id: number; name?: string };
export interface Leaks {
  /** Ids seen in tstrace's fd table that are still loaded. */
  oursProgs: Brief[];
  oursMaps: Brief[];
  /** New `probe_*` programs / new maps that nothing alive holds. */
  orphanProgs: Brief[];
  orphanMaps: Brief[];
}

export function findLeaks(before: Snapshot, ours: Held): Leaks {
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

export async function expectNoLeaks(before: Snapshot, ours: Held): Promise<void> {
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
export async function runAndWatch(args: string[], opts: RunOptions): Promise<{ r: RunResult; ours: Held }> {
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

/**
 * Collects the ids a tracer process holds while it runs: pass `onSpawn` to
 * runTracer, call `stop()` once it has exited.
 */
export function watchBpfIds(): { ours: Held; onSpawn: (pid: number) => void; stop: () => void } {
  const ours: Held = { progs: new Set(), maps: new Set() };
  let timer: NodeJS.Timeout | undefined;
  return {
    ours,
    onSpawn: (pid) => {
      timer = setInterval(() => addFdinfoIds(pid, ours), 25);
    },
    stop: () => clearInterval(timer),
  };
}
