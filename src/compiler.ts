// The pipeline from source text to a loadable plan, one pass per phase:
// source → tokens → AST → typed AST → LLVM IR → BPF object (plan).
import { parse } from './parser';
import { mark } from './timing';
// codegen loads llvm-bindings only when generateIR runs.
import * as codegen from './codegen';
import { cacheKey, readCache, writeCache } from './cache';
import { check, CheckOptions, configValue } from './checker';
import type { Diagnostic } from './diagnostics';
import type { CompiledPlan } from './codegen/plan';

export interface CompileOptions extends CheckOptions {
  file?: string;
  mapKeysMax?: number;
  /** Use the compile cache (src/cache.ts). */
  cache?: boolean;
  /** -p/-c: probes fire only in that process (its pid is written to the config map at run time). */
  pidFilter?: boolean;
}

export interface CompileResult {
  plan: CompiledPlan;
  warnings: Diagnostic[];
  /** LLVM IR text and the BPF ELF object; absent on a cache hit. */
  ir?: string;
  object?: Buffer;
  cacheHit?: boolean;
  /** Not to be cached (see CheckedProgram.uncacheable). */
  uncacheable?: boolean;
}

/** Throws CompileError with diagnostics for any error in any phase. */
export function compileSource(source: string, options: CompileOptions = {}): CompileResult {
  const key = options.cache
    ? cacheKey({ source, file: options.file, params: options.params, strlen: options.strlen, mapKeysMax: options.mapKeysMax, pidFilter: options.pidFilter, childCommand: options.childCommand, unsafe: options.unsafe })
    : undefined;
  if (key) {
    const hit = readCache(key);
    mark('cache lookup');
    if (hit) return { ...hit, cacheHit: true };
  }
  const result = compileUncached(source, options);
  if (key && !result.uncacheable) writeCache(key, { plan: result.plan, warnings: result.warnings });
  return result;
}

function compileUncached(source: string, options: CompileOptions): CompileResult {
  mark('start compile');
  const ast = parse(source, options.file ?? 'stdin');
  mark('parse');
  const checked = check(ast, options);
  mark('check');
  // BPFTRACE_MAP_KEYS_MAX (options.mapKeysMax) wins over the config block, as in HEAD.
  const configKeys = configValue(ast, 'max_map_keys');
  const mapKeysMax = options.mapKeysMax ?? (typeof configKeys === 'bigint' ? Number(configKeys) : undefined);
  const { ir, plan } = codegen.generateIR(checked, { params: options.params, mapKeysMax, pidFilter: options.pidFilter });
  mark('llvm ir');
  const object = codegen.emitPlan(ir, plan);
  mark('bpf object');
  return { plan, warnings: checked.warnings, ir, object, uncacheable: checked.uncacheable };
}
