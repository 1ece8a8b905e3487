// The pipeline from source text to a loadable plan, one pass per phase:
// source → tokens → AST → typed AST → LLVM IR → BPF object (plan).
import { parse } from './parser';
import { mark } from './timing';
import { check, CheckOptions } from './checker';
import type { Diagnostic } from './diagnostics';
import type { CompiledPlan } from './codegen/plan';

export interface CompileOptions extends CheckOptions {
  file?: string;
  mapKeysMax?: number;
}

export interface CompileResult {
  plan: CompiledPlan;
  warnings: Diagnostic[];
  ir: string;
}

/** Throws CompileError with diagnostics for any error in any phase. */
export function compileSource(source: string, options: CompileOptions = {}): CompileResult {
  mark('start compile');
  const ast = parse(source, options.file ?? 'stdin');
  mark('parse');
  const checked = check(ast, options);
  mark('check');
  // Codegen loads LLVM; required here so front-end-only users never load it.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const codegen = require('./codegen') as typeof import('./codegen');
  const { ir, plan } = codegen.generateIR(checked, { params: options.params, mapKeysMax: options.mapKeysMax });
  mark('llvm ir');
  codegen.emitPlan(ir, plan);
  mark('bpf object');
  return { plan, warnings: checked.warnings, ir };
}
