// Bundles the CLI into two CommonJS files. chevrotain ships as ESM only, and
// loading it through Node's require(esm) path costs ~250 ms at every start;
// a bundle loads in ~20 ms. llvm-bindings stays external: it is loaded only
// when a script must be compiled.
//
// dist/cli/tstrace.js holds what a compile-cache hit runs (CLI, cache lookup,
// runtime, output, probes). The compiler (src/compiler.ts, the explain
// commands, and everything only they use: lexer, parser with chevrotain and
// lodash, checker, code generator) is dist/cli/tstrace-compiler.js, loaded on
// the first `import()` of one of them (src/cli/codecache.ts `loadPart`, with
// its own V8 code cache). A hit then neither reads, deserialises nor declares
// the compiler: V8's code cache of a bundle holds every top-level function of
// every module in it, called or not. The compiler bundle contains no copy of
// a module the main bundle has: it reaches those (diagnostics, timing, cache,
// probes, output, ...) through the main bundle's registry of its modules, so
// each module's state exists once.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');
// chevrotain imports its lodash functions from the lodash-es barrel; in the
// bundle the barrel's module init runs every one of lodash's ~600 modules
// (~20 ms of a compiling run). Its importers get a barrel of just the
// functions they name, each taken from its own lodash-es file.
const NAMED_LODASH_IMPORT = /import\s*\{([^}]*)\}\s*from\s*["']lodash-es["']/g;
function lodashNamesUsedBy(dirs) {
  const names = new Set();
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.js')) {
        const source = fs.readFileSync(full, 'utf8');
        for (const m of source.matchAll(NAMED_LODASH_IMPORT)) {
          for (const n of m[1].split(',')) if (n.trim()) names.add(n.trim().split(/\s+as\s+/)[0]);
        }
        if (/from\s*["']lodash-es["']/.test(source.replace(NAMED_LODASH_IMPORT, ''))) {
          throw new Error(`bundle.js: ${full} imports lodash-es in a form the lodash barrel rewrite does not handle`);
        }
      }
    }
  };
  for (const dir of dirs) walk(dir);
  return [...names].sort();
}
const nodeModules = path.join(__dirname, '../node_modules');
const chevrotainDirs = [path.join(nodeModules, 'chevrotain/lib'), ...fs.readdirSync(path.join(nodeModules, '@chevrotain'))
  .map((d) => path.join(nodeModules, '@chevrotain', d, 'lib'))].filter((d) => fs.existsSync(d));
const lodashBarrel = {
  name: 'lodash-barrel',
  setup(build) {
    build.onResolve({ filter: /^lodash-es$/ }, () => ({ path: 'lodash-es', namespace: 'lodash-barrel' }));
    build.onLoad({ filter: /.*/, namespace: 'lodash-barrel' }, () => ({
      contents: lodashNamesUsedBy(chevrotainDirs).map((n) => `export { default as ${n} } from 'lodash-es/${n}.js';`).join('\n'),
      resolveDir: nodeModules,
    }));
  },
};

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'dist/cli');
const MAIN = path.join(OUT, 'tstrace.js');
const COMPILER = path.join(OUT, 'tstrace-compiler.js');
/** The compiler bundle's entry modules: the CLI only `import()`s them. Export name → module. */
const PARTS = { compiler: 'src/compiler.ts', explainCli: 'src/explain/cli.ts', explainServer: 'src/explain/server.ts' };
const partOf = new Map(Object.entries(PARTS).map(([name, file]) => [path.join(ROOT, file), name]));
/**
 * Modules bin/tstrace has loaded as tsc output before any bundle (src/cli/codecache.ts needs the addon's
 * SHA-256): the bundles require that copy instead of carrying their own, so it exists once.
 */
const LOADED_FIRST = new Map([[path.join(ROOT, 'src/runtime/native.ts'), '../runtime/native.js']]);
const COMMON = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['llvm-bindings'],
  sourcemap: true, logLevel: 'warning', write: false, metafile: true,
};

/** A module in LOADED_FIRST: a CommonJS stand-in requiring bin/tstrace's copy (so `import()` of it works too). */
function loadedFirst(build) {
  build.onResolve({ filter: /.*/, namespace: 'loaded-first' }, (args) => ({ path: args.path, external: true }));
  build.onLoad({ filter: /.*/, namespace: 'loaded-first' }, (args) => ({
    contents: `module.exports = require(${JSON.stringify(args.path)});\n`, loader: 'js', resolveDir: ROOT,
  }));
}

/** Main bundle: an import of a compiler entry becomes a lazy load of the compiler bundle. */
function mainPlugin(shared) {
  return {
    name: 'compiler-part',
    setup(build) {
      loadedFirst(build);
      build.onResolve({ filter: /^\./ }, async (args) => {
        if (args.namespace !== 'file') return undefined;
        if (args.pluginData === 'resolving') return undefined;
        const r = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: 'resolving' });
        if (LOADED_FIRST.has(r.path)) return { path: LOADED_FIRST.get(r.path), namespace: 'loaded-first' };
        const part = partOf.get(r.path);
        if (!part) return undefined;
        if (args.kind !== 'dynamic-import') return { errors: [{ text: `${args.path} is in the compiler bundle: import() it, don't import it (scripts/bundle.js)` }] };
        return { path: part, namespace: 'compiler-part' };
      });
      build.onResolve({ filter: /^tstrace:registry$/ }, () => ({ path: 'registry', namespace: 'compiler-part' }));
      build.onResolve({ filter: /^\.\/codecache\.js$/ }, () => ({ path: './codecache.js', external: true }));
      build.onLoad({ filter: /.*/, namespace: 'compiler-part' }, (args) => {
        if (args.path === 'registry') {
          // The main bundle's modules the compiler bundle imports, initialised on first use.
          const getters = shared.map((f) => `  get ${JSON.stringify(f)}() { return require(${JSON.stringify(path.join(ROOT, f))}); },`);
          return { contents: `module.exports = {\n${getters.join('\n')}\n};\n`, loader: 'js', resolveDir: ROOT };
        }
        return {
          contents: `module.exports = require('./codecache.js').loadPart(require('path').join(__dirname, ${JSON.stringify(path.basename(COMPILER))}), require('tstrace:registry')).exports.${args.path};\n`,
          loader: 'js', resolveDir: ROOT,
        };
      });
    },
  };
}

/** Compiler bundle: every module the main bundle has comes from the main bundle's registry. */
function compilerPlugin(mainInputs, shared) {
  return {
    name: 'shared-modules',
    setup(build) {
      loadedFirst(build);
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.namespace === 'shared' || args.pluginData === 'resolving' || args.kind === 'entry-point') return undefined;
        const r = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: 'resolving' });
        if (r.errors.length > 0 || r.external) return undefined;
        if (LOADED_FIRST.has(r.path)) return { path: LOADED_FIRST.get(r.path), namespace: 'loaded-first' };
        const rel = path.relative(ROOT, r.path);
        if (!mainInputs.has(rel)) return undefined;
        shared.add(rel);
        return { path: rel, namespace: 'shared' };
      });
      build.onResolve({ filter: /^tstrace:registry$/ }, () => ({ path: 'tstrace:registry', external: true }));
      build.onLoad({ filter: /.*/, namespace: 'shared' }, (args) => ({
        contents: `module.exports = require('tstrace:registry')[${JSON.stringify(args.path)}];\n`, loader: 'js', resolveDir: ROOT,
      }));
    },
  };
}

function inputsOf(result) {
  return new Set(Object.keys(result.metafile.inputs).filter((f) => !f.includes(':')).map((f) => path.relative(ROOT, path.resolve(ROOT, f))));
}

// Pass 1 finds the main bundle's modules, pass 2 builds the compiler bundle
// against them (and so finds which it shares), pass 3 builds the main bundle
// with the registry of exactly those.
async function bundle() {
  const mainOptions = (shared) => ({
    ...COMMON, absWorkingDir: ROOT, entryPoints: [path.join(ROOT, 'src/cli/index.ts')], outfile: MAIN, plugins: [mainPlugin(shared)],
  });
  const mainInputs = inputsOf(await esbuild.build(mainOptions([])));
  const shared = new Set();
  const compiler = await esbuild.build({
    ...COMMON, absWorkingDir: ROOT, outfile: COMPILER, plugins: [lodashBarrel, compilerPlugin(mainInputs, shared)],
    stdin: {
      // Each entry is initialised when first asked for: `explore`'s http server is not a compile's business.
      contents: `module.exports = {\n${Object.entries(PARTS).map(([name, file]) => `  get ${name}() { return require('./${file}'); },`).join('\n')}\n};\n`,
      resolveDir: ROOT, sourcefile: 'compiler-entry.js', loader: 'js',
    },
  });
  const main = await esbuild.build(mainOptions([...shared].sort()));
  for (const f of inputsOf(main)) if (!mainInputs.has(f)) throw new Error(`bundle.js: the registry pulled ${f} into the main bundle`);
  for (const f of inputsOf(compiler)) if (mainInputs.has(f)) throw new Error(`bundle.js: ${f} is in both bundles`);
  for (const result of [main, compiler]) writeOutputs(result);
}

// esbuild turns every `import * as fs from 'fs'` into __toESM(require('fs')),
// which copies each of the module's ~100 properties into a fresh object (a
// getter each): 40-odd copies of fs/path/os cost ~8 ms of every start. One
// view per module (and import mode) serves every importer, and the view is
// an object whose prototype is the module, so making it copies nothing:
// property reads (`fs.readFileSync`, destructuring) find the module's own
// values, as the copy's getters did; only own-key enumeration of a namespace
// would differ, which nothing does. Rewritten on the helper's own lines, so
// the source map's line numbers still hold.
const HELPER = 'var __toESM = (mod, isNodeMode, target) =>';
const MEMO = 'var __toESMMemo = new WeakMap(), __toESM = (mod, isNodeMode) => { ' +
  'if (mod == null || typeof mod !== "object" && typeof mod !== "function") return __toESMCopy(mod, isNodeMode); ' +
  'let m = __toESMMemo.get(mod); if (!m) __toESMMemo.set(mod, m = [undefined, undefined]); ' +
  'const i = isNodeMode ? 1 : 0; if (m[i]) return m[i]; const view = __create(mod); ' +
  'if (isNodeMode || !mod.__esModule) __defProp(view, "default", { value: mod, enumerable: true }); return m[i] = view; }; ';
const NEXT = 'var __toCommonJS =';

// bin/tstrace reads an ASCII bundle as latin1, a plain copy (UTF-8 decoding of
// 1 MB costs ~2.5 ms more; src/cli/codecache.ts). esbuild escapes strings but
// keeps the comments it keeps as written: escape those (whole comment lines).
function asciiComments(text) {
  return text.replace(/^[ \t]*(\/\*|\*|\/\/).*$/gm, (line) =>
    line.replace(/[^\x00-\x7f]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`));
}

function writeOutputs(result) {
  for (const file of result.outputFiles) {
    let text = file.text;
    if (file.path.endsWith('.js')) {
      if (text.includes(HELPER)) {
        if (!text.includes(NEXT)) throw new Error('bundle.js: esbuild\'s __toESM helper changed; update the memoization');
        text = text.replace(HELPER, 'var __toESMCopy = (mod, isNodeMode, target) =>').replace(NEXT, MEMO + NEXT);
      }
      text = asciiComments(text);
      if (/[^\x00-\x7f]/.test(text)) console.warn(`bundle.js: ${path.basename(file.path)} is not ASCII; bin/tstrace will decode it as UTF-8 (~2.5 ms slower)`);
    }
    fs.mkdirSync(path.dirname(file.path), { recursive: true });
    fs.writeFileSync(file.path, text);
  }
}

bundle().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
