// Background loading of LLVM (native/src/preload.cc, src/runtime/native.ts
// preloadLlvm): a compile after the preload works and gives the same object
// as without it, and a run that fails before needing LLVM (a syntax error)
// still exits with bpftrace's diagnostic and status 1, also when it exits
// while the preload thread is still running LLVM's static constructors.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'child_process';
import * as path from 'path';

const BIN = path.resolve(__dirname, '../bin/tstrace');

function tstrace(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, TSTRACE_NO_CACHE: '1', ...env }, encoding: 'utf8' });
}

describe('LLVM preload', () => {
  it('a compile right after the preload emits the same program as one without it', () => {
    const script = 'BEGIN { @x[1] = count(); printf("%d\\n", 3); exit(); }';
    // Without the preload, then with it (as the CLI does on a cache miss): the same instructions.
    const inProcess = spawnSync(process.execPath, ['-e', `
      const { compileSource } = require(${JSON.stringify(path.resolve(__dirname, '../dist/compiler.js'))});
      const r = compileSource(${JSON.stringify(script)}, {});
      process.stdout.write(r.plan.programs.map((p) => p.insns).join(','));
    `], { encoding: 'utf8' });
    expect(inProcess.status).toBe(0);
    const viaCli = spawnSync(process.execPath, ['-e', `
      const native = require(${JSON.stringify(path.resolve(__dirname, '../dist/runtime/native.js'))});
      native.preloadLlvm();
      const { compileSource } = require(${JSON.stringify(path.resolve(__dirname, '../dist/compiler.js'))});
      const r = compileSource(${JSON.stringify(script)}, {});
      process.stdout.write(r.plan.programs.map((p) => p.insns).join(','));
    `], { encoding: 'utf8' });
    expect(viaCli.status).toBe(0);
    expect(viaCli.stdout.length).toBeGreaterThan(0);
    expect(viaCli.stdout).toBe(inProcess.stdout);
  });

  it('a syntax error exits 1 with its diagnostic while LLVM may still be loading', () => {
    for (let i = 0; i < 5; i++) {
      const r = tstrace(['-e', 'BEGIN { exit(); ']);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('stdin:1:17-17: ERROR: syntax error, unexpected end of file, expecting }');
    }
  });
});
