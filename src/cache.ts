// Compile cache: a script compiled before (same source, parameters, options,
// tstrace build and kernel) starts without loading chevrotain's parser or LLVM.
//
// Entries are JSON files named by a SHA-256 of everything that affects the
// compiled plan. They are written to a temporary file and renamed into place,
// so concurrent runs never see half an entry; an entry whose embedded digest
// does not match its content is ignored (and recompiled over).
import * as fs from 'fs';
import * as path from 'path';
import type { CompiledPlan } from './codegen/plan';
import type { Diagnostic } from './diagnostics';
import type { CompileOptions, CompileResult } from './compiler';
import { mark } from './timing';
import { sha256Hex } from './runtime/native';
import { kernelRelease } from './host';

const FORMAT = 1;

export interface CacheEntry {
  plan: CompiledPlan;
  warnings: Diagnostic[];
}

export function cacheDir(): string {
  return process.env.TSTRACE_CACHE_DIR ?? '/var/cache/tstrace';
}

function buildIdentity(): string {
  // The running bundle (or module) file, and the compiler bundle beside it (scripts/bundle.js), which
  // holds the code generator: a rebuilt tstrace never reuses old code.
  return [__filename, path.join(path.dirname(__filename), 'tstrace-compiler.js')].map(fileIdentity).join('|');
}

function fileIdentity(file: string): string {
  try {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    return st ? `${file}:${st.size}:${st.mtimeMs}` : file;
  } catch {
    return file;
  }
}

export function cacheKey(parts: Record<string, unknown>): string {
  return sha256Hex(JSON.stringify({ format: FORMAT, build: buildIdentity(), kernel: kernelRelease(), ...parts }));
}

/** The cache key of a compilation, or undefined when it must not use the cache. */
export function compileCacheKey(source: string, options: CompileOptions): string | undefined {
  // Test-only deliberately bad code (codegen/irgen BadCodegen) is never cached.
  if (!options.cache || process.env.TSTRACE_TEST_BAD_CODEGEN) return undefined;
  return cacheKey({
    source, file: options.file, params: options.params, strlen: options.strlen, mapKeysMax: options.mapKeysMax,
    pidFilter: options.pidFilter, childCommand: options.childCommand, unsafe: options.unsafe, namedArgs: options.namedArgs,
  });
}

/**
 * A cache hit for this compilation, if any. Lives here, not in src/compiler.ts,
 * so that a hit never loads the parser, checker or code generator.
 */
export function lookupCompiled(source: string, options: CompileOptions): CompileResult | undefined {
  const key = compileCacheKey(source, options);
  if (!key) return undefined;
  const hit = readCache(key);
  mark('cache lookup');
  return hit ? { ...hit, cacheHit: true } : undefined;
}

function digest(body: string): string {
  return sha256Hex(body);
}

function serialize(entry: CacheEntry): string {
  return JSON.stringify(entry, (_k, v) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v));
}

function deserialize(body: string): CacheEntry {
  return JSON.parse(body, (_k, v) => (v && typeof v === 'object' && typeof v.$bigint === 'string' ? BigInt(v.$bigint) : v));
}

/** The cached entry, or undefined when absent, unreadable or corrupt. */
export function readCache(key: string): CacheEntry | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(cacheDir(), `${key}.json`), 'utf8');
  } catch {
    return undefined;
  }
  const nl = text.indexOf('\n');
  if (nl < 0) return undefined;
  const body = text.slice(nl + 1);
  if (text.slice(0, nl) !== digest(body)) return undefined;
  try {
    return deserialize(body);
  } catch {
    return undefined;
  }
}

/** Stores an entry; failures (read-only disk, no space) only cost the next start-up. */
export function writeCache(key: string, entry: CacheEntry): void {
  try {
    const dir = cacheDir();
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const body = serialize(entry);
    const tmp = path.join(dir, `.${key}.${process.pid}.${Date.now()}.tmp`);
    fs.writeFileSync(tmp, `${digest(body)}\n${body}`, { mode: 0o600 });
    fs.renameSync(tmp, path.join(dir, `${key}.json`));
  } catch {
    // Caching is an optimisation.
  }
}
