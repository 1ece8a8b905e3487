// One LLVM per process (native/binding.gyp): the emit addon links against our
// BPF-only build of llvm-bindings (llvm_bindings.node) instead of
// libLLVM-14.so, so a compile maps LLVM once, and never the package's
// all-targets llvm-bindings.node. Checked in child processes through
// /proc/self/maps, in both load orders: as the CLI does (preload,
// llvm-bindings builds the IR, then emission) and with the emit addon first
// (it finds llvm_bindings.node through its RUNPATH and a later require of it
// gets that same file).
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'child_process';
import * as path from 'path';

const DIST = path.resolve(__dirname, '../dist');
const RELEASE = path.resolve(__dirname, '../native/build/Release');

/** Runs `body` in a fresh node; it has `mappedLlvm()`: the LLVM files mapped into the process, with their inodes. */
function inChild(body: string): { status: number | null; stdout: string; stderr: string } {
  const prelude = `
    const fs = require('fs');
    function mappedLlvm() {
      const files = new Set();
      for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\\n')) {
        const f = line.split(/\\s+/);
        if (f[5] && /LLVM|llvm/.test(path.basename(f[5]))) files.add(f[4] + ' ' + path.basename(f[5]));
      }
      return [...files].sort();
    }
    const path = require('path');
  `;
  return spawnSync(process.execPath, ['-e', prelude + body], { encoding: 'utf8', env: { ...process.env, TSTRACE_NO_CACHE: '1' } });
}

describe('one LLVM in the process', () => {
  it('a compile as the CLI does it maps llvm_bindings.node and no other LLVM', () => {
    const r = inChild(`
      require(${JSON.stringify(path.join(DIST, 'runtime/native.js'))}).preloadLlvm();
      const { compileSource } = require(${JSON.stringify(path.join(DIST, 'compiler.js'))});
      const c = compileSource('BEGIN { @x[1] = count(); printf("%d\\\\n", 3); exit(); }', { cache: false, libbpfObject: true });
      process.stdout.write(JSON.stringify({ maps: mappedLlvm(), insns: c.plan.programs.map((p) => p.insns.length), elf: c.libbpfObject.length }));
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    const names: string[] = out.maps.map((m: string) => m.split(' ')[1]);
    expect([...new Set(names)].sort()).toEqual(['llvm_bindings.node', 'tstrace_llvm.node']);
    // llvm_bindings.node once: one inode.
    expect(out.maps.filter((m: string) => m.endsWith(' llvm_bindings.node'))).toHaveLength(1);
    expect(out.insns.every((n: number) => n > 0)).toBe(true);
    expect(out.elf).toBeGreaterThan(0);
  });

  it('the emit addon loaded first brings llvm_bindings.node, which require() then shares', () => {
    const r = inChild(`
      const emit = require(${JSON.stringify(path.join(RELEASE, 'tstrace_llvm.node'))});
      const before = mappedLlvm();
      // llvm-bindings, loaded as a dependency, still registers as an addon and builds IR the emit addon compiles.
      const llvm = require(${JSON.stringify(path.join(RELEASE, 'llvm_bindings.node'))});
      const ctx = new llvm.LLVMContext();
      const mod = new llvm.Module('m', ctx);
      const b = new llvm.IRBuilder(ctx);
      const fn = llvm.Function.Create(llvm.FunctionType.get(b.getInt64Ty(), [b.getInt8PtrTy()], false), llvm.Function.LinkageTypes.ExternalLinkage, 'prog', mod);
      b.SetInsertPoint(llvm.BasicBlock.Create(ctx, 'entry', fn));
      b.CreateRet(b.getInt64(7));
      const res = emit.emitObject(mod.print(), { prog: 'raw_tp/x' });
      process.stdout.write(JSON.stringify({ before, after: mappedLlvm(), insns: res.sections['raw_tp/x'].length / 8 }));
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.before.map((m: string) => m.split(' ')[1]).sort()).toEqual(['llvm_bindings.node', 'tstrace_llvm.node']);
    expect(out.after).toEqual(out.before);
    expect(out.insns).toBe(2); // r0 = 7; exit
  });
});
