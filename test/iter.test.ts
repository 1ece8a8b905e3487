// iter (BPF iterators) against the real kernel. This Linux 6.18 loads and
// links iterator programs (unlike fentry, which gets EPERM), so the task and
// task_file iterators are read for real and their output is checked against
// processes the tests start, with known descriptors; pinning is checked by
// reading the pinned iterator from a private bpffs. bpftrace 0.17 refuses
// every iter probe here without ever calling BPF_PROG_LOAD (`iter task not
// available for your kernel version.`, checked with strace), so output is
// not differential; its attach-point errors and its -l/-lv listing are.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runTracer, stripMemlockWarning } from './helpers/run';
import { expectNoLeaks, runAndWatch, snapshot } from './helpers/leaks';
import { iterProvider } from '../src/probes/iter';

/** A process with a known descriptor table: 0-2 /dev/null, 7 /etc/hostname. */
let holder: ChildProcess;
beforeAll(async () => {
  // Descriptors inherited from the test runner are closed, so that the table is exactly these.
  const closeOthers = 'for fd in $(ls /proc/$$/fd); do case $fd in 0|1|2|7) ;; *) eval "exec $fd>&-" ;; esac; done';
  holder = spawn('/bin/bash', ['-c', `exec 7</etc/hostname; ${closeOthers}; exec sleep 600`], { stdio: 'ignore' });
  // Wait for the exec: fd 7 is open and the comm is sleep.
  for (let i = 0; i < 200; i++) {
    try {
      if (fs.readFileSync(`/proc/${holder.pid}/comm`, 'utf8') === 'sleep\n' && fs.existsSync(`/proc/${holder.pid}/fd/7`)) return;
    } catch {
      // not there yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('holder process did not start');
});
afterAll(() => holder.kill('SIGKILL'));

const TASK_FILE = 'iter:task_file { printf("%d %d %s\\n", ctx->task->pid, ctx->fd, str(ctx->file->f_path.dentry->d_name.name)); }';

describe('iter: reading the iterator', () => {
  it('iter:task visits every task: a known process with its comm; ctx->task and HEAD ctx.task', async () => {
    const r = await runTracer('tstrace', ['-e', 'iter:task { printf("%d %s %d\\n", ctx->task->pid, ctx->task->comm, ctx.task->tgid); }'], { notify: false });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Attaching 1 probe...');
    expect(lines).toContain(`${holder.pid} sleep ${holder.pid}`);
    expect(lines.some((l) => new RegExp(`^${r.pid} \\S+ ${r.pid}$`).test(l))).toBe(true); // the reader itself
    // After the last task the kernel runs the program once more with ctx->task NULL
    // (for a footer): reads through NULL give 0 and "", as in bpftrace.
    expect(lines.slice(-4)).toEqual(['0  0', '', '', '']);
  });

  it('-p limits iter:task_file to the process: exactly its descriptors, fd and file from ctx', async () => {
    const r = await runTracer('tstrace', ['-p', String(holder.pid), '-e', TASK_FILE], { notify: false });
    expect(r.stderr).toBe('');
    const p = holder.pid;
    expect(r.stdout).toBe(`Attaching 1 probe...\n${p} 0 null\n${p} 1 null\n${p} 2 null\n${p} 7 hostname\n0 0 \n\n\n`);
  });

  it('iter:task_vma (HEAD): the mappings of the process, as /proc/PID/maps lists them', async () => {
    // /proc/PID/maps adds the vsyscall page, which is no vma of the process (the kernel's gate area).
    const r = await runTracer('tstrace', ['-q', '-p', String(holder.pid), '-e', 'iter:task_vma /ctx->vma != 0/ { printf("%lx-%lx\\n", ctx->vma->vm_start, ctx->vma->vm_end); }'], { notify: false });
    expect(r.stderr).toBe('');
    const maps = fs.readFileSync(`/proc/${holder.pid}/maps`, 'utf8').split('\n').filter((l) => l && !l.endsWith('[vsyscall]')).map((l) => l.split(' ')[0]);
    expect(r.stdout).toBe(maps.join('\n') + '\n\n\n');
  });

  it('path(ctx->file->f_path): bpf_d_path of each open file, as readlink of /proc/PID/fd shows it', async () => {
    const r = await runTracer('tstrace', ['-q', '-p', String(holder.pid), '-e', 'iter:task_file { printf("%d %s\\n", ctx->fd, path(ctx->file->f_path)); }'], { notify: false });
    expect(r.stderr).toBe('');
    const fds = fs.readdirSync(`/proc/${holder.pid}/fd`).map(Number).sort((a, b) => a - b);
    const expected = fds.map((fd) => `${fd} ${fs.readlinkSync(`/proc/${holder.pid}/fd/${fd}`)}\n`).join('');
    // The final call has no file: path() is skipped, the string stays empty.
    expect(r.stdout).toBe(`${expected}0 \n\n\n`);
  });

  it('it: is iter; maps and END work around the iterator, which is read before END', async () => {
    const r = await runTracer('tstrace', ['-p', String(holder.pid), '-e', 'it:task_file /ctx->file != 0/ { @fds = count(); } END { printf("end\\n"); }'], { notify: false });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Attaching 2 probes...\nend\n\n\n@fds: 4\n');
  });

  it('iter:task_file:PATH pins the iterator; reading the pin runs it; nothing else stays', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tstrace-iter-'));
    execFileSync('mount', ['-t', 'bpf', 'bpf', dir]);
    try {
      const pin = path.join(dir, 'files');
      const before = snapshot();
      const { r, ours } = await runAndWatch(['-p', String(holder.pid), '-e', TASK_FILE.replace('iter:task_file', `iter:task_file:${pin}`)], { notify: false });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`Attaching 1 probe...\nProgram pinned to ${pin}\n\n\n`);
      const p = holder.pid;
      expect(fs.readFileSync(pin, 'utf8')).toBe(`${p} 0 null\n${p} 1 null\n${p} 2 null\n${p} 7 hostname\n0 0 \n`);
      fs.unlinkSync(pin); // the pin held the link (and the program): unpinned, both go
      await expectNoLeaks(before, ours);
    } finally {
      execFileSync('umount', [dir]);
      fs.rmdirSync(dir);
    }
  });

  it('a bare pin name goes to /sys/fs/bpf/NAME (as 0.17)', async () => {
    const r = await runTracer('tstrace', ['--explain', 'attach', '-e', 'iter:task:tasks { printf("%d\\n", ctx->task->pid); }'], { notify: false });
    expect(r.stdout).toContain('then BPF_OBJ_PIN of the link at /sys/fs/bpf/tasks');
  });

  it('no program, map or link is left after a run', async () => {
    const before = snapshot();
    const { r, ours } = await runAndWatch(['-p', String(holder.pid), '-e', TASK_FILE], { notify: false });
    expect(r.code).toBe(0);
    await expectNoLeaks(before, ours);
  });
});

describe('iter: what this kernel refuses', () => {
  it('the map-element iterators: one line naming the refusal, exit 1, nothing left behind', async () => {
    // Linux 6.18 here returns EPERM when loading bpf_map_elem, bpf_sk_storage_map and sockmap iterator programs.
    const before = snapshot();
    const { r, ours } = await runAndWatch(['-e', 'iter:bpf_map_elem { printf("%d\\n", 1); }'], { notify: false });
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("ERROR: iter:bpf_map_elem: this kernel does not permit the bpf_map_elem iterator's program (loading it returned EPERM); no probe type replaces iterators\n");
    expect(r.code).toBe(1);
    await expectNoLeaks(before, ours);
  });

  it('EPERM for task iterators (a kernel unlike this one) names the /proc file with the same objects', () => {
    // Mocked: this kernel loads task iterators, so the refusal is simulated by the error object only.
    const [m] = iterProvider.match(['task'], undefined as never);
    const err = Object.assign(new Error('failed to load program'), { code: 'EPERM', errno: 1 });
    expect(iterProvider.explainLoadError!(m, err)).toBe(
      "iter:task: this kernel does not permit the task iterator's program (loading it returned EPERM); no probe type replaces iterators; the same objects are listed in /proc/PID/status");
  });
});

describe('iter: compile only', () => {
  it('--dry-run --emit-elf: section iter/NAME, a TRACING program libbpf loads, attach_btf_id of bpf_iter_NAME', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tstrace-iter-elf-'));
    try {
      const obj = path.join(dir, 'out.o');
      const r = await runTracer('tstrace', ['--dry-run', '--emit-elf', obj, '-e', TASK_FILE], { notify: false });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(execFileSync('readelf', ['-SW', obj], { encoding: 'utf8' })).toMatch(/\] iter\/task_file\s+PROGBITS/);
      // The printf is bpf_seq_printf (helper 126) into the iterator's seq_file.
      expect(execFileSync('llvm-objdump-14', ['-d', obj], { encoding: 'utf8' })).toMatch(/call 126\n/);
      const bpffs = path.join(dir, 'bpffs');
      fs.mkdirSync(bpffs);
      execFileSync('mount', ['-t', 'bpf', 'bpf', bpffs]);
      try {
        // libbpf finds bpf_iter_task_file from the section name, as for bpftrace's objects.
        execFileSync('bpftool', ['prog', 'loadall', obj, path.join(bpffs, 'progs')], { stdio: 'pipe' });
        const info = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show', 'pinned', path.join(bpffs, 'progs', 'probe_0')], { encoding: 'utf8' }));
        expect(info.type).toBe('tracing');
      } finally {
        fs.rmSync(path.join(bpffs, 'progs'), { recursive: true, force: true });
        execFileSync('umount', [bpffs]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const funcId = /\[(\d+)\] FUNC 'bpf_iter_task_file'/.exec(execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux'], { encoding: 'utf8', maxBuffer: 1 << 28 }))![1];
    const explain = await runTracer('tstrace', ['--explain', 'attach', '-e', TASK_FILE], { notify: false });
    expect(explain.stdout).toContain(`iter:task_file  (probe_0, BPF_PROG_TYPE_TRACING)\n    how: BPF_LINK_CREATE(attach_type=BPF_TRACE_ITER) of the program loaded with attach_btf_id=${funcId} (bpf_iter_task_file)`);
  });
});

describe('iter: errors and listing, as bpftrace 0.17', () => {
  const tstraceErr = async (s: string) => (await runTracer('tstrace', ['--dry-run', '-e', s], { notify: false })).stderr;
  const bpftraceErr = async (s: string) => stripMemlockWarning((await runTracer('bpftrace', ['-e', s], { notify: false })).stderr);

  it.each([
    'iter:task, iter:task_file { }',
    'tracepoint:syscalls:sys_enter_getpid,iter:task { }',
    'iter { }',
    'iter:task:a:b { }',
    'iter:task* { }',
    'iter:nosuchiter { }',
  ])('%s: the same error', async (s) => {
    expect(await tstraceErr(s)).toBe(await bpftraceErr(s));
  });

  it('errors 0.17 gives after its not-available line: args, a field the context lacks', async () => {
    // 0.17 prefixes its own `iter task not available` error, and marks the whole print() call.
    expect(await tstraceErr('iter:task { $x = args; }')).toBe(
      'stdin:1:18-22: ERROR: The args builtin can only be used with tracepoint/kfunc/uprobeprobes (iter used here)\niter:task { $x = args; }\n                 ~~~~\n');
    expect(await bpftraceErr('iter:task { $x = args; }')).toContain('ERROR: The args builtin can only be used with tracepoint/kfunc/uprobeprobes (iter used here)');
    expect(await tstraceErr('iter:task { print(ctx->fd); }')).toContain("ERROR: Struct/union of type 'struct bpf_iter__task' does not contain a field named 'fd'");
    expect(await bpftraceErr('iter:task { print(ctx->fd); }')).toContain("ERROR: Struct/union of type 'struct bpf_iter__task' does not contain a field named 'fd'");
  });

  it('any other probe besides BEGIN/END is refused too (0.17 would run only the iterator)', async () => {
    expect(await tstraceErr('iter:task { } interval:s:1 { }')).toBe(
      'stdin:1:15-27: ERROR: Only single iter attach point is allowed.\niter:task { } interval:s:1 { }\n              ~~~~~~~~~~~~\n');
    expect(await tstraceErr('BEGIN { } iter:task { } END { }')).toBe('');
  });

  it('-lv iter:* lists 0.17\'s two iterators as 0.17 does, and every other iterator of the BTF', async () => {
    const ours = (await runTracer('tstrace', ['-lv', 'iter:*'], { notify: false })).stdout;
    const theirs = (await runTracer('bpftrace', ['-lv', 'iter:*'], { notify: false })).stdout;
    // docs/compat.md: 0.17 hard-codes task and task_file (and types fd `int`); tstrace lists
    // every struct bpf_iter__NAME with BTF's member types (fd is u32 there).
    const only017 = ours.split(/(?=^iter:)/m).filter((b) => /^iter:(task|task_file)\n/.test(b)).join('').replace('    u32 fd\n', '    int fd\n');
    expect(only017).toBe(theirs);
    expect(ours).toContain('iter:task_vma\n    struct task_struct * task\n    struct vm_area_struct * vma\n');
    expect((await runTracer('tstrace', ['-l', 'it:task*'], { notify: false })).stdout).toBe('iter:task\niter:task_file\niter:task_vma\n');
  });
});
