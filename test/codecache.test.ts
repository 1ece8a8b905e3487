// The V8 code caches of the CLI's two bundles (src/cli/codecache.ts, used by
// bin/tstrace; scripts/bundle.js): the main bundle's is written by a run that
// hit the compile cache, the compiler bundle's by a run that compiled (a hit
// never loads that bundle); each is used by later runs, ignored (and
// rewritten) when corrupt, never used from a directory other users can write
// to, and safe when several runs start at once. Every run's output is
// checked: the cache must never change what tstrace does.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const BIN = path.resolve(__dirname, '../bin/tstrace');
const SCRIPT = 'BEGIN { printf("code cache %d\\n", 7); exit(); }';
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

function freshDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tstrace-codecache-'));
  dirs.push(d);
  return d;
}

/** Runs bin/tstrace as users do (its shebang); returns the main bundle's code-cache state it reports. */
function run(dir: string, script = SCRIPT): string {
  return runBoth(dir, script).main;
}

/** The code-cache states of both bundles ('not loaded' for a compiler bundle the run did not load). */
function runBoth(dir: string, script = SCRIPT): { main: string; compiler: string } {
  const r = spawnSync(BIN, ['-e', script], { env: { ...process.env, TSTRACE_CACHE_DIR: dir, TSTRACE_TIMING: '1' }, encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(script === SCRIPT ? EXPECTED : OTHER_EXPECTED);
  return {
    main: /timing: code cache (\w+)/.exec(r.stderr)?.[1] ?? 'unreported',
    compiler: /timing: tstrace-compiler\.js code cache (\w+)/.exec(r.stderr)?.[1] ?? 'not loaded',
  };
}

// What tstrace prints without any code cache: every run must print exactly this.
const EXPECTED = spawnSync(BIN, ['-e', SCRIPT], { env: { ...process.env, TSTRACE_NO_CODE_CACHE: '1' }, encoding: 'utf8' }).stdout;
const OTHER = 'BEGIN { printf("other script %d\\n", 8); exit(); }';
const OTHER_EXPECTED = 'Attaching 1 probe...\nother script 8\n\n\n';

const codeFiles = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.v8'));

describe('V8 code cache of the CLI', () => {
  it('the first run writes both bundles\' caches, a compile-cache hit uses the main one alone, and both are used afterwards', () => {
    expect(EXPECTED).toContain('code cache 7\n');
    const dir = freshDir();
    // Compiles the script: loads the compiler bundle; writes both caches.
    expect(runBoth(dir)).toEqual({ main: 'absent', compiler: 'absent' });
    expect(codeFiles(dir)).toHaveLength(2);
    const sizes = () => Object.fromEntries(codeFiles(dir).map((f) => [f, fs.statSync(path.join(dir, f)).size]));
    const written = sizes();
    // Compile-cache hit: never loads the compiler bundle; uses the main bundle's cache and rewrites nothing.
    expect(runBoth(dir)).toEqual({ main: 'hit', compiler: 'not loaded' });
    // Another script compiles through the compiler's code cache.
    expect(runBoth(dir, OTHER)).toEqual({ main: 'hit', compiler: 'hit' });
    expect(sizes()).toEqual(written);
  });

  it('a corrupt file is ignored and rewritten', () => {
    const dir = freshDir();
    run(dir);
    run(dir);
    const files = codeFiles(dir).map((f) => path.join(dir, f));
    expect(files).toHaveLength(2);
    for (const file of files) {
      const data = fs.readFileSync(file);
      data[data.length >> 1] ^= 0xff;
      fs.writeFileSync(file, data);
    }
    expect(run(dir)).toBe('absent');
    expect(run(dir)).toBe('hit');
    expect(runBoth(dir, OTHER)).toEqual({ main: 'hit', compiler: 'absent' });
    expect(runBoth(dir, `${OTHER} // again`)).toEqual({ main: 'hit', compiler: 'hit' });
    for (const file of files) fs.writeFileSync(file, 'garbage');
    expect(run(dir)).toBe('absent');
    expect(run(dir)).toBe('hit');
  });

  it('a directory others can write to is neither used nor written', () => {
    const dir = freshDir();
    fs.chmodSync(dir, 0o777);
    run(dir);
    run(dir);
    expect(codeFiles(dir)).toEqual([]);
    fs.chmodSync(dir, 0o700);
    run(dir);
    expect(codeFiles(dir)).toHaveLength(1);
    fs.chmodSync(dir, 0o777);
    expect(run(dir)).toBe('absent');
  });

  it('keeps only the newest few code caches of other builds (two bundles each)', () => {
    const dir = freshDir();
    for (let i = 0; i < 6; i++) {
      const f = path.join(dir, `code-${String(i).repeat(32)}.v8`);
      fs.writeFileSync(f, 'old');
      fs.utimesSync(f, 1000 + i, 1000 + i);
    }
    run(dir); // writes the compiler bundle's file and prunes
    run(dir); // writes the main bundle's file and prunes
    const ours = codeFiles(dir).filter((f) => !/^code-(\d)\1{31}\.v8$/.test(f));
    expect(ours).toHaveLength(2);
    expect(codeFiles(dir).sort()).toEqual([2, 3, 4, 5].map((i) => `code-${String(i).repeat(32)}.v8`).concat(ours).sort());
  });

  it('runs started together all work and leave one valid file', async () => {
    const dir = freshDir();
    run(dir); // fill the compile cache only
    const outputs = await Promise.all([0, 1, 2, 3].map(() => new Promise<string>((resolve) => {
      const c = spawn(BIN, ['-e', SCRIPT], { env: { ...process.env, TSTRACE_CACHE_DIR: dir }, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout.on('data', (d) => (out += d));
      c.on('close', (code) => resolve(`${code}:${out}`));
    })));
    expect(outputs).toEqual(Array(4).fill(`0:${EXPECTED}`));
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(codeFiles(dir)).toHaveLength(2);
    expect(run(dir)).toBe('hit');
  });
});
