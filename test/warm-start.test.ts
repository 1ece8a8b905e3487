// What the compile-cache-hit path relies on to start cheaply (BENCHMARKS.md,
// scripts/bench-notes.md): the bundle is ASCII, so bin/tstrace decodes it as
// latin1 (a non-ASCII bundle still loads, decoded as UTF-8), and a warm run
// without warnings never touches stderr (its first use builds a stream).
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'child_process';
import { isAscii } from 'buffer';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadBundle } from '../src/cli/codecache';

const BIN = path.resolve(__dirname, '../bin/tstrace');
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

function freshDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tstrace-warm-'));
  dirs.push(d);
  return d;
}

describe('warm start', () => {
  it('the CLI bundles are ASCII', () => {
    for (const bundle of ['tstrace.js', 'tstrace-compiler.js']) {
      expect(isAscii(fs.readFileSync(path.resolve(__dirname, '../dist/cli', bundle)))).toBe(true);
    }
  });

  it('the main bundle holds no compiler: parser, checker and code generator are in the compiler bundle only', () => {
    // esbuild marks each module's code with a `// path` line.
    const modules = (bundle: string) => fs.readFileSync(path.resolve(__dirname, '../dist/cli', bundle), 'latin1')
      .split('\n').filter((l) => /^\/\/ (src|\.\.)\//.test(l)).map((l) => l.slice(3));
    const compilerOnly = /^src\/(lexer|parser)\/|^src\/compiler\.ts$|^src\/checker\/index\.ts$|^src\/codegen\/(index|irgen)\.ts$|\/node_modules\/(chevrotain|lodash-es)\//;
    const main = modules('tstrace.js');
    const compiler = modules('tstrace-compiler.js');
    expect(main.filter((m) => compilerOnly.test(m))).toEqual([]);
    expect(compiler).toEqual(expect.arrayContaining(['src/compiler.ts', 'src/parser/index.ts', 'src/lexer/index.ts', 'src/checker/index.ts', 'src/codegen/irgen.ts']));
    // And no module in both (src/runtime/native.ts is in neither: bin/tstrace's copy serves both).
    expect(main.filter((m) => compiler.includes(m))).toEqual([]);
    expect([...main, ...compiler]).not.toContain('src/runtime/native.ts');
  });

  it('a rebuilt compiler bundle alone invalidates the compile cache (it holds the code generator)', () => {
    // A copy of the installed files, so that touching its compiler bundle disturbs no other test's build.
    const root = freshDir();
    const repo = path.resolve(__dirname, '..');
    for (const f of ['bin/tstrace', 'dist/cli/codecache.js', 'dist/cli/tstrace.js', 'dist/cli/tstrace-compiler.js', 'dist/runtime/native.js']) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.copyFileSync(path.join(repo, f), path.join(root, f));
    }
    fs.chmodSync(path.join(root, 'bin/tstrace'), 0o755);
    for (const link of ['native', 'node_modules']) fs.symlinkSync(fs.realpathSync(path.join(repo, link)), path.join(root, link));
    const cache = path.join(root, 'cache');
    const run = () => {
      const r = spawnSync(path.join(root, 'bin/tstrace'), ['-e', 'BEGIN { printf("rebuilt\\n"); exit(); }'], { env: { ...process.env, TSTRACE_CACHE_DIR: cache, TSTRACE_TIMING: '1' }, encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('Attaching 1 probe...\nrebuilt\n\n\n');
      return r.stderr.includes('timing: start compile') ? 'compiled' : 'hit';
    };
    expect(run()).toBe('compiled');
    expect(run()).toBe('hit');
    const compiler = path.join(root, 'dist/cli/tstrace-compiler.js');
    const st = fs.statSync(compiler);
    fs.utimesSync(compiler, st.atime, new Date(st.mtimeMs + 1000));
    expect(run()).toBe('compiled');
    expect(run()).toBe('hit');
  });

  it('errors raised in the compiler bundle are the main bundle\'s (one copy of src/diagnostics.ts)', () => {
    // cli/index.ts catches CompileError by instanceof: a second copy of the class would make this an internal error.
    const r = spawnSync(BIN, ['-e', 'BEGIN { @x = nosuch(); }'], { env: { ...process.env, TSTRACE_CACHE_DIR: freshDir() }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('stdin:1:14-20: ERROR: Unknown function: nosuch\nBEGIN { @x = nosuch(); }\n             ~~~~~~\n');
  });

  it('loads ASCII and non-ASCII bundles with their text intact, with and without a code cache', () => {
    const dir = freshDir();
    const saved = process.env.TSTRACE_CACHE_DIR;
    process.env.TSTRACE_CACHE_DIR = path.join(dir, 'cache');
    try {
      for (const [name, text] of [['ascii.js', 'plain text'], ['utf8.js', 'caf\u00e9 \u2026 \u{1f600}']]) {
        const file = path.join(dir, name);
        fs.writeFileSync(file, `module.exports = { text: ${JSON.stringify(text)}, raw: String.raw\`${text}\` };\n`);
        const first = loadBundle(file);
        expect(first.exports).toEqual({ text, raw: text });
        first.saveCodeCache();
        const second = loadBundle(file);
        expect(second.codeCache).toBe('hit');
        expect(second.exports).toEqual({ text, raw: text });
      }
    } finally {
      if (saved === undefined) delete process.env.TSTRACE_CACHE_DIR;
      else process.env.TSTRACE_CACHE_DIR = saved;
    }
  });

  it('a compile-cache hit without warnings writes nothing to stderr', () => {
    const dir = freshDir();
    const run = () => spawnSync(BIN, ['-e', 'BEGIN { printf("warm\\n"); exit(); }'], { env: { ...process.env, TSTRACE_CACHE_DIR: dir }, encoding: 'utf8' });
    const cold = run();
    const warm = run();
    for (const r of [cold, warm]) {
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('Attaching 1 probe...\nwarm\n\n\n');
      expect(r.stderr).toBe('');
    }
  });
});
