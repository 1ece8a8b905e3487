// Floods (issue 7 item 5): nothing is lost silently.
//   * printf at the highest rate this machine can produce: every record either
//     reaches the output or is counted in BPF and reported as `Lost N events`,
//     so delivered + reported lost = emitted, where "emitted" is counted by the
//     script itself in BPF (a count() next to each printf).
//   * a full map: bpftrace HEAD's `Map full; can't update element.` warning,
//     once per map, pointing at the insert that failed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'child_process';
import { buildWorkload, ensureTracefs, removeTempDir, runTracer, traceWorkload, uniqueComm } from './helpers/run';

// getppid() in a tight loop, N times, released by one byte on stdin (the
// dynamic loader's syscalls happen before tracing starts).
const FLOOD_C = `
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
  char c;
  long n = argc > 1 ? atol(argv[1]) : 0;
  printf("ready\\n");
  fflush(stdout);
  if (read(0, &c, 1) != 1) return 3;
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  return 0;
}
`;

let comm: string;
let bin: string;

beforeAll(() => {
  ensureTracefs();
  comm = uniqueComm('tsflood_');
  bin = buildWorkload(comm, FLOOD_C);
});
afterAll(() => removeTempDir());

/** 20 printf records per syscall; @emitted counts every attempt in BPF. */
const floodScript = () =>
  `tracepoint:syscalls:sys_enter_getppid /comm == "${comm}"/ { unroll(20) { @emitted = count(); printf("e %d\\n", tid); } }`;

function account(stdout: string, lostLines: string[]): { delivered: number; lost: number; emitted: number } {
  const delivered = stdout.split('\n').filter((l) => /^e \d+$/.test(l)).length;
  const lost = lostLines.reduce((a, l) => a + Number(/^Lost (\d+) events$/.exec(l)![1]), 0);
  const m = /^@emitted: (\d+)$/m.exec(stdout);
  expect(m, stdout.slice(-500)).not.toBeNull();
  return { delivered, lost, emitted: Number(m![1]) };
}

describe('printf flood', () => {
  it('small ring buffer (BPFTRACE_PERF_RB_PAGES=1): delivered + "Lost N events" = emitted, and some were lost', async () => {
    const r = await traceWorkload('tstrace', ['-e', floodScript()], bin, ['20000'], { env: { BPFTRACE_PERF_RB_PAGES: '1' }, timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    const lostLines = r.stdout.split('\n').filter((l) => l.startsWith('Lost '));
    for (const l of lostLines) expect(l).toMatch(/^Lost \d+ events$/);
    const a = account(r.stdout, lostLines);
    expect(a.emitted).toBe(20000 * 20);
    expect(a.lost).toBeGreaterThan(0);
    expect(a.delivered + a.lost).toBe(a.emitted);
  });

  it('default ring buffer, flat out: delivered + reported lost = emitted', async () => {
    const r = await traceWorkload('tstrace', ['-e', floodScript()], bin, ['50000'], { timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    const lostLines = r.stdout.split('\n').filter((l) => l.startsWith('Lost '));
    const a = account(r.stdout, lostLines);
    expect(a.emitted).toBe(50000 * 20);
    expect(a.delivered + a.lost).toBe(a.emitted);
  });

  it('both CPUs flooding at once (one workload pinned to each): delivered + reported lost = emitted', async () => {
    const r = await runTracer('tstrace', ['-e', floodScript()], {
      timeoutMs: 120_000,
      env: { BPFTRACE_PERF_RB_PAGES: '16' },
      onAttached: async () => {
        const runs = ['0', '1'].map((cpu) => new Promise<void>((resolve, reject) => {
          const w = spawn('taskset', ['-c', cpu, bin, '30000'], { stdio: ['pipe', 'ignore', 'pipe'] });
          w.stdin.end('g');
          w.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`workload on CPU ${cpu} failed: ${code}`))));
        }));
        await Promise.all(runs);
      },
      signalAfterAttach: 'SIGINT',
    });
    expect(r.stderr).toBe('');
    const a = account(r.stdout, r.stdout.split('\n').filter((l) => l.startsWith('Lost ')));
    expect(a.emitted).toBe(2 * 30000 * 20);
    expect(a.delivered + a.lost).toBe(a.emitted);
  });

  it('JSON: lost_events records, every line parsed, and the same accounting', async () => {
    const r = await traceWorkload('tstrace', ['-f', 'json', '-e', floodScript()], bin, ['20000'], { env: { BPFTRACE_PERF_RB_PAGES: '1' }, timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    let delivered = 0;
    let lost = 0;
    let emitted = -1;
    for (const line of r.stdout.split('\n')) {
      if (line === '') continue;
      const rec = JSON.parse(line) as { type: string; data: unknown };
      if (rec.type === 'printf') delivered++;
      if (rec.type === 'lost_events') {
        expect(Object.keys(rec.data as object)).toEqual(['events']);
        lost += (rec.data as { events: number }).events;
      }
      if (rec.type === 'map') emitted = (rec.data as { '@emitted': number })['@emitted'];
    }
    expect(emitted).toBe(20000 * 20);
    expect(lost).toBeGreaterThan(0);
    expect(delivered + lost).toBe(emitted);
  });
});

describe('full maps', () => {
  const warning = "WARNING: Map full; can't update element.\nTry increasing max_map_keys config or BPFTRACE_MAP_KEYS_MAX\n" +
    'Additional Info - helper: map_update_elem, retcode: -7\n';

  it('one warning per full map, at the failing insert, for plain and aggregation maps', async () => {
    const script = 'BEGIN { @a[1] = 1; @a[2] = 2; @a[3] = 3; @a[4] = 4; @a[5] = 5; @b[1] = count(); @b[2] = count(); @b[3] = count(); @b[4] = count(); @b[5] = count(); @ok[1] = 1; exit(); }';
    const r = await runTracer('tstrace', ['-e', script], { notify: false, env: { BPFTRACE_MAP_KEYS_MAX: '3' }, timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    // @a: the assignment statement; @b: the count() call (bpftrace HEAD's locations).
    const at = (text: string, skip = 0) => {
      const col = script.indexOf(text) + 1 + skip;
      return { col, end: col + text.length - skip };
    };
    const a = at('@a[4] = 4');
    const b = at('@b[4] = count()', '@b[4] = '.length);
    expect(r.stderr).toBe(
      `stdin:1:${a.col}-${a.end}: ${warning}${script}\n${' '.repeat(a.col - 1)}${'~'.repeat(a.end - a.col)}\n` +
      `stdin:1:${b.col}-${b.end}: ${warning}${script}\n${' '.repeat(b.col - 1)}${'~'.repeat(b.end - b.col)}\n`,
    );
    // The maps keep what fitted.
    expect(r.stdout).toMatch(/^@a\[3\]: 3$/m);
    expect(r.stdout).not.toMatch(/^@a\[4\]/m);
    expect(r.stdout.match(/^@b\[\d\]: 1$/gm)?.length).toBe(3);
    expect(r.stdout).toMatch(/^@ok\[1\]: 1$/m);
  });

  it('a map filled by a tracepoint on every CPU still warns once', async () => {
    const script = `tracepoint:syscalls:sys_enter_getppid /comm == "${comm}"/ { @[nsecs] = count(); @t[nsecs] = nsecs; }`;
    const r = await traceWorkload('tstrace', ['-e', script], bin, ['3000'], { env: { BPFTRACE_MAP_KEYS_MAX: '100' }, timeoutMs: 60_000 });
    const warnings = r.stderr.split('\n').filter((l) => l.includes("WARNING: Map full; can't update element."));
    expect(warnings).toEqual([
      expect.stringMatching(/^stdin:1:\d+-\d+: WARNING: Map full; can't update element\.$/),
      expect.stringMatching(/^stdin:1:\d+-\d+: WARNING: Map full; can't update element\.$/),
    ]);
    expect(r.stdout.match(/^@\[\d+\]: 1$/gm)?.length).toBe(100);
    expect(r.stdout.match(/^@t\[\d+\]: \d+$/gm)?.length).toBe(100);
  });
});
