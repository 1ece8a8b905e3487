// The bad-input corpus (test/bad-input/cases.txt): every case is a program
// tstrace must reject with its exact message — file:line:col, the source
// line, the ~~~ marker — and exit code. Where bpftrace 0.17 prints something
// else, the case also holds 0.17's text, so every divergence is visible.
//
// Compile-only cases run in-process through the same compile + format path
// the CLI uses (a sample is cross-checked against the real CLI); `kernel:`
// cases run the CLI for real and fail while attaching.
//
// TSTRACE_CORPUS_UPDATE=1 rewrites the expectations from the current build and
// from /usr/bin/bpftrace (review the diff before committing).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { compileSource } from '../src/compiler';
import { CompileError, Diagnostic, formatDiagnostic } from '../src/diagnostics';
import { BadInputCase, Expectation, formatCorpus, parseCorpus, readCorpus, runsForReal } from './bad-input/corpus';
import { BPFTRACE_BIN, TSTRACE_BIN, stripMemlockWarning } from './helpers/run';

const CORPUS = path.join(__dirname, 'bad-input/cases.txt');
const { header, cases } = readCorpus(CORPUS);

function inProcess(script: string): Expectation {
  let diags: Diagnostic[];
  let exitCode = 0;
  try {
    diags = compileSource(script, { file: 'stdin', params: [], cache: false }).warnings;
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    diags = e.diagnostics;
    exitCode = 1;
  }
  return { exitCode, stderr: diags.map((d) => formatDiagnostic(d, script)).join('') };
}

function cli(bin: string, c: BadInputCase): Expectation {
  const dry = bin === TSTRACE_BIN ? ['--dry-run', '--no-cache'] : ['--emit-elf', '/dev/null'];
  const r = spawnSync('timeout', ['20', bin, ...(runsForReal(c) ? [] : dry), '-e', c.script], {
    encoding: 'utf8', env: { ...process.env, __BPFTRACE_NOTIFY_PROBES_ATTACHED: undefined, TSTRACE_NO_CACHE: '1' },
  });
  return { exitCode: r.status, stderr: bin === BPFTRACE_BIN ? stripMemlockWarning(r.stderr) : r.stderr };
}

function actual(c: BadInputCase): Expectation {
  return runsForReal(c) ? cli(TSTRACE_BIN, c) : inProcess(c.script);
}

if (process.env.TSTRACE_CORPUS_UPDATE) {
  it('rewrites test/bad-input/cases.txt', () => {
    for (const c of cases) {
      c.tstrace = actual(c);
      const bt = cli(BPFTRACE_BIN, c);
      c.bpftrace = bt.stderr === c.tstrace.stderr && bt.exitCode === c.tstrace.exitCode ? undefined : bt;
    }
    const text = formatCorpus(header, cases);
    expect(parseCorpus(text)).toEqual(cases);
    fs.writeFileSync(CORPUS, text);
  }, 600_000);
} else {
  describe('bad-input corpus', () => {
    it('has at least 150 cases, every one rejected with a located message', () => {
      expect(cases.length).toBeGreaterThanOrEqual(150);
      for (const c of cases) {
        expect(c.tstrace, c.title).toBeDefined();
        expect(c.tstrace!.exitCode, c.title).not.toBe(0);
        // file:line:col-col: ERROR (or file:line-line for a range over lines), or a one-line
        // ERROR: for what no source position explains (the kernel lacks a probe type).
        expect(c.tstrace!.stderr, c.title).toMatch(runsForReal(c) ? /^ERROR: \S.*\n$/ : /(^|\n)stdin:\d+(:\d+-\d+|-\d+): ERROR: \S/);
      }
    });

    for (const c of cases) {
      it(c.title, () => {
        expect(actual(c)).toEqual(c.tstrace);
      }, 60_000);
    }

    it('the CLI prints exactly what the in-process check expects (a sample of compile-only cases)', () => {
      const compileOnly = cases.filter((c) => !runsForReal(c));
      for (const c of compileOnly.filter((_, i) => i % 25 === 0)) expect(cli(TSTRACE_BIN, c), c.title).toEqual(c.tstrace);
    });
  });
}
