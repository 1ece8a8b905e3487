// Every tool Debian's bpftrace package ships (/usr/sbin/*.bt) parses,
// type-checks and compiles to a BPF object with --dry-run, including the
// kprobe-based ones (kernel types come from BTF; kprobes are missing on this
// kernel, so nothing is loaded). The object is checked with readelf and
// llvm-objdump: one program section per probe type used, and the scripts that
// dereference kernel or user pointers really call bpf_probe_read_kernel/_user.
//
// runqlen.bt is the exception bpftrace 0.17 shares: this kernel's struct
// cfs_rq has no nr_running (renamed nr_queued in 6.x), and the script's own
// definition is inside #ifndef BPFTRACE_HAVE_BTF. Both tools report it.
import { afterAll, vi, describe, expect, it } from 'vitest';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { removeTempDir, runTracer, stripMemlockWarning, tempDir } from './helpers/run';

const TOOLS_DIR = '/usr/sbin';
const tools = fs.readdirSync(TOOLS_DIR).filter((f) => f.endsWith('.bt')).sort();

const HELPER_PROBE_READ_USER = 112;
const HELPER_PROBE_READ_KERNEL = 113;

/** The section-name prefix of each probe type's programs (perf events share one). */
const SECTION: Record<string, string> = {
  kprobe: 'kprobe/', kretprobe: 'kretprobe/', uprobe: 'uprobe', uretprobe: 'uretprobe', tracepoint: 'tracepoint/',
  profile: 'perf_event', interval: 'perf_event', software: 'perf_event', BEGIN: 'raw_tp/BEGIN', END: 'raw_tp/END',
};

function sectionPrefixes(source: string): string[] {
  const prefixes = new Set<string>();
  for (const line of source.split('\n')) {
    const m = /^(kprobe|kretprobe|uprobe|uretprobe|tracepoint|profile|interval|software|BEGIN|END)\b/.exec(line.trim());
    if (m) prefixes.add(SECTION[m[1]]);
  }
  return [...prefixes];
}


// Other test runs share this machine's 2 cores: bpftrace 0.17 alone can take
// tens of seconds to start under load, so runs get more time than the default.
vi.setConfig({ testTimeout: 180_000 });
const runPatiently: typeof runTracer = (bin, args, opts = {}) => runTracer(bin, args, { timeoutMs: 80_000, ...opts });

afterAll(() => removeTempDir());

describe('/usr/sbin/*.bt --dry-run', () => {
  it('finds the 38 tools of bpftrace 0.17', () => {
    expect(tools.length).toBe(38);
  });

  for (const tool of tools.filter((t) => t !== 'runqlen.bt')) {
    it(tool, async () => {
      const file = path.join(TOOLS_DIR, tool);
      const elf = path.join(tempDir(), `${tool}.o`);
      const r = await runPatiently('tstrace', ['--dry-run', '--no-cache', '--emit-elf', elf, file], { notify: false });
      expect(r.stderr).not.toMatch(/ERROR/);
      expect(r.code).toBe(0);
      const sections = execFileSync('readelf', ['-S', '-W', elf], { encoding: 'utf8' });
      const source = fs.readFileSync(file, 'utf8');
      const programs = [...sections.matchAll(/\]\s+(\S+)\s+PROGBITS\s+\S+\s+\S+\s+([0-9a-f]+)\s+\S+\s+AX/g)]
        .filter(([, name, size]) => name !== '.text' && parseInt(size, 16) > 0).map(([, name]) => name);
      expect(programs.length).toBeGreaterThan(0);
      for (const p of sectionPrefixes(source)) {
        expect(programs.some((s) => s.startsWith(p)), `${p} program in ${programs.join(' ')}`).toBe(true);
      }
      // Struct pointer casts and pointer chains read memory (tracepoint args-> alone are context loads).
      if (/\(struct \w+ \*\)|->\w+->/.test(source.replace(/\/\/.*|\/\*[\s\S]*?\*\//g, ''))) {
        const asm = execFileSync('llvm-objdump-14', ['-d', elf], { encoding: 'utf8', maxBuffer: 64 << 20 });
        const reads = new RegExp(`call (${HELPER_PROBE_READ_KERNEL}|${HELPER_PROBE_READ_USER})$`, 'm');
        expect(asm).toMatch(reads);
      }
    });
  }

  it('runqlen.bt: struct cfs_rq has no nr_running on this kernel, as bpftrace 0.17 reports', async () => {
    const file = path.join(TOOLS_DIR, 'runqlen.bt');
    const ours = await runPatiently('tstrace', ['--dry-run', '--no-cache', file], { notify: false });
    expect(ours.code).toBe(1);
    const expected = `${file}:37:9-26: ERROR: Struct/union of type 'struct cfs_rq' does not contain a field named 'nr_running'\n` +
      '    $len = $my_q->nr_running;\n' +
      '           ~~~~~~~~~~~~~~~~~\n';
    expect(ours.stderr).toBe(expected);
    const theirs = await runPatiently('bpftrace', [file], { notify: false });
    expect(theirs.code).toBe(1);
    expect(stripMemlockWarning(theirs.stderr)).toBe(expected);
  });
});
