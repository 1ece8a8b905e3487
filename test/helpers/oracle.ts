// The one comparison of a BEGIN-only script through bpftrace 0.17 (the oracle)
// and tstrace that the differential test files share. Normalisation is only
// what docs/compat.md lists: ties in value-sorted maps (`sortEqualValueRuns`)
// and, per case, a documented rewrite of bpftrace's output (`oracleFixup`).
import { expect } from 'vitest';
import { runTracer, RunResult, sortEqualValueRuns, stripMemlockWarning } from './run';

export async function compareBeginWithOracle(
  args: string[],
  oracleFixup?: (bpftraceStdout: string) => string,
): Promise<{ bpftrace: RunResult; tstrace: RunResult }> {
  const bt = await runTracer('bpftrace', args, { notify: false, timeoutMs: 30_000 });
  const ts = await runTracer('tstrace', args, { notify: false, timeoutMs: 30_000 });
  // Sanity: the oracle accepted the script (otherwise the case is wrong, not tstrace).
  expect(bt.code, `bpftrace rejected the script: ${stripMemlockWarning(bt.stderr)}`).toBe(0);
  expect(bt.stdout.length).toBeGreaterThan(0);
  const expected = sortEqualValueRuns(oracleFixup ? oracleFixup(bt.stdout) : bt.stdout);
  expect(sortEqualValueRuns(ts.stdout), `tstrace stderr: ${ts.stderr}`).toBe(expected);
  expect(ts.code).toBe(bt.code);
  return { bpftrace: bt, tstrace: ts };
}

/**
 * `-c CMD -e SCRIPT` through tstrace and bpftrace 0.17, one after the other;
 * neither may print anything on stderr (bpftrace's RLIMIT_MEMLOCK line aside).
 * The caller compares the outputs.
 */
export async function runBothWithChild(bin: string, script: string): Promise<{ ours: RunResult; theirs: RunResult }> {
  const args = ['-c', bin, '-e', script];
  const ours = await runTracer('tstrace', args, { notify: false });
  const theirs = await runTracer('bpftrace', args, { notify: false });
  expect(ours.stderr).toBe('');
  expect(stripMemlockWarning(theirs.stderr)).toBe('');
  return { ours, theirs };
}
