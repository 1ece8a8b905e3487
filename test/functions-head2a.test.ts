// More functions and builtins of current bpftrace (HEAD) that 0.17 lacks:
// leader_comm/leader_tid, comm(pid), config, kfunc_allowed, percpu_kaddr.
// HEAD is not installed here, so each gets exact-value tests against a
// controlled workload (values the test knows from the workload itself).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { ensureTracefs, GatedWorkload, removeTempDir, runTracer } from './helpers/run';
import { buildNamedThreadWorkload } from './helpers/threads';

beforeAll(() => ensureTracefs());
afterAll(() => removeTempDir());


async function traceWith(script: string, bin: string): Promise<{ r: Awaited<ReturnType<typeof runTracer>>; pid: number }> {
  const w = new GatedWorkload(bin, []);
  try {
    await w.ready();
    const r = await runTracer('tstrace', ['-e', script], { timeoutMs: 60_000, onAttached: () => w.go(), signalAfterAttach: 'SIGINT' });
    return { r, pid: w.pid };
  } finally {
    w.kill();
  }
}

describe('leader_comm, leader_tid (HEAD)', () => {
  let threads = '';
  beforeAll(() => {
    threads = buildNamedThreadWorkload('h2t', 'h2aworker');
  });

  it('are the thread-group leader\'s name and tid, also in a named worker thread', async () => {
    const leader = path.basename(threads);
    const script = `tracepoint:syscalls:sys_enter_getpid /leader_comm == "${leader}"/ { printf("%s %s %d %d %s %d\\n", comm, leader_comm, leader_tid, tid == leader_tid, leader_comm(curtask), leader_tid(curtask)); }`;
    const { r, pid } = await traceWith(script, threads);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`Attaching 1 probe...\n${leader} ${leader} ${pid} 1 ${leader} ${pid}\nh2aworker ${leader} ${pid} 0 ${leader} ${pid}\n\n\n`);
  });

  it('comm(pid) is the name of the task with that id (bpf_task_from_pid), "" for none', async () => {
    const leader = path.basename(threads);
    // In the worker thread: comm(pid) is the main thread's name, comm(tid) the worker's own; 99999999 is above pid_max.
    const script = `tracepoint:syscalls:sys_enter_getpid /leader_comm == "${leader}"/ { printf("%s %s %s [%s] %d\\n", comm, comm(pid), comm(tid), comm(99999999), comm(tid) == comm); }`;
    const { r } = await traceWith(script, threads);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`Attaching 1 probe...\n${leader} ${leader} ${leader} [] 1\nh2aworker ${leader} h2aworker [] 1\n\n\n`);
  });

  it('comm(pid) where the kernel does not let the program call bpf_task_from_pid (BEGIN: a raw tracepoint) fails to load, one clear error', async () => {
    const r = await runTracer('tstrace', ['-e', 'BEGIN { printf("%s\\n", comm(2)); exit(); }'], { notify: false });
    // The rest of the message names the instruction (its BTF id is this kernel's).
    expect(r.stderr).toContain('stdin:1:24-31: ERROR: the kernel\'s verifier rejected the BPF program of probe BEGIN: calling kernel function bpf_task_from_pid is not allowed\nBEGIN { printf("%s\\n", comm(2)); exit(); }\n                       ~~~~~~~\n');
    expect(r.code).toBe(1);
  });

  it('leader_tid() of something that is not a task is an error', async () => {
    const r = await runTracer('tstrace', ['-e', 'BEGIN { print(leader_tid(1)); }'], { notify: false });
    expect(r.stderr).toBe('stdin:1:15-28: ERROR: leader_tid() expects a struct task_struct * (integer provided)\nBEGIN { print(leader_tid(1)); }\n              ~~~~~~~~~~~~~\n');
    expect(r.code).toBe(1);
  });
});

describe('config (HEAD)', () => {
  it('reads max_strlen and max_map_keys: defaults, the config block, BPFTRACE_MAP_KEYS_MAX over the block', async () => {
    const script = 'BEGIN { printf("%d %d\\n", config.max_strlen, config.max_map_keys); @[config.max_map_keys] = 1; exit(); }';
    const d = await runTracer('tstrace', ['-e', script], { notify: false });
    expect(d.stderr).toBe('');
    expect(d.stdout).toBe('Attaching 1 probe...\n64 4096\n\n\n@[4096]: 1\n');
    const block = 'config = { max_map_keys = 100 } BEGIN { printf("%d\\n", config.max_map_keys); exit(); }';
    const b = await runTracer('tstrace', ['-e', block], { notify: false });
    expect(b.stderr).toBe('');
    expect(b.stdout).toBe('Attaching 1 probe...\n100\n\n\n');
    const env = await runTracer('tstrace', ['-e', block], { notify: false, env: { BPFTRACE_MAP_KEYS_MAX: '7' } });
    expect(env.stderr).toBe('');
    expect(env.stdout).toBe('Attaching 1 probe...\n7\n\n\n');
  });

  it('a field tstrace does not read is an error', async () => {
    const r = await runTracer('tstrace', ['-e', 'BEGIN { print(config.foo); }'], { notify: false });
    expect(r.stderr).toBe('stdin:1:15-25: ERROR: config has no field named foo (tstrace reads: max_map_keys, max_strlen)\nBEGIN { print(config.foo); }\n              ~~~~~~~~~~\n');
    expect(r.code).toBe(1);
  });
});

describe('kfunc_allowed (HEAD)', () => {
  // The kernel's answers on this machine (Linux 6.18), per program type, as its
  // verifier gives them for a program calling the kfunc: bpf_rcu_read_lock is
  // in the kfunc set every program type may call, bpf_task_from_pid in the set
  // registered for tracepoint/perf_event programs but not raw tracepoints
  // (BEGIN), vfs_read is a kernel function but no kfunc.
  const calls = 'kfunc_allowed("bpf_task_from_pid"), kfunc_allowed("bpf_rcu_read_lock"), kfunc_allowed("vfs_read"), kfunc_allowed("nosuchfn"), kfunc_exist("vfs_read")';
  it('is the kernel\'s answer for the probe\'s program type, as a compile-time bool', async () => {
    const r = await runTracer('tstrace', ['-e', `BEGIN { printf("%d %d %d %d %d\\n", ${calls}); } interval:ms:10 { printf("%d %d %d %d %d\\n", ${calls}); if (kfunc_allowed("vfs_read")) { printf("no\\n"); } exit(); }`], { notify: false });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Attaching 2 probes...\n0 1 0 0 1\n1 1 0 0 1\n\n\n');
  });

  it('a probe type the kernel cannot be asked about (TRACING needs an attach target) and a non-literal are errors', async () => {
    const iter = await runTracer('tstrace', ['-e', 'iter:task { print(kfunc_allowed("bpf_task_from_pid")); }'], { notify: false });
    expect(iter.stderr).toBe('stdin:1:19-53: ERROR: kfunc_allowed("bpf_task_from_pid"): the kernel refused a test program of this probe\'s type: failed to load program \'kfunc_allowed\': Invalid argument (Tracing programs must provide btf_id)\niter:task { print(kfunc_allowed("bpf_task_from_pid")); }\n                  ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n');
    expect(iter.code).toBe(1);
    const lit = await runTracer('tstrace', ['-e', 'BEGIN { print(kfunc_allowed(1)); }'], { notify: false });
    expect(lit.stderr).toBe('stdin:1:15-31: ERROR: kfunc_allowed() expects a string literal (integer provided)\nBEGIN { print(kfunc_allowed(1)); }\n              ~~~~~~~~~~~~~~~~\n');
  });
});

describe('percpu_kaddr (HEAD)', () => {
  // This kernel is built without CONFIG_KALLSYMS_ALL: /proc/kallsyms lists no
  // variables, and the verifier resolves a BTF ksym's address there, so a
  // program using percpu_kaddr cannot load here (the verifier's own words:
  // "ldimm64 failed to find the address for kernel symbol 'runqueues'").
  // The compile path (BTF VAR id, the ld_imm64 the emitter turns into a
  // BPF_PSEUDO_BTF_ID load, bpf_this_cpu_ptr / bpf_per_cpu_ptr) runs under
  // --dry-run; the load error is one line at the call.
  const hasVariables = /^[0-9a-f]+ [dDbB] runqueues$/m.test(fs.readFileSync('/proc/kallsyms', 'latin1'));
  const script = 'interval:ms:10 { printf("%d\\n", percpu_kaddr("runqueues", 1)); exit(); }';

  it('compiles to a program (--dry-run) and, where kallsyms lacks the variable, is one clear error at the call', async () => {
    expect(hasVariables).toBe(false);
    const dry = await runTracer('tstrace', ['--dry-run', '-e', script], { notify: false });
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('stdin:1:33-61: WARNING: percpu_kaddr("runqueues"): the kernel cannot resolve the address of runqueues: /proc/kallsyms does not list it (variables are listed only with CONFIG_KALLSYMS_ALL) (compiled anyway: --dry-run)\n');
    const r = await runTracer('tstrace', ['-e', script], { notify: false });
    expect(r.stderr).toBe(`stdin:1:33-61: ERROR: percpu_kaddr("runqueues"): the kernel cannot resolve the address of runqueues: /proc/kallsyms does not list it (variables are listed only with CONFIG_KALLSYMS_ALL)\n${script}\n${' '.repeat(32)}${'~'.repeat(28)}\n`);
    expect(r.code).toBe(1);
  });

  it('a variable BTF lacks is an error', async () => {
    const r = await runTracer('tstrace', ['-e', 'BEGIN { print(percpu_kaddr("nosuchvar")); }'], { notify: false });
    expect(r.stderr).toBe('stdin:1:15-40: ERROR: Could not resolve variable "nosuchvar" from BTF\nBEGIN { print(percpu_kaddr("nosuchvar")); }\n              ~~~~~~~~~~~~~~~~~~~~~~~~~\n');
    expect(r.code).toBe(1);
  });
});
