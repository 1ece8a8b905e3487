// Drives one fuzz input through every phase that does not touch the kernel:
// lexer, parser, type checker, LLVM IR generation, and BPF object emission
// in the native addon. Classifies the result: compiled, rejected with located
// diagnostics, or a finding (an uncaught exception, or a rejection that is
// not located as `file:line:col`).
import * as fs from 'fs';
import * as path from 'path';
import { compileSource } from '../compiler';
import { CompileError, formatDiagnostic } from '../diagnostics';

export const FUZZ_FILE = 'fuzz.bt';

export type Outcome =
  | { kind: 'ok' }
  | { kind: 'rejected'; message: string }
  | { kind: 'finding'; signature: string; detail: string };

const LOCATED = new RegExp(`^${FUZZ_FILE.replace('.', '\\.')}:\\d+(:\\d+-\\d+|-\\d+): (ERROR|WARNING): \\S`);

/** Stable identity of an exception, for de-duplicating findings: its class, message shape and throwing frame. */
function signatureOf(e: unknown): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const frame = (err.stack ?? '').split('\n').find((l) => /^\s+at /.test(l))?.trim() ?? '';
  const shape = err.message.split('\n')[0].replace(/'[^']*'|"[^"]*"|\d+/g, '_').slice(0, 120);
  return `${err.name}: ${shape} @ ${frame.replace(/:\d+:\d+\)?$/, '')}`;
}

export function compileForFuzz(source: string, params: string[] = []): Outcome {
  try {
    compileSource(source, { file: FUZZ_FILE, params, cache: false });
    return { kind: 'ok' };
  } catch (e) {
    if (!(e instanceof CompileError)) {
      const err = e as Error;
      return { kind: 'finding', signature: signatureOf(e), detail: `uncaught ${err?.name}: ${err?.message}\n${err?.stack ?? ''}` };
    }
    if (e.diagnostics.length === 0) return { kind: 'finding', signature: 'CompileError without diagnostics', detail: '' };
    let text = '';
    for (const d of e.diagnostics) {
      const formatted = formatDiagnostic(d, source);
      if (!LOCATED.test(formatted) || !d.message.trim()) {
        return { kind: 'finding', signature: `unlocated diagnostic: ${d.message.replace(/'[^']*'|\d+/g, '_').slice(0, 120)}`, detail: formatted };
      }
      text += formatted;
    }
    return { kind: 'rejected', message: text };
  }
}

/** Real scripts to mutate: examples/, the bad-input corpus, and bpftrace's tools in /usr/sbin. */
export function loadSeedScripts(repoRoot: string): string[] {
  const seeds: string[] = [];
  for (const dir of [path.join(repoRoot, 'examples'), '/usr/sbin']) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir).filter((f) => f.endsWith('.bt')).sort();
    } catch {
      continue; // a missing directory only shrinks the seed set
    }
    for (const f of names) seeds.push(fs.readFileSync(path.join(dir, f), 'utf8'));
  }
  const corpus = path.join(repoRoot, 'test/bad-input/cases.txt');
  if (fs.existsSync(corpus)) {
    for (const block of fs.readFileSync(corpus, 'utf8').split(/^=== /m).slice(1)) {
      const src = /^--- script\n([\s\S]*?)\n--- /m.exec(block)?.[1];
      if (src) seeds.push(src);
    }
  }
  return seeds;
}
