// Environment errors: what the machine (not the script) lacks. Each gets one
// clear line and bpftrace 0.17's exit code; bpftrace runs in the same
// environment for the exit code. The environments are real, made with the
// kernel's own tools rather than mocked:
//   * not root: setpriv to nobody; missing capabilities: capsh --drop;
//   * tracefs not mounted and not mountable: a private mount namespace
//     (unshare -m) with tracefs unmounted, run without CAP_SYS_ADMIN;
//   * no BTF: an empty file bind-mounted over /sys/kernel/btf/vmlinux in a
//     private mount namespace;
//   * a kernel lacking a probe type: this VM has no kprobes and no hardware
//     counters (see the brief's machine facts).
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'child_process';
import { BPFTRACE_BIN, TSTRACE_BIN, ensureTracefs, removeTempDir, stripMemlockWarning, writeTempFile } from './helpers/run';
import { missingPrivilege } from '../src/runtime/privileges';

afterAll(removeTempDir);

const TRACEPOINT_SCRIPT = 'tracepoint:syscalls:sys_enter_getpid { @x = count(); } interval:ms:100 { exit(); }';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `prefix… tracer -e script` (tstrace with the cache off, so compile-time paths run too). */
function run(prefix: string[], tracer: 'tstrace' | 'bpftrace', script: string, extra: string[] = []): Ran {
  const bin = tracer === 'tstrace' ? [process.execPath, TSTRACE_BIN, ...extra] : [BPFTRACE_BIN];
  const r = spawnSync(prefix[0] ?? bin[0], [...prefix.slice(1), ...(prefix.length ? bin : bin.slice(1)), '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, TSTRACE_NO_CACHE: '1', __BPFTRACE_NOTIFY_PROBES_ATTACHED: undefined },
  });
  return { code: r.status, stdout: r.stdout, stderr: tracer === 'bpftrace' ? stripMemlockWarning(r.stderr) : r.stderr };
}

/** capsh runs its command through a shell: quote it. */
function capsh(drop: string, tracer: 'tstrace' | 'bpftrace', script: string): Ran {
  const bin = tracer === 'tstrace' ? `"${process.execPath}" "${TSTRACE_BIN}"` : BPFTRACE_BIN;
  const r = spawnSync('capsh', [`--drop=${drop}`, '--', '-c', `${bin} -e '${script}'`], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, TSTRACE_NO_CACHE: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: tracer === 'bpftrace' ? stripMemlockWarning(r.stderr) : r.stderr };
}

const ONE_LINE = /^ERROR: [^\n]+\n$/;

describe('privileges', () => {
  it('not root (nobody, no capabilities): one line, exit 1 as bpftrace', () => {
    const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
    const ts = run(asNobody, 'tstrace', TRACEPOINT_SCRIPT);
    const bt = run(asNobody, 'bpftrace', TRACEPOINT_SCRIPT);
    expect(ts).toEqual({ code: 1, stdout: '', stderr: 'ERROR: Missing CAP_BPF capability, please run tstrace as the root user.\n' });
    expect(bt.code).toBe(1);
    expect(bt.stderr).toBe('ERROR: bpftrace currently only supports running as the root user.\n');
  });

  it('not root is fine for --dry-run (nothing is loaded)', () => {
    const ts = run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'], 'tstrace', 'BEGIN { exit(); }', ['--dry-run']);
    expect(ts).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('root without CAP_BPF (and CAP_SYS_ADMIN): one line, exit 1 as bpftrace', () => {
    const ts = capsh('cap_bpf,cap_sys_admin', 'tstrace', TRACEPOINT_SCRIPT);
    const bt = capsh('cap_bpf,cap_sys_admin', 'bpftrace', TRACEPOINT_SCRIPT);
    expect(ts).toEqual({ code: 1, stdout: '', stderr: 'ERROR: Missing CAP_BPF capability, please run tstrace as the root user.\n' });
    // 0.17 only checks the uid and then fails creating maps.
    expect(bt.code).toBe(1);
    expect(bt.stderr).toContain("ERROR: failed to create map: '@x': Operation not permitted");
  });

  it('root without CAP_PERFMON (and CAP_SYS_ADMIN): one line, exit 1', () => {
    const ts = capsh('cap_perfmon,cap_sys_admin', 'tstrace', TRACEPOINT_SCRIPT);
    expect(ts).toEqual({ code: 1, stdout: '', stderr: 'ERROR: Missing CAP_PERFMON capability, please run tstrace as the root user.\n' });
  });

  it('CAP_BPF and CAP_PERFMON without CAP_SYS_ADMIN are enough', () => {
    ensureTracefs();
    const ts = capsh('cap_sys_admin', 'tstrace', TRACEPOINT_SCRIPT);
    expect(ts.code).toBe(0);
    expect(ts.stdout).toMatch(/^Attaching 2 probes\.\.\.\n\n\n@x: \d+\n$/);
  });

  it('reads the effective set from /proc/self/status', () => {
    const status = (hex: string) => `Name:\ttstrace\nCapEff:\t${hex}\n`;
    expect(missingPrivilege(status('000001ffffffffff'))).toBeUndefined();
    expect(missingPrivilege(status('0000000000200000'))).toBeUndefined(); // CAP_SYS_ADMIN alone
    expect(missingPrivilege(status('0000000000000000'))).toMatch(/CAP_BPF/);
    expect(missingPrivilege(status('0000008000000000'))).toMatch(/CAP_PERFMON/); // CAP_BPF alone
    expect(missingPrivilege(status('000000c000000000'))).toBeUndefined(); // CAP_BPF + CAP_PERFMON
  });
});

describe('tracefs not mounted and not mountable', () => {
  // In a private mount namespace, unmount every tracefs/debugfs, then drop
  // CAP_SYS_ADMIN so that mounting it again is refused.
  const NO_TRACEFS = () => writeTempFile('no-tracefs.sh', [
    'umount /sys/kernel/debug/tracing 2>/dev/null; umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug 2>/dev/null',
    'if [ -e /sys/kernel/tracing/events ] || [ -e /sys/kernel/debug/tracing/events ]; then echo "tracefs still mounted" >&2; exit 99; fi',
    'exec capsh --drop=cap_sys_admin -- -c \'exec "$@"\' capsh "$@"',
    '',
  ].join('\n'));
  const TRACEFS_LINE = 'ERROR: tracefs is not mounted at /sys/kernel/tracing (nor debugfs at /sys/kernel/debug) and mounting it failed (permission denied); tracepoints need it: mount -t tracefs nodev /sys/kernel/tracing\n';

  it('a tracepoint script: one line, exit 1 as bpftrace (which says "tracepoint not found")', () => {
    const ns = ['unshare', '-m', 'bash', NO_TRACEFS()];
    const ts = run(ns, 'tstrace', TRACEPOINT_SCRIPT);
    const bt = run(ns, 'bpftrace', TRACEPOINT_SCRIPT);
    expect(ts).toEqual({ code: 1, stdout: '', stderr: TRACEFS_LINE });
    expect(bt.code).toBe(1);
    expect(bt.stderr).toMatch(/^stdin:1:1-37: ERROR: tracepoint not found: syscalls:sys_enter_getpid\n/);
  });

  it('the same from the compile cache (the error then comes from attaching): one line, exit 1', () => {
    const cacheDir = writeTempFile('cache-marker', '').replace(/cache-marker$/, 'cache');
    const env = { ...process.env, TSTRACE_CACHE_DIR: cacheDir, __BPFTRACE_NOTIFY_PROBES_ATTACHED: undefined };
    ensureTracefs();
    const warm = spawnSync(process.execPath, [TSTRACE_BIN, '-e', TRACEPOINT_SCRIPT], { encoding: 'utf8', env });
    expect(warm.status).toBe(0);
    const r = spawnSync('unshare', ['-m', 'bash', NO_TRACEFS(), process.execPath, TSTRACE_BIN, '-e', TRACEPOINT_SCRIPT], { encoding: 'utf8', env });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(TRACEFS_LINE);
  });

  it('probes that do not need tracefs still run (interval, BEGIN/END), as in bpftrace', () => {
    const script = 'BEGIN { @b = 1; } interval:ms:100 { @i = 1; exit(); }';
    const ns = ['unshare', '-m', 'bash', NO_TRACEFS()];
    const ts = run(ns, 'tstrace', script);
    const bt = run(ns, 'bpftrace', script);
    expect(ts).toEqual({ code: 0, stdout: 'Attaching 2 probes...\n\n\n@b: 1\n@i: 1\n', stderr: '' });
    expect({ code: bt.code, stdout: bt.stdout }).toEqual({ code: ts.code, stdout: ts.stdout });
  });
});

describe('no BTF', () => {
  const NO_BTF = () => writeTempFile('no-btf.sh', [
    `: > ${writeTempFile('empty-btf', '')}`,
    `mount --bind ${writeTempFile('empty-btf', '')} /sys/kernel/btf/vmlinux || exit 98`,
    'exec "$@"',
    '',
  ].join('\n'));

  it('fentry: one line at the probe, exit 1 as bpftrace (kfunc: "not available for your kernel version")', () => {
    const ns = ['unshare', '-m', 'bash', NO_BTF()];
    const ts = run(ns, 'tstrace', 'fentry:vfs_read { @x = count(); }');
    const bt = run(ns, 'bpftrace', 'kfunc:vfs_read { @x = count(); }');
    expect(ts.code).toBe(1);
    expect(ts.stderr).toBe(
      "stdin:1:1-16: ERROR: fentry probes need the kernel's BTF, and /sys/kernel/btf/vmlinux is not valid BTF (not a little-endian BTF blob)\n" +
      'fentry:vfs_read { @x = count(); }\n~~~~~~~~~~~~~~~\n');
    expect(bt.code).toBe(1);
    expect(bt.stderr).toMatch(/^stdin:1:1-15: ERROR: kfunc\/kretfunc not available for your kernel version\.\n/);
  });

  it('tracepoints do not need BTF: they still run, as in bpftrace', () => {
    ensureTracefs();
    const ns = ['unshare', '-m', 'bash', NO_BTF()];
    const ts = run(ns, 'tstrace', TRACEPOINT_SCRIPT);
    const bt = run(ns, 'bpftrace', TRACEPOINT_SCRIPT);
    expect(ts.code).toBe(0);
    expect(ts.stdout).toMatch(/^Attaching 2 probes\.\.\.\n\n\n@x: \d+\n$/);
    expect(bt.code).toBe(0);
  });
});

describe('a kernel lacking a probe type (this VM: no kprobes, no hardware counters)', () => {
  for (const [script, what] of [
    ['kprobe:do_sys_openat2 { @x = count(); }', /^ERROR: kprobe:do_sys_openat2: kprobes are not available in this kernel/],
    ['hardware:cycles:1000000 { @x = count(); }', /^ERROR: hardware:cycles:1000000: hardware performance counters are not available on this machine/],
  ] as const) {
    it(`${script.split(' ')[0]}: one line, exit 255 as bpftrace`, () => {
      const ts = run([], 'tstrace', script);
      const bt = run([], 'bpftrace', script);
      expect(ts.stderr).toMatch(ONE_LINE);
      expect(ts.stderr).toMatch(what);
      expect(ts.code).toBe(255);
      expect(bt.code).toBe(255);
    });
  }
});
