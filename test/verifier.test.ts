// Verifier and LLVM rejections are explained at the script expression they
// came from. Each case is a real rejection by the running kernel's verifier
// (or by LLVM's BPF backend for the stack limit, which stops the program
// before the verifier ever sees it).
//
// tstrace never generates code without null checks or probe reads, so two
// cases use the test-only codegen switch TSTRACE_TEST_BAD_CODEGEN
// (src/codegen/irgen.ts BadCodegen) to produce that bad code on purpose.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { native, LoadProgramError } from '../src/runtime/native';
import { explainVerifierLog } from '../src/explain/verifier';
import type { CompiledPlan, ProgramPlan } from '../src/codegen/plan';

const TSTRACE = path.join(__dirname, '../bin/tstrace');

function tstrace(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [TSTRACE, '--no-cache', ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The source text under the `~~~` marker of a diagnostic. */
function underlined(stderr: string): string {
  const lines = stderr.split('\n');
  const i = lines.findIndex((l) => /^ *~+$/.test(l));
  expect(i, stderr).toBeGreaterThan(0);
  const start = lines[i].indexOf('~');
  return lines[i - 1].slice(start, lines[i].length);
}

const OPENAT = 'tracepoint:syscalls:sys_enter_openat';

describe('verifier rejections name the instruction, the expression and the reason', () => {
  it('map value used without a null check (test-only codegen switch)', () => {
    const r = tstrace(['-e', `${OPENAT} { @s[pid] = 5; $x = @s[pid] + 1; printf("%d\\n", $x); }`], { TSTRACE_TEST_BAD_CODEGEN: 'no-null-check' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^stdin:1:\d+-\d+: ERROR: the kernel's verifier rejected the BPF program of probe tracepoint:syscalls:sys_enter_openat: R0 invalid mem access 'map_value_or_null'\n/);
    expect(underlined(r.stderr)).toBe('@s[pid]');
    expect(r.stderr).toMatch(/\nthe verifier stopped at BPF instruction \d+: r\d = \*\(u64 \*\)\(r0 \+0\)\n/);
    expect(r.stderr).toContain('in plain words: a map value is used without checking that the lookup found it');
    expect(r.stderr).toMatch(/\(run with -v for the verifier log\)\n$/);
  });

  it('memory read through a pointer without a probe read (test-only codegen switch)', () => {
    const r = tstrace(['-e', `${OPENAT} { printf("%s\\n", str(args->filename)); }`], { TSTRACE_TEST_BAD_CODEGEN: 'no-probe-read' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ERROR: the kernel's verifier rejected the BPF program of probe tracepoint:syscalls:sys_enter_openat: R\d invalid mem access 'scalar'\n/);
    expect(underlined(r.stderr)).toBe('str(args->filename)');
    expect(r.stderr).toMatch(/the verifier stopped at BPF instruction \d+: r\d = \*\(u64 \*\)\(r\d \+0\)\n/);
    expect(r.stderr).toContain('in plain words: this reads memory through a plain number');
  });

  it('a loop the verifier cannot prove ends', () => {
    const r = tstrace(['-e', 'BEGIN { $i = 0; while (1) { $i++; } }']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^stdin:1:17-36: ERROR: the kernel's verifier rejected the BPF program of probe BEGIN: infinite loop detected at insn \d+\n/);
    expect(underlined(r.stderr)).toBe('while (1) { $i++; }');
    expect(r.stderr).toMatch(/the verifier stopped at BPF instruction \d+: goto pc-1\n/);
    expect(r.stderr).toContain('in plain words: the verifier found a loop it cannot prove ends');
  });

  it('a bounded loop that runs past the verifier\'s instruction budget', () => {
    const r = tstrace(['-e', 'BEGIN { $i = 0; while ($i < 2000000) { $i++; @c[$i] = 1; } exit(); }']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ERROR: the kernel's verifier rejected the BPF program of probe BEGIN: (BPF program is too large\. Processed 1000001 insn|The sequence of \d+ jumps is too complex\.)\n/);
    expect(r.stderr).toMatch(/the verifier stopped at BPF instruction \d+: /);
    expect(r.stderr).toContain('in plain words: the verifier walks every path through the program');
  });

  it('a plan from the compile cache explains the same way (line info is part of the plan)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tstrace-vcache-'));
    const once = () => spawnSync(process.execPath, [TSTRACE, '-e', 'BEGIN { $i = 0; while (1) { $i++; } }'],
      { encoding: 'utf8', env: { ...process.env, TSTRACE_CACHE_DIR: dir, TSTRACE_TIMING: '1' } });
    const first = once();
    const second = once();
    expect(second.stderr).not.toMatch(/timing: llvm ir/); // served from the cache
    const message = (r: { stderr: string }) => r.stderr.split('\n').filter((l) => !l.startsWith('timing:')).join('\n');
    expect(message(second)).toBe(message(first));
    expect(message(second)).toContain('the verifier stopped at BPF instruction 0: goto pc-1');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('-v adds the raw verifier log', () => {
    const r = tstrace(['-v', '-e', 'BEGIN { $i = 0; while (1) { $i++; } }']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\n0: \(05\) goto pc-1\n/);
    expect(r.stderr).toMatch(/\nprocessed \d+ insns/);
  });
});

describe('LLVM rejections name the expression', () => {
  it('stack over 512 bytes: LLVM stops at the expression that ran out of stack, even with --dry-run', () => {
    const s = 'str(args->filename)';
    // str() in keys and side-effect-free printf arguments are written in place (no stack); the @n++ makes
    // every argument a stack temporary first, and seven 64-byte strings plus the key exceed 512 bytes.
    const r = tstrace(['--dry-run', '-e', `${OPENAT} { @a[${s}, ${s}, comm] = count(); printf("%s %s %s %s %s %s %s %d\\n", ${s}, ${s}, ${s}, ${s}, ${s}, ${s}, ${s}, @n++); }`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^stdin:1:\d+-\d+: ERROR: LLVM: this probe needs more than the 512 bytes of stack BPF allows .*; it ran out here\n/);
    expect(underlined(r.stderr)).toBe(s);
  });
});

describe('the verifier\'s own stack limit', () => {
  // LLVM stops scripts that need more than 512 bytes before the verifier sees
  // them (tested above), so this real verifier rejection comes from two
  // hand-assembled instructions, loaded into the running kernel.
  it('a store below the 512-byte stack is explained in plain words', () => {
    const insns = Buffer.alloc(24);
    insns.writeUInt8(0x7b, 0); insns.writeUInt8(0x1a, 1); insns.writeInt16LE(-520, 2); // *(u64 *)(r10 -520) = r1
    insns.writeUInt8(0xb7, 8); // r0 = 0
    insns.writeUInt8(0x95, 16); // exit
    let log = '';
    try {
      const { fd } = native.loadProgram({ type: 17, name: 'stack_test', insns, fdArray: [], license: 'GPL', logLevel: 1 });
      native.closeFd(fd);
    } catch (e) {
      log = (e as LoadProgramError).log;
    }
    const program = { insns: insns.toString('base64'), loc: { file: 'stdin', line: 1, col: 1, endLine: 1, endCol: 2 } } as ProgramPlan;
    const why = explainVerifierLog(log, program, { maps: [] } as unknown as CompiledPlan);
    expect(why.reason).toMatch(/invalid (write to )?stack/);
    expect(why.insn).toBe(0);
    expect(why.insnText).toBe('*(u64 *)(r10 -520) = r1');
    expect(why.plain).toBe('a BPF program has 512 bytes of stack in total; this needs more (strings, tuples and map keys all live there)');
  });
});
