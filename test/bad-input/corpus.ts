// The bad-input corpus file format (cases.txt), shared by the test runner and
// the expectation updater:
//
//   === <category>: <what is wrong>
//   --- script
//   <the program, passed with -e>
//   --- tstrace (exit N)
//   <tstrace's exact stderr>
//   --- bpftrace 0.17 (exit N)        only where 0.17 prints something else
//   <bpftrace 0.17's stderr, for reference>
//
// Cases in the `kernel:` category are run for real (they fail when
// attaching); all others are compile-only (--dry-run).
import * as fs from 'fs';

export interface Expectation {
  exitCode: number | null;
  stderr: string;
}

export interface BadInputCase {
  title: string;
  script: string;
  tstrace?: Expectation;
  bpftrace?: Expectation;
}

const SECTION = /^--- (script|tstrace|bpftrace 0\.17)(?: \(exit (-?\d+|null)\))?$/;

export function parseCorpus(text: string): BadInputCase[] {
  const cases: BadInputCase[] = [];
  for (const block of text.split(/^=== /m).slice(1)) {
    const lines = block.split('\n');
    const c: BadInputCase = { title: lines[0], script: '' };
    let section: string | undefined;
    let exitCode: number | null = null;
    let body: string[] = [];
    const flush = () => {
      if (section === undefined) return;
      // Each section ends with the newline before the next header; the text is what followed the header.
      const text = body.join('\n');
      if (section === 'script') c.script = text;
      else if (section === 'tstrace') c.tstrace = { exitCode, stderr: text === '' ? '' : text + '\n' };
      else c.bpftrace = { exitCode, stderr: text === '' ? '' : text + '\n' };
    };
    for (const line of lines.slice(1)) {
      const m = SECTION.exec(line);
      if (m) {
        flush();
        section = m[1] === 'bpftrace 0.17' ? 'bpftrace' : m[1];
        exitCode = m[2] === undefined || m[2] === 'null' ? null : Number(m[2]);
        body = [];
      } else body.push(line);
    }
    // The block's last line is empty (the newline before the next ===).
    if (body.length && body[body.length - 1] === '') body.pop();
    flush();
    cases.push(c);
  }
  return cases;
}

function section(name: string, e: Expectation): string {
  return `--- ${name} (exit ${e.exitCode})\n${e.stderr.replace(/\n$/, '')}\n`;
}

export function formatCorpus(header: string, cases: BadInputCase[]): string {
  let out = header;
  for (const c of cases) {
    out += `=== ${c.title}\n--- script\n${c.script}\n`;
    if (c.tstrace) out += section('tstrace', c.tstrace);
    if (c.bpftrace) out += section('bpftrace 0.17', c.bpftrace);
  }
  return out;
}

export function readCorpus(path: string): { header: string; cases: BadInputCase[] } {
  const text = fs.readFileSync(path, 'utf8');
  const at = text.search(/^=== /m);
  return { header: at < 0 ? text : text.slice(0, at), cases: parseCorpus(text) };
}

/** Runs for real (attach fails) rather than --dry-run. */
export function runsForReal(c: BadInputCase): boolean {
  return c.title.startsWith('kernel:');
}
