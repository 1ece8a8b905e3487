// Loads the CLI's bundles (dist/cli/tstrace.js; the compiler's,
// dist/cli/tstrace-compiler.js, on first use: scripts/bundle.js) with a V8
// code cache: compiling a bundle costs ~35 ms per MB, deserialising its
// cached code a third of that. bin/tstrace calls this; nothing else in
// tstrace depends on it.
//
// A cache file sits in the compile cache's directory (src/cache.ts), named
// by its bundle's identity and the Node version. It is written (temporary
// file + rename, so concurrent runs never read half a file) at the end of a
// successful run that had none: the main bundle's only by runs that did not
// load the compiler, so it holds the compile-cache-hit path's functions. Its
// SHA-256 is checked before V8 sees it, because release V8 does not checksum
// code caches; V8 itself rejects a cache from another V8 version or flags.
// A directory that other users could write to is not used: a code cache is
// code.
//
// This file runs before the bundle, as tsc output: `import x = require()`
// (no __importStar copy of each module), and the CommonJS loader's Module
// class taken from our own `module` object, not from the public 'module'
// builtin, which costs ~1.5 ms to load.
import { isAscii } from 'buffer';
import fs = require('fs');
import path = require('path');
import vm = require('vm');
import type ModuleClass from 'module';
import { sha256Hex } from '../runtime/native';

// Outside Node's CommonJS loader (vitest runs this file as ESM) `module` is a stand-in: load the builtin.
const Module: typeof ModuleClass = typeof (module.constructor as Partial<typeof ModuleClass>).wrap === 'function'
  ? module.constructor as typeof ModuleClass : require('module');

interface Loaded {
  exports: Record<string, unknown>;
  /** What became of the code cache (TSTRACE_TIMING prints it). */
  codeCache: 'off' | 'hit' | 'absent' | 'rejected';
  /** Writes the code cache if this load had none; call at the end of a run. */
  saveCodeCache(): void;
}

function cacheDir(): string {
  return process.env.TSTRACE_CACHE_DIR ?? '/var/cache/tstrace';
}

function trustedDir(dir: string): boolean {
  try {
    const st = fs.statSync(dir);
    return st.isDirectory() && st.uid === process.geteuid?.() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function digest(data: Buffer): string {
  return sha256Hex(data);
}

/** The code cache of this bundle, or undefined when absent, corrupt or not trusted. */
function readCodeCache(file: string): Buffer | undefined {
  if (!trustedDir(path.dirname(file))) return undefined;
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  const header = data.subarray(0, 65).toString('latin1');
  const body = data.subarray(65);
  return header === `${digest(body)}\n` ? body : undefined;
}

function writeCodeCache(file: string, body: Buffer): void {
  try {
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!trustedDir(dir)) return;
    const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
    fs.writeFileSync(tmp, Buffer.concat([Buffer.from(`${digest(body)}\n`, 'latin1'), body]), { mode: 0o600 });
    fs.renameSync(tmp, file);
    pruneOld(dir, file);
  } catch {
    // An optimisation only.
  }
}

/** Every rebuild makes new files: keep the newest few (other installs may share the directory). */
function pruneOld(dir: string, keep: string): void {
  const KEEP = 6; // three builds' worth: each has two bundles (scripts/bundle.js)
  const others = fs.readdirSync(dir)
    .filter((f) => /^code-[0-9a-f]+\.v8$/.test(f) && path.join(dir, f) !== keep)
    .map((f) => ({ f: path.join(dir, f), mtime: fs.statSync(path.join(dir, f), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { f } of others.slice(KEEP - 1)) fs.rmSync(f, { force: true });
}

export function codeCachePath(bundle: string, size: number, mtimeMs: number): string {
  const id = sha256Hex(JSON.stringify([bundle, size, mtimeMs, process.version, process.arch])).slice(0, 32);
  return path.join(cacheDir(), `code-${id}.v8`);
}

/** require(bundle), through the code cache unless TSTRACE_NO_CODE_CACHE is set. */
export function loadBundle(bundle: string, provided: Record<string, unknown> = {}): Loaded {
  const noCache = !!process.env.TSTRACE_NO_CODE_CACHE;
  const bytes = fs.readFileSync(bundle);
  // scripts/bundle.js makes the bundle ASCII: decoding it as latin1 is a copy, as UTF-8 ~2.5 ms more.
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const st = fs.statSync(bundle);
  const cacheFile = codeCachePath(bundle, st.size, st.mtimeMs);
  const cachedData = noCache ? undefined : readCodeCache(cacheFile);
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  const module = { exports: {} as Record<string, unknown>, filename: bundle, id: bundle, loaded: false };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, requireWith(Module.createRequire(bundle), provided), module, bundle, path.dirname(bundle));
  module.loaded = true;
  const missing = !noCache && (cachedData === undefined || script.cachedDataRejected === true);
  return {
    exports: module.exports,
    codeCache: noCache ? 'off' : cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'hit',
    saveCodeCache: () => {
      // After the run: the cache then holds the functions it compiled too.
      if (missing) writeCodeCache(cacheFile, script.createCachedData());
    },
  };
}

/** Node's require, except that the ids in `provided` are those values (the compiler bundle's 'tstrace:registry'). */
function requireWith(real: NodeJS.Require, provided: Record<string, unknown>): NodeJS.Require {
  if (Object.keys(provided).length === 0) return real;
  return Object.assign((id: string) => (Object.hasOwn(provided, id) ? provided[id] : real(id)), real) as NodeJS.Require;
}

const parts = new Map<string, Loaded>();

/**
 * A bundle loaded by the main bundle on first use (the compiler,
 * dist/cli/tstrace-compiler.js; scripts/bundle.js), given the main bundle's
 * registry of the modules they share. Loaded once per process.
 */
export function loadPart(bundle: string, registry: Record<string, unknown>): Loaded {
  let part = parts.get(bundle);
  if (!part) {
    part = loadBundle(bundle, { 'tstrace:registry': registry });
    parts.set(bundle, part);
    if (process.env.TSTRACE_TIMING) process.stderr.write(`timing: ${path.basename(bundle)} code cache ${part.codeCache} (since process start ${performance.now().toFixed(1)} ms)\n`);
  }
  return part;
}

/** The parts this run loaded (bin/tstrace saves their code caches at exit). */
export function loadedParts(): Loaded[] {
  return [...parts.values()];
}
