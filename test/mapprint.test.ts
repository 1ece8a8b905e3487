// Printing maps at exit: count()/sum() maps with one integer key take a
// columnar path (src/output/columns.ts, no Value objects per entry); every
// other map the general one (formatMapText). print(@m) in END always takes
// the general path, so the same map printed both ways must match byte for
// byte, and both must match bpftrace 0.17 (up to the order of equal values,
// docs/compat.md "ties in value-sorted maps").
import { describe, expect, it } from 'vitest';
import { runTracer, sortEqualValueRuns, stripMemlockWarning } from './helpers/run';

/** 2000 inserts: repeated keys, values from 1 up, negative sums, keys past 2^53 and negative keys (general path). */
const SCRIPT = 'BEGIN { $i = 0; while ($i < 2000) { @c[$i * 37 % 1009] = count(); @s[$i % 300] = sum($i - 1000); ' +
  '@big[0x7ffffffffff00000 + $i % 50] = count(); @neg[$i % 40 - 20] = sum($i); $i++; } exit(); } ' +
  'END { print(@big); print(@c); print(@neg); print(@s); }';

describe('map printing at exit', () => {
  it('the columnar path prints what the general path prints', async () => {
    const ts = await runTracer('tstrace', ['-e', SCRIPT], { notify: false, timeoutMs: 60_000 });
    expect(ts.code, ts.stderr).toBe(0);
    // "Attaching 2 probes...", the four print()s in END, then "\n\n" and the maps at exit, in the same (name) order.
    const body = ts.stdout.slice(ts.stdout.indexOf('\n') + 1);
    const atExit = body.slice(body.lastIndexOf('\n\n\n') + 3);
    expect(atExit.length).toBeGreaterThan(0);
    expect(body).toBe(atExit + '\n\n' + atExit);
    expect(atExit.match(/^@c\[\d+\]: \d+$/gm)?.length).toBe(1009);
    expect(atExit.match(/^@s\[\d+\]: -?\d+$/gm)?.length).toBe(300);
  });

  it('differential against bpftrace 0.17', async () => {
    const bt = await runTracer('bpftrace', ['-e', SCRIPT], { notify: false, timeoutMs: 60_000 });
    expect(bt.code, stripMemlockWarning(bt.stderr)).toBe(0);
    const ts = await runTracer('tstrace', ['-e', SCRIPT], { notify: false, timeoutMs: 60_000 });
    expect(sortEqualValueRuns(ts.stdout), ts.stderr).toBe(sortEqualValueRuns(bt.stdout));
  }, 120_000);
});
