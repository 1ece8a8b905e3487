// Every script in examples/ compiles, loads into the kernel, runs to its own
// exit() and prints what a user would expect from it.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..');
const examples = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.bt')).sort();

/** What each example must print, beyond a clean exit. */
const expected: Record<string, RegExp> = {
  'hello.bt': /^Attaching 1 probe\.\.\.\nHello from BPF! 2 \+ 3 = 5\n\n\n$/,
  'opens_by_process.bt': /^Attaching 2 probes\.\.\.\n\n\n(@opens\[.+\]: \d+\n)*/,
  'read_sizes.bt': /@average\[.+\]: \d+\n[\s\S]*@bytes\[.+\]: \d+\n[\s\S]*@largest\[.+\]: \d+\n[\s\S]*@smallest\[.+\]: \d+\n/,
  'syscall_rate.bt': /second 1: \d+ syscalls\nsecond 2: \d+ syscalls\nsecond 3: \d+ syscalls\n\n\n@n: \d+\n@seconds: 3\n$/,
};

describe('examples/', () => {
  it('has at least three examples, each starting with a comment saying what it teaches', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const f of examples) {
      const first = fs.readFileSync(path.join(root, 'examples', f), 'utf8').split('\n')[0];
      expect(first).toMatch(new RegExp(`^// ${f.replace('.', '\\.')}: .+`));
    }
  });

  for (const f of examples) {
    it(`${f} runs and exits by itself`, () => {
      const r = spawnSync(process.execPath, [path.join(root, 'bin/tstrace'), path.join(root, 'examples', f)], { encoding: 'utf8', timeout: 30_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(expected[f], `add an expectation for ${f}`).toBeDefined();
      expect(r.stdout).toMatch(expected[f]);
    });
  }
});
