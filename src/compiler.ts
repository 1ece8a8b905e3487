// The pipeline from source text to a loadable plan, one pass per phase:
// source → tokens → AST → typed AST → LLVM IR → BPF object (plan).
import { parse } from './parser';
import { mark } from './timing';
// codegen loads llvm-bindings only when generateIR runs.
import * as codegen from './codegen';
import { compileCacheKey, lookupCompiled, writeCache } from './cache';
import { check, CheckOptions, configValue } from './checker';
import type { Diagnostic } from './diagnostics';
import type { CompiledPlan } from './codegen/plan';
import type { BadCodegen } from './codegen/irgen';

export interface CompileOptions extends CheckOptions {
  file?: string;
  mapKeysMax?: number;
  /** Use the compile cache (src/cache.ts). */
  cache?: boolean;
  /** Also emit the libbpf-loadable object (--emit-elf). */
  libbpfObject?: boolean;
  /** -p/-c: probes fire only in that process (its pid is written to the config map at run time). */
  pidFilter?: boolean;
}

export interface CompileResult {
  plan: CompiledPlan;
  warnings: Diagnostic[];
  /** LLVM IR text and the BPF ELF object; absent on a cache hit. */
  ir?: string;
  object?: Buffer;
  /** The libbpf-loadable object (--emit-elf), only when asked for with `libbpfObject`. */
  libbpfObject?: Buffer;
  cacheHit?: boolean;
  /** Not to be cached (see CheckedProgram.uncacheable). */
  uncacheable?: boolean;
}

/** Throws CompileError with diagnostics for any error in any phase. */
export function compileSource(source: string, options: CompileOptions = {}): CompileResult {
  return lookupCompiled(source, options) ?? compileAndStore(source, options);
}

/** Compiles without looking in the cache (the caller did), and stores the result when caching. */
export function compileAndStore(source: string, options: CompileOptions = {}): CompileResult {
  const key = compileCacheKey(source, options);
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
  const { ir, plan } = codegen.generateIR(checked, {
    params: options.params, mapKeysMax, pidFilter: options.pidFilter, file: options.file,
    badCode: process.env.TSTRACE_TEST_BAD_CODEGEN as BadCodegen | undefined,
  });
  mark('llvm ir');
  const object = codegen.emitPlan(ir, plan);
  mark('bpf object');
  const libbpfObject = options.libbpfObject ? codegen.emitLibbpfObject(ir, plan) : undefined;
  return { plan, warnings: checked.warnings, ir, object, libbpfObject, uncacheable: checked.uncacheable };
}
