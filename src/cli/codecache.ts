// Loads the CLI bundle (dist/cli/tstrace.js) with a V8 code cache: compiling
// the 1 MB bundle costs ~35 ms at every start, deserialising the cached code
// ~13 ms. bin/tstrace calls this; nothing else in tstrace depends on it.
//
// The cache file sits in the compile cache's directory (src/cache.ts), named
// by the bundle's identity and the Node version. It is written (temporary
// file + rename, so concurrent runs never read half a file) by a run that
// did not compile a script, so it holds the functions the compile-cache-hit
// path runs and not the compiler's (which would make it twice as big). Its
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

/** Every rebuild makes a new file: keep the newest few (other installs may share the directory). */
function pruneOld(dir: string, keep: string): void {
  const KEEP = 4;
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
export function loadBundle(bundle: string): Loaded {
  if (process.env.TSTRACE_NO_CODE_CACHE) return { exports: require(bundle), codeCache: 'off', saveCodeCache: () => {} };
  const bytes = fs.readFileSync(bundle);
  // scripts/bundle.js makes the bundle ASCII: decoding it as latin1 is a copy, as UTF-8 ~2.5 ms more.
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const st = fs.statSync(bundle);
  const cacheFile = codeCachePath(bundle, st.size, st.mtimeMs);
  const cachedData = readCodeCache(cacheFile);
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  const module = { exports: {} as Record<string, unknown>, filename: bundle, id: bundle, loaded: false };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, Module.createRequire(bundle), module, bundle, path.dirname(bundle));
  module.loaded = true;
  const missing = cachedData === undefined || script.cachedDataRejected === true;
  return {
    exports: module.exports,
    codeCache: cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'hit',
    saveCodeCache: () => {
      // After the run: the cache then holds the functions it compiled too.
      if (missing) writeCodeCache(cacheFile, script.createCachedData());
    },
  };
}
