// The ring buffer's wakeup protocol (src/runtime/index.ts followUpLook,
// config word CONFIG_WAKEUP): while user space has a look due within 1 ms,
// records are submitted without a wakeup; a look that finds nothing switches
// back to the kernel's wakeup and checks the ring once more. Bursts of
// records separated by pauses of 0–3 ms cross that switch hundreds of times;
// every record must reach the output while the tracer is still running (it
// is stopped only once the last one has been printed), in order, none lost.
// (A record missed in the store-buffer window that followUpLook describes
// would still come out, within a second: this checks delivery, not latency.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorkload, ensureTracefs, GatedWorkload, removeTempDir, runTracer, uniqueComm } from './helpers/run';

const BURSTS = 300;

// Burst i: (i % 37) + 1 getppid() calls, then a pause of (i * 7919) % 3000 µs.
const BURSTS_C = `
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  char c;
  printf("ready\\n");
  fflush(stdout);
  if (read(0, &c, 1) != 1) return 3;
  for (long i = 0; i < ${BURSTS}; i++) {
    for (long j = 0; j <= i % 37; j++) syscall(SYS_getppid);
    usleep((i * 7919) % 3000);
  }
  return 0;
}
`;

let comm: string;
let bin: string;

beforeAll(() => {
  ensureTracefs();
  comm = uniqueComm('tswake_');
  bin = buildWorkload(comm, BURSTS_C);
});
afterAll(() => removeTempDir());

describe('ring buffer wakeups', () => {
  it('bursts with pauses around the 1 ms follow-up: every record is printed while the tracer runs', async () => {
    let total = 0;
    for (let i = 0; i < BURSTS; i++) total += (i % 37) + 1;
    const w = new GatedWorkload(bin, []);
    try {
      await w.ready();
      const r = await runTracer('tstrace', ['-e', `tracepoint:syscalls:sys_enter_getppid /comm == "${comm}"/ { printf("e %d\\n", @seq); @seq = @seq + 1; }`], {
        timeoutMs: 60_000,
        onAttached: async () => {
          await w.go();
        },
        // Stopped only once the last record has been printed: a record that no look picked up would hold the run open.
        signalOnOutput: { match: `e ${total - 1}\n`, signal: 'SIGINT' },
      });
      expect(r.stderr).toBe('');
      const seqs = r.stdout.split('\n').filter((l) => l.startsWith('e ')).map((l) => Number(l.slice(2)));
      expect(seqs.length).toBe(total);
      expect(seqs.every((s, i) => s === i)).toBe(true);
      expect(r.stdout).not.toMatch(/^Lost /m);
      expect(r.stdout).toMatch(new RegExp(`^@seq: ${total}$`, 'm'));
    } finally {
      w.kill();
    }
  });
});
