// rawtracepoint against the real kernel: argument slots and BTF-named args
// with exact values from a workload that makes a known number of getpid()
// calls, the -lv prototypes from BTF, and the attach-point errors.
// bpftrace 0.17 has no rawtracepoint (added in 0.18), so nothing is differential.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorkload, removeTempDir, runTracer, traceWorkload, uniqueComm, WORKLOAD_C } from './helpers/run';

const SYS_getpid = 39; // x86_64

let comm: string;
let bin: string;
beforeAll(() => {
  comm = uniqueComm('tsrawtp_');
  bin = buildWorkload(comm, WORKLOAD_C);
});
afterAll(removeTempDir);

describe('rawtracepoint', () => {
  it('arg1 and args.id of sys_enter: the syscall number, once per getpid() call', async () => {
    const script =
      `rawtracepoint:sys_enter /comm == "${comm}" && arg1 == ${SYS_getpid}/ { @a[arg1] = count(); } ` +
      `rt:vmlinux:sys_enter /comm == "${comm}" && args.id == ${SYS_getpid}/ { @b[args.id] = count(); }`;
    const r = await traceWorkload('tstrace', ['-e', script], bin, ['getpid', '7']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`Attaching 2 probes...\n\n\n@a[${SYS_getpid}]: 7\n@b[${SYS_getpid}]: 7\n`);
  });

  it('wildcards expand over the btf_trace_* list; probe names the expansion', async () => {
    const r = await traceWorkload('tstrace', ['-e', `rawtracepoint:sys_e* /comm == "${comm}" && arg1 == ${SYS_getpid}/ { @[probe] = count(); }`], bin, ['getpid', '3']);
    // sys_exit's arg1 is the return value (the pid), not 39: only sys_enter counts.
    expect(r.stdout).toBe('Attaching 2 probes...\n\n\n@[rawtracepoint:sys_enter]: 3\n');
  });

  it('-lv prints the arguments from BTF', async () => {
    const r = await runTracer('tstrace', ['-lv', 'rawtracepoint:sched_switch'], { notify: false });
    expect(r.stdout).toBe('rawtracepoint:sched_switch\n    bool preempt\n    struct task_struct * prev\n    struct task_struct * next\n    unsigned int prev_state\n');
    expect((await runTracer('tstrace', ['-l', 'rt:sys_e*'], { notify: false })).stdout).toBe('rawtracepoint:sys_enter\nrawtracepoint:sys_exit\n');
  });

  it('errors: no such raw tracepoint, an argument it does not have, an unknown module', async () => {
    const err = async (s: string) => (await runTracer('tstrace', ['--dry-run', '-e', s], { notify: false })).stderr;
    expect(await err('rawtracepoint:nope_nope { }')).toContain('ERROR: No raw tracepoint matches nope_nope');
    expect(await err('rawtracepoint:sys_enter { @ = arg2; }')).toContain('ERROR: rawtracepoint:sys_enter has 2 arguments: arg2 does not exist');
    expect(await err('rawtracepoint:nfs:sys_enter { }')).toContain('ERROR: rawtracepoint module nfs: only vmlinux');
  });
});
