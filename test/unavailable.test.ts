// Probe types this kernel lacks (kprobes, BPF trampolines, hardware
// counters) still compile completely: --dry-run succeeds and --emit-elf
// writes an object with one program section per probe, in libbpf's section
// names. Running them prints one line naming what is missing (asked of the
// kernel: PMUs in /sys/bus/event_source/devices, the program load itself)
// and the nearest probe type that works here. Each check is skipped on a
// kernel that has the feature (then other tests attach for real).
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { removeTempDir, runTracer, tempDir } from './helpers/run';
import { ElfFile } from '../src/probes/elf';

afterAll(removeTempDir);

const hasKprobes = fs.existsSync('/sys/bus/event_source/devices/kprobe/type');

const PROGRAMS: [string, string][] = [
  ['kprobe:vfs_read { @[arg0, arg2] = count(); }', 'kprobe/vfs_read'],
  ['kprobe:vmlinux:vfs_write+4 { @o = count(); }', 'kprobe/vfs_write+4'],
  ['kretprobe:vfs_read { @r = sum(retval); }', 'kretprobe/vfs_read'],
  ['fentry:vfs_read { @c = sum(args->count); }', 'fentry/vfs_read'],
  ['fexit:vfs_read { @x = hist(retval); }', 'fexit/vfs_read'],
  ['hardware:cache-misses:1000 { @h = count(); }', 'perf_event'],
];

describe('probe types this kernel lacks', () => {
  it('--dry-run --emit-elf writes every program', async () => {
    const elf = path.join(tempDir(), 'missing.o');
    const r = await runTracer('tstrace', ['--dry-run', '--no-cache', '--emit-elf', elf, '-e', PROGRAMS.map(([p]) => p).join(' ')], { notify: false });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    ElfFile.with(elf, (f) => {
      for (const [, section] of PROGRAMS) {
        // Each program is non-empty BPF code (8-byte instructions) with an exit instruction.
        const code = f.section(section)?.data;
        expect(code?.length, section).toBeGreaterThan(0);
        expect(code!.length % 8, section).toBe(0);
        const opcodes = Array.from({ length: code!.length / 8 }, (_, i) => code![i * 8]);
        expect(opcodes, section).toContain(0x95);
      }
    });
  });

  it.skipIf(hasKprobes)('kprobe:MODULE:FUNC+OFF names the missing kprobes and the alternative', async () => {
    const r = await runTracer('tstrace', ['-e', 'kprobe:vmlinux:vfs_write+4 { @o = count(); }'], { notify: false });
    expect(r.code).toBe(255);
    expect(r.stderr).toBe(
      'ERROR: kprobe:vmlinux:vfs_write+4: kprobes are not available in this kernel (no kprobe PMU in /sys/bus/event_source/devices); ' +
        'use tracepoint:syscalls:sys_enter_write instead\n',
    );
  });

  it.skipIf(hasKprobes)('a function that is no system call gets the general hint', async () => {
    const r = await runTracer('tstrace', ['-e', 'kprobe:tcp_sendmsg { @o = count(); }'], { notify: false });
    expect(r.code).toBe(255);
    expect(r.stderr).toBe(
      'ERROR: kprobe:tcp_sendmsg: kprobes are not available in this kernel (no kprobe PMU in /sys/bus/event_source/devices); ' +
        'use a tracepoint such as tracepoint:syscalls:sys_enter_* instead\n',
    );
  });

  it('fexit: the alternative is what this kernel has', async () => {
    // exit() in BEGIN: the program is loaded (the trial), nothing waits for events.
    const r = await runTracer('tstrace', ['-e', 'fexit:vfs_read { @x = hist(retval); } BEGIN { exit(); }'], { notify: false });
    if (r.code === 0) {
      // Trampolines work on this kernel: it loaded and ran, with nothing to explain.
      expect(r.stderr).toBe('');
      return;
    }
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'ERROR: fexit:vfs_read: BPF trampolines are not permitted on this kernel (loading returned EPERM); use ' +
        (hasKprobes ? 'kretprobe:vfs_read' : 'tracepoint:syscalls:sys_exit_read (kprobes are not available either)') + ' instead\n',
    );
  });
});
