// Phase timings on stderr when TSTRACE_TIMING is set: where start-up time goes.
// `performance` is touched only when enabled: its first use loads perf_hooks
// (~3 ms of a warm start).
const enabled = !!process.env.TSTRACE_TIMING;
let last = enabled ? performance.now() : 0;

export function mark(phase: string): void {
  if (!enabled) return;
  const now = performance.now();
  // performance.now() counts from performance.timeOrigin, the process start in Node.
  process.stderr.write(`timing: ${phase.padEnd(24)} +${(now - last).toFixed(1)} ms  (since process start ${now.toFixed(1)} ms)\n`);
  last = now;
}
