// Grammar-aware fuzzing of the front end and codegen (src/fuzz): scripts
// generated from the grammar and mutations of real scripts (examples/,
// /usr/sbin/*.bt, the bad-input corpus) go through lexer, parser, type
// checker, LLVM IR generation and BPF object emission; nothing is loaded.
// Whatever the input, the answer is a compiled object or diagnostics located
// as file:line:col — never an uncaught exception. A small deterministic
// budget here; `npm run fuzz -- --count N` runs long.
import { describe, it, expect } from 'vitest';
import * as path from 'path';
import { fuzzInput, fuzzOne, loadSeedScripts, newStats } from '../src/fuzz';
import { generateScript } from '../src/fuzz/generate';
import { Rng } from '../src/fuzz/rng';
import { compileForFuzz } from '../src/fuzz/drive';

const seeds = loadSeedScripts(path.join(__dirname, '..'));

describe('front-end fuzzing', () => {
  it(`generated and mutated inputs (from ${seeds.length} seed scripts) compile or are rejected with located diagnostics`, () => {
    const stats = newStats();
    const n = Number(process.env.TSTRACE_FUZZ_N) || 1500;
    for (let i = 0; i < n; i++) fuzzOne(fuzzInput(0x75727363, i, seeds), stats);
    const findings = [...stats.findings].map(([sig, f]) => `${sig}\n--- input ${f.first.index} ---\n${f.first.source}\n${f.detail}`);
    expect(findings).toEqual([]);
    expect(stats.ok + stats.rejected).toBe(n);
    // Both outcomes occur, so the fuzzer reaches codegen and the checker's rejections.
    expect(stats.ok).toBeGreaterThan(n / 20);
    expect(stats.rejected).toBeGreaterThan(n / 2);
  });

  it('is deterministic: the same seed and index give the same input', () => {
    expect(fuzzInput(7, 123, seeds)).toEqual(fuzzInput(7, 123, seeds));
    expect(generateScript(new Rng(5), true)).toBe(generateScript(new Rng(5), true));
  });

  it('a located rejection is classified as rejected, a valid script as compiled', () => {
    const rejected = compileForFuzz('BEGIN { @x = nosuchfunc(1); }');
    expect(rejected.kind).toBe('rejected');
    if (rejected.kind === 'rejected') expect(rejected.message).toMatch(/^fuzz\.bt:1:\d+-\d+: ERROR: /);
    expect(compileForFuzz('BEGIN { printf("%d\\n", 1); }').kind).toBe('ok');
  });
});
