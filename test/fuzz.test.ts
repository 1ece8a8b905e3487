// Mutation fuzzing of the front end (lexer, parser, type checker, and codegen
// for inputs that type-check): whatever the input, tstrace answers with
// located diagnostics, never an uncaught exception. Deterministic seed; a
// small budget here, more with TSTRACE_FUZZ_N=100000.
import { describe, it, expect } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from '../src/parser';
import { check } from '../src/checker';
import { generateIR } from '../src/codegen';
import { CompileError } from '../src/diagnostics';

const corpus: string[] = [];
for (const dir of [path.join(__dirname, '../examples'), '/usr/sbin', path.join(__dirname, '../../shared/bench/programs')]) {
  try {
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.bt')) corpus.push(fs.readFileSync(path.join(dir, f), 'utf8'));
  } catch {
    // A missing directory just shrinks the corpus.
  }
}
corpus.push(
  'BEGIN { $x = 1 + 2 * 3; @a[$x, "s"] = count(); printf("%d %s\\n", $x, comm); exit(); }',
  'tracepoint:syscalls:sys_enter_openat /pid > 1/ < @[comm] = count(); @s = sum(args->flags); >',
  'interval:ms:100 { @h = hist(nsecs); @l = lhist(cpu, 0, 8, 1); if (@x > 1) { print(@h); } else { clear(@l); } }',
);

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['{', '}', '(', ')', '[', ']', '<', '>', '/', '"', "'", ';', ',', '.', '->', '@', '$', '$1', '@x[1]', 'count()', 'hist(', 'printf("%d %s", ', '0x', '1e99', '99999999999999999999', '\\', '\\x', '\n', '\t', '/*', '//', '#include <x.h>\n', 'if', 'else', 'while', 'unroll(5)', 'exit()', 'args->', 'str(', '(uint8)', 'BEGIN', 'END', 'tracepoint:', 'kprobe:f', '*', '+', '-', '!', '~', '?', ':', '==', '&&', '||', '+=', '++', '--', '$x', '@', 'comm', 'pid', 'nsecs', 'retval', 'arg0', '🙂', '\u0000'];

function mutate(src: string, r: () => number): string {
  let s = src;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (s.length + 1));
    const op = r();
    if (op < 0.35) s = s.slice(0, at) + PIECES[Math.floor(r() * PIECES.length)] + s.slice(at);
    else if (op < 0.6) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 8));
    else if (op < 0.8) {
      const from = Math.floor(r() * s.length);
      s = s.slice(0, at) + s.slice(from, from + Math.floor(r() * 20)) + s.slice(at);
    } else s = s.slice(0, at) + String.fromCharCode(32 + Math.floor(r() * 95)) + s.slice(at + 1);
  }
  return s;
}

/** Runs one input through every phase that doesn't touch the kernel. */
export function compileForFuzz(src: string): 'ok' | 'rejected' {
  try {
    const checked = check(parse(src));
    generateIR(checked);
    return 'ok';
  } catch (e) {
    if (e instanceof CompileError) {
      for (const d of e.diagnostics) {
        if (!d.message) throw new Error(`empty diagnostic for input:\n${src}`);
      }
      return 'rejected';
    }
    throw new Error(`uncaught ${(e as Error).name}: ${(e as Error).message}\n--- input ---\n${src}\n--- stack ---\n${(e as Error).stack}`);
  }
}

describe('front-end fuzzing', () => {
  it(`${corpus.length} seed scripts and their mutations never raise an uncaught exception`, () => {
    const r = rng(0x75727363);
    const n = Number(process.env.TSTRACE_FUZZ_N) || 1500;
    const outcomes = { ok: 0, rejected: 0 };
    for (let i = 0; i < n; i++) {
      const input = mutate(corpus[i % corpus.length], r);
      outcomes[compileForFuzz(input)]++;
    }
    expect(outcomes.ok + outcomes.rejected).toBe(n);
    expect(outcomes.rejected).toBeGreaterThan(0);
  });
});
