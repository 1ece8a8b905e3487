// `-d` / `--explain`: every compiler stage, each line linked to the source
// range it came from; --dry-run and --explain without privileges.
import { describe, it, expect } from 'vitest';
import { spawnSync, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { explain } from '../src/explain';
import { disassemble } from '../src/explain/disasm';

const TSTRACE = path.join(__dirname, '../bin/tstrace');

function tstrace(args: string[], opts: { asUser?: boolean } = {}) {
  const argv = [process.execPath, TSTRACE, ...args];
  // setpriv drops to nobody: what a learner without root gets.
  const [file, ...rest] = opts.asUser ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv;
  const r = spawnSync(file, rest, { encoding: 'utf8', timeout: 60_000, cwd: os.tmpdir(), env: { ...process.env, TSTRACE_NO_CACHE: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SCRIPT = 'tracepoint:syscalls:sys_enter_openat /pid > 1/ {\n  @opens[comm] = count();\n  @last[comm] = nsecs;\n  printf("%d\\n", @last[comm] + 1);\n}\ninterval:s:1 { exit(); }\n';

/** The lines of one `--- title (name) ---` section of the CLI output. */
function section(out: string, name: string): string[] {
  const m = new RegExp(`--- [^\\n]* \\(${name}\\) ---\\n([\\s\\S]*?)(?:\\n--- |$)`).exec(out);
  expect(m, `stage ${name} in:\n${out}`).not.toBeNull();
  return m![1].split('\n');
}

describe('--explain', () => {
  const file = path.join(os.tmpdir(), `tstrace-explain-${process.pid}.bt`);
  fs.writeFileSync(file, SCRIPT);
  const r = tstrace(['--explain', file]);

  it('prints every stage and runs nothing', () => {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('Attaching');
    for (const s of ['tokens', 'ast', 'types', 'ir', 'ir-opt', 'asm', 'maps', 'attach']) section(r.stdout, s);
    expect(r.stdout).not.toContain('(verifier)');
  });

  it('tokens and AST carry source ranges; the typed AST has types', () => {
    expect(section(r.stdout, 'tokens')).toContain('2:3-9      MapName          "@opens"');
    expect(section(r.stdout, 'ast')).toContain('    body: Block  [1:48-5:2]');
    expect(section(r.stdout, 'types')).toContain('        target: Map "@opens" : count  [2:3-15]');
    expect(section(r.stdout, 'types')).toContain('          keys[0]: Identifier "comm" : string[16]  [2:10-14]');
  });

  it('LLVM IR is annotated with the source range each instruction came from', () => {
    const ir = section(r.stdout, 'ir');
    const lookup = ir.findIndex((l) => l.includes('call i8* inttoptr (i64 1 to'));
    const comment = ir.slice(0, lookup).reverse().find((l) => l.startsWith('; '));
    expect(comment).toBe('; 2:3-25 | @opens[comm] = count()');
    expect(ir.join('\n')).not.toMatch(/!dbg|^!/m);
  });

  it('BPF instructions are interleaved with the source they came from', () => {
    const asm = section(r.stdout, 'asm');
    expect(asm[0]).toMatch((/^probe_0: tracepoint:syscalls:sys_enter_openat {2}\(section tracepoint\/syscalls\/sys_enter_openat, \d+ instructions\)$/));
    const comm = asm.findIndex((l) => l.endsWith('call bpf_get_current_comm#16'));
    expect(asm.slice(0, comm).reverse().find((l) => l.startsWith('; '))).toBe('; 2:10-14 | comm');
    const pred = asm.findIndex((l) => l.endsWith('call bpf_get_current_pid_tgid#14'));
    expect(asm.slice(0, pred).reverse().find((l) => l.startsWith('; '))).toBe('; 1:39-42 | pid');
    expect(asm).toContain('; 4:18-29 | @last[comm]');
    expect(asm).toContain('; 4:3-34 | printf("%d\\n", @last[comm] + 1)');
    expect(asm.filter((l) => /map\[idx:0\] ; @opens ll$/.test(l)).length).toBeGreaterThanOrEqual(2);
  });

  it('maps: BPF map type, sizes and why', () => {
    const maps = section(r.stdout, 'maps');
    expect(maps.slice(0, 3)).toEqual([
      'fd_array[0] @opens  BPF_MAP_TYPE_PERCPU_HASH',
      '    key 16 bytes (string[16]), value 8 bytes (count), max_entries 4096',
      '    per-CPU: each CPU updates its own copy without locks; user space adds them up when printing',
    ]);
    expect(maps).toContain('fd_array[1] @last  BPF_MAP_TYPE_HASH');
    expect(maps).toContain('fd_array[2] ringbuf  BPF_MAP_TYPE_RINGBUF');
  });

  it('attach plan: the tracepoint id tracefs gives, the interval timer', () => {
    const id = fs.readFileSync('/sys/kernel/tracing/events/syscalls/sys_enter_openat/id', 'utf8').trim();
    const attach = section(r.stdout, 'attach');
    expect(attach[0]).toBe('tracepoint:syscalls:sys_enter_openat  (probe_0, BPF_PROG_TYPE_TRACEPOINT)');
    expect(attach[1]).toContain(`perf_event_open(type=PERF_TYPE_TRACEPOINT, config=${id} from /sys/kernel/tracing/events/syscalls/sys_enter_openat/id, cpu 0)`);
    expect(attach[3]).toBe('interval:s:1  (probe_1, BPF_PROG_TYPE_PERF_EVENT)');
    expect(attach[4]).toContain('sample_period=1000000000ns');
  });
});

describe('-d (bpftrace compatible)', () => {
  it('bare -d (0.17) prints every stage and is a dry run, also before a file name', () => {
    const file = path.join(os.tmpdir(), `tstrace-d-${process.pid}.bt`);
    fs.writeFileSync(file, 'BEGIN { printf("hi\\n"); exit(); }\n');
    for (const args of [['-d', '-e', 'BEGIN { printf("hi\\n"); exit(); }'], ['-d', file], ['-dd', file]]) {
      const r = tstrace(args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('--- BPF instructions (asm) ---');
      expect(r.stdout).not.toContain('hi\n');
    }
  });

  it('-d STAGE (current bpftrace) prints that stage, then runs', () => {
    const r = tstrace(['-d', 'dis', '-e', 'BEGIN { printf("hi\\n"); exit(); }']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^--- BPF instructions \(asm\) ---\nprobe_0: BEGIN/);
    expect(r.stdout).not.toContain('--- Tokens');
    expect(r.stdout).toMatch(/\nAttaching 1 probe\.\.\.\nhi\n/);
  });

  it('an unknown stage is a usage error', () => {
    const r = tstrace(['--explain=bogus', '-e', 'BEGIN {}']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ERROR: unknown --explain stage 'bogus'; stages: tokens, ast, types, ir, ir-opt, asm, maps, attach, verifier, all/);
  });

  it('a script error is reported as usual, after the stages that worked', () => {
    const r = tstrace(['--explain=tokens', '-e', 'BEGIN { @x = $y + 1; }']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('1:14-16    Variable         "$y"');
    expect(r.stderr).toMatch(/^stdin:1:14-16: ERROR: /);
  });
});

describe('without privileges (setpriv to nobody)', () => {
  it('--dry-run compiles everything and --emit-elf writes the object', () => {
    const out = path.join(os.tmpdir(), `tstrace-nobody-${process.pid}.o`);
    fs.rmSync(out, { force: true });
    fs.writeFileSync(out, '');
    fs.chmodSync(out, 0o666);
    const r = tstrace(['--dry-run', '--emit-elf', out, '-e', 'BEGIN { @x = hist(5); printf("%d\\n", 1); } profile:hz:99 { @s[kstack] = count(); } interval:s:1 { exit(); }'], { asUser: true });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fs.readFileSync(out).subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    fs.rmSync(out);
  });

  it('--explain works too; the attach plan names the file offset the uprobe PMU gets', () => {
    const r = tstrace(['--explain=asm,attach', '-e', 'uprobe:/bin/bash:readline { @[comm] = count(); }'], { asUser: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('probe_0: uprobe:/bin/bash:readline');
    const nm = execFileSync('nm', ['-D', '/bin/bash'], { encoding: 'utf8' }).split('\n').find((l) => / T readline$/.test(l))!;
    const address = parseInt(nm.split(' ')[0], 16);
    expect(section(r.stdout, 'attach')[1]).toMatch(new RegExp(`config2=0x[0-9a-f]+ \\(file offset of readline, which the symbol table puts at 0x${address.toString(16)}\\), pid -1\\)$`));
  });

  it('tracepoints need tracefs, which is root-only here: one clear line', () => {
    const r = tstrace(['--dry-run', '-e', 'tracepoint:syscalls:sys_enter_openat { @ = count(); }'], { asUser: true });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe('stdin:1:1-37: ERROR: cannot read tracefs at /sys/kernel/tracing: permission denied (it is readable by root only); tracepoint probes need root, even with --dry-run');
  });
});

describe('explain() API (used by the explorer)', () => {
  it('every BPF instruction has a source range, except code LLVM marks as line 0 (compiler-made)', () => {
    const x = explain('BEGIN { $a = 1; if ($a > 0) { printf("%d\\n", $a * 2); } }');
    expect(x.diagnostics).toEqual([]);
    const asm = x.stages.find((s) => s.name === 'asm')!;
    const insns = asm.lines.filter((l) => /^ *\d+: /.test(l.text));
    expect(insns.length).toBeGreaterThan(5);
    const records = x.plan!.programs[0].lines!;
    const lineOf = (i: number) => [...records].reverse().find((r) => r[0] <= i)?.[1] ?? 0;
    for (const l of insns) {
      const index = Number(/^ *(\d+):/.exec(l.text)![1]);
      expect(l.loc !== undefined, l.text).toBe(lineOf(index) !== 0);
    }
    expect(insns.filter((l) => l.loc).length).toBeGreaterThanOrEqual(insns.length - 2);
  });

  it('the disassembler decodes the kernel syntax', () => {
    const insn = (op: number, regs: number, off: number, imm: number) => {
      const b = Buffer.alloc(8);
      b.writeUInt8(op, 0); b.writeUInt8(regs, 1); b.writeInt16LE(off, 2); b.writeInt32LE(imm, 4);
      return b;
    };
    const code = Buffer.concat([
      insn(0xbf, 0x16, 0, 0), insn(0x79, 0xa1, -8, 0), insn(0x15, 0x00, 4, 0), insn(0x85, 0, 0, 1),
      insn(0x07, 0x01, 0, -32), insn(0xb4, 0x01, 0, 1), insn(0xdb, 0x21, 0, 0), insn(0x95, 0, 0, 0),
    ]);
    expect(disassemble(code).map((i) => i.text)).toEqual([
      'r6 = r1', 'r1 = *(u64 *)(r10 -8)', 'if r0 == 0x0 goto pc+4', 'call bpf_map_lookup_elem#1',
      'r1 += -0x20', 'w1 = 0x1', 'lock *(u64 *)(r1 +0) += r2', 'exit',
    ]);
  });
});

describe('attach plan of a USDT probe', () => {
  it('names the probe address and argument specs from the ELF note', () => {
    execFileSync('sh', [path.join(__dirname, '../examples/programs/build.sh')], { stdio: 'ignore' });
    const notes = execFileSync('readelf', ['-n', '/tmp/tstrace-examples/greeter'], { encoding: 'utf8' });
    const pc = /Name: greeted\n\s+Location: 0x0*([0-9a-f]+)/.exec(notes)![1];
    const args = /Arguments: (.*)/.exec(notes)![1];
    const r = tstrace(['--explain=attach', path.join(__dirname, '../examples/10-usdt.bt')]);
    expect(r.code, r.stderr).toBe(0);
    const attach = section(r.stdout, 'attach');
    expect(attach[1]).toBe(`    how: perf_event_open(type=uprobe PMU, config1=/tmp/tstrace-examples/greeter, config2=file offset of the probe at 0x${pc} from its ELF note, pid -1)`);
    expect(attach[2]).toContain(`the note also says where each argument lives (${args})`);
  });
});

describe('--explain=verifier (root: loads, attaches nothing)', () => {
  it('shows the verifier walking the program, annotated with the source', () => {
    const r = tstrace(['--explain=verifier', '-e', 'tracepoint:syscalls:sys_enter_openat /pid > 1/ { @[comm] = count(); }']);
    expect(r.code, r.stderr).toBe(0);
    const v = section(r.stdout, 'verifier');
    expect(v[0]).toBe('probe_0: tracepoint:syscalls:sys_enter_openat');
    const call = v.findIndex((l) => /^\d+: \(85\) call bpf_get_current_comm#16/.test(l));
    expect(call, v.join('\n')).toBeGreaterThan(0);
    expect(v.slice(0, call).reverse().find((l) => l.startsWith('; '))).toBe('; 1:52 | comm');
    expect(v.some((l) => /^processed \d+ insns/.test(l))).toBe(true);
  });

  it('a rejection is a located, explained error', () => {
    const r = tstrace(['--explain=verifier', '-e', 'BEGIN { $i = 0; while (1) { $i++; } }']);
    expect(r.code).toBe(1);
    expect(section(r.stdout, 'verifier')).toContain('infinite loop detected at insn 0');
    expect(r.stderr).toMatch(/^stdin:1:17-36: ERROR: the kernel's verifier rejected this program: infinite loop detected at insn 0 \(BPF instruction 0: goto pc-1\)\. In plain words: /);
  });
});

/**
 * Writes `script`'s --emit-elf object, loads it with `bpftool prog loadall`
 * into a private bpffs and hands the pin directory to `check`; everything is
 * unpinned, unmounted and removed afterwards.
 */
function withLoadedElf(script: string, check: (progsDir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tstrace-elf-'));
  const obj = path.join(dir, 'out.o');
  const r = tstrace(['--dry-run', '--emit-elf', obj, '-e', script]);
  expect(r.code, r.stderr).toBe(0);
  // bpftool pins what it loads: a private bpffs, removed again below.
  const bpffs = path.join(dir, 'bpffs');
  fs.mkdirSync(bpffs);
  execFileSync('mount', ['-t', 'bpf', 'bpf', bpffs]);
  try {
    execFileSync('bpftool', ['prog', 'loadall', obj, path.join(bpffs, 'progs')], { stdio: 'pipe' });
    check(path.join(bpffs, 'progs'));
  } finally {
    fs.rmSync(path.join(bpffs, 'progs'), { recursive: true, force: true });
    execFileSync('umount', [bpffs]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('--emit-elf', () => {
  it('a for-map loop body (a static callback subprogram) loads too', () =>
    withLoadedElf('BEGIN { @m[1] = 2; for ($kv : @m) { printf("%d %d\\n", $kv.0, $kv.1); } exit(); }', (progs) => {
      expect(fs.readdirSync(progs)).toEqual(['probe_0']);
    }));

  it('writes an object libbpf loads: bpftool prog loadall loads every program', () => {
    const script = 'BEGIN { printf("hi\\n"); } tracepoint:syscalls:sys_enter_openat { @[comm] = count(); @h = hist(pid); }\n' +
      'tracepoint:syscalls:sys_enter_openat { @n = sum(1); } profile:hz:99 { @s[kstack] = count(); } interval:s:1 { exit(); }';
    withLoadedElf(script, (progs) => {
      expect(fs.readdirSync(progs).sort()).toEqual(['probe_0', 'probe_1', 'probe_2', 'probe_3', 'probe_4']);
      const shown = execFileSync('bpftool', ['prog', 'show', 'pinned', path.join(progs, 'probe_1')], { encoding: 'utf8' });
      expect(shown).toMatch(/tracepoint {2}name probe_1 /);
      expect(shown).toMatch(/map_ids \d+,\d+/);
    });
  });
});
