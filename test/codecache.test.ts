// The V8 code cache of the CLI bundle (src/cli/codecache.ts, used by
// bin/tstrace): written by a run that hit the compile cache, used by later
// runs, ignored (and rewritten) when corrupt, never used from a directory
// other users can write to, and safe when several runs start at once. Every
// run's output is checked: the cache must never change what tstrace does.
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

/** Runs bin/tstrace as users do (its shebang); returns the code-cache state it reports. */
function run(dir: string): string {
  const r = spawnSync(BIN, ['-e', SCRIPT], { env: { ...process.env, TSTRACE_CACHE_DIR: dir, TSTRACE_TIMING: '1' }, encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(EXPECTED);
  return /timing: code cache (\w+)/.exec(r.stderr)?.[1] ?? 'unreported';
}

// What tstrace prints without any code cache: every run must print exactly this.
const EXPECTED = spawnSync(BIN, ['-e', SCRIPT], { env: { ...process.env, TSTRACE_NO_CODE_CACHE: '1' }, encoding: 'utf8' }).stdout;

const codeFiles = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.v8'));

describe('V8 code cache of the CLI', () => {
  it('is written by a compile-cache hit and used afterwards', () => {
    expect(EXPECTED).toContain('code cache 7\n');
    const dir = freshDir();
    expect(run(dir)).toBe('absent'); // compiles the script: writes no code cache
    expect(codeFiles(dir)).toEqual([]);
    expect(run(dir)).toBe('absent'); // compile-cache hit: writes it
    expect(codeFiles(dir)).toHaveLength(1);
    expect(run(dir)).toBe('hit');
  });

  it('a corrupt file is ignored and rewritten', () => {
    const dir = freshDir();
    run(dir);
    run(dir);
    const file = path.join(dir, codeFiles(dir)[0]);
    const data = fs.readFileSync(file);
    data[data.length >> 1] ^= 0xff;
    fs.writeFileSync(file, data);
    expect(run(dir)).toBe('absent');
    expect(run(dir)).toBe('hit');
    fs.writeFileSync(file, 'garbage');
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

  it('keeps only the newest few code caches of other builds', () => {
    const dir = freshDir();
    for (let i = 0; i < 6; i++) {
      const f = path.join(dir, `code-${String(i).repeat(32)}.v8`);
      fs.writeFileSync(f, 'old');
      fs.utimesSync(f, 1000 + i, 1000 + i);
    }
    run(dir);
    run(dir); // writes this build's file and prunes
    expect(codeFiles(dir).sort()).toEqual(['code-' + '3'.repeat(32) + '.v8', 'code-' + '4'.repeat(32) + '.v8', 'code-' + '5'.repeat(32) + '.v8', ...codeFiles(dir).filter((f) => !/^code-(\d)\1{31}\.v8$/.test(f))].sort());
    expect(codeFiles(dir)).toHaveLength(4);
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
    expect(codeFiles(dir)).toHaveLength(1);
    expect(run(dir)).toBe('hit');
  });
});
