// Phase timings on stderr when TSTRACE_TIMING is set: where start-up time goes.
const enabled = !!process.env.TSTRACE_TIMING;
const origin = performance.timeOrigin;
let last = performance.now();

export function mark(phase: string): void {
  if (!enabled) return;
  const now = performance.now();
  process.stderr.write(`timing: ${phase.padEnd(24)} +${(now - last).toFixed(1)} ms  (since process start ${(now + origin - processStart()).toFixed(1)} ms)\n`);
  last = now;
}

function processStart(): number {
  // performance.timeOrigin is the process start in Node.
  return origin;
}
