// One LLVM per process (native/binding.gyp): llvm-bindings' API and object
// emission live in one addon, tstrace_llvm.node, linked with LLVM's BPF
// target only; a compile maps no other LLVM (neither libLLVM-14.so nor the
// package's all-targets llvm-bindings.node). Checked in child processes
// through /proc/self/maps, as the CLI compiles (preload, IR, emission) and
// with the addon used directly.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'child_process';
import * as path from 'path';

const DIST = path.resolve(__dirname, '../dist');
const LLVM_ADDON = path.resolve(__dirname, '../native/build/Release/tstrace_llvm.node');

/** Runs `body` in a fresh node; it has `mappedLlvm()`: the LLVM files mapped into the process (inode and name). */
function inChild(body: string): { status: number | null; stdout: string; stderr: string } {
  const prelude = `
    const fs = require('fs');
    const path = require('path');
    function mappedLlvm() {
      const files = new Set();
      for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\\n')) {
        const f = line.split(/\\s+/);
        if (f[5] && /LLVM|llvm/.test(path.basename(f[5]))) files.add(f[4] + ' ' + path.basename(f[5]));
      }
      return [...files].sort();
    }
  `;
  return spawnSync(process.execPath, ['-e', prelude + body], { encoding: 'utf8', env: { ...process.env, TSTRACE_NO_CACHE: '1' } });
}

describe('one LLVM in the process', () => {
  it('a compile as the CLI does it maps tstrace_llvm.node and no other LLVM', () => {
    const r = inChild(`
      require(${JSON.stringify(path.join(DIST, 'runtime/native.js'))}).preloadLlvm();
      const { compileSource } = require(${JSON.stringify(path.join(DIST, 'compiler.js'))});
      const c = compileSource('BEGIN { @x[1] = count(); printf("%d\\\\n", 3); exit(); }', { cache: false, libbpfObject: true });
      process.stdout.write(JSON.stringify({ maps: mappedLlvm(), insns: c.plan.programs.map((p) => p.insns.length), elf: c.libbpfObject.length }));
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.maps).toHaveLength(1);
    expect(out.maps[0]).toMatch(/ tstrace_llvm\.node$/);
    expect(out.insns.every((n: number) => n > 0)).toBe(true);
    expect(out.elf).toBeGreaterThan(0);
  });

  it('the addon alone builds IR with the llvm-bindings API and emits it', () => {
    const r = inChild(`
      const llvm = require(${JSON.stringify(LLVM_ADDON)});
      const ctx = new llvm.LLVMContext();
      const mod = new llvm.Module('m', ctx);
      const b = new llvm.IRBuilder(ctx);
      const fn = llvm.Function.Create(llvm.FunctionType.get(b.getInt64Ty(), [b.getInt8PtrTy()], false), llvm.Function.LinkageTypes.ExternalLinkage, 'prog', mod);
      b.SetInsertPoint(llvm.BasicBlock.Create(ctx, 'entry', fn));
      b.CreateRet(b.getInt64(7));
      const res = llvm.emitObject(mod.print(), { prog: 'raw_tp/x' });
      process.stdout.write(JSON.stringify({ maps: mappedLlvm(), insns: res.sections['raw_tp/x'].length / 8 }));
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.maps.map((m: string) => m.split(' ')[1])).toEqual(['tstrace_llvm.node']);
    expect(out.insns).toBe(2); // r0 = 7; exit
  });
});
