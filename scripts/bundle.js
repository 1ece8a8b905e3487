// Bundles the CLI into one CommonJS file. chevrotain ships as ESM only, and
// loading it through Node's require(esm) path costs ~250 ms at every start;
// the bundle loads in ~20 ms. llvm-bindings stays external: it is loaded only
// when a script must be compiled.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');
// chevrotain imports its lodash functions from the lodash-es barrel; in the
// bundle the barrel's module init runs every one of lodash's ~600 modules
// (~20 ms of a compiling run). Its importers get a barrel of just the
// functions they name, each taken from its own lodash-es file.
function lodashNamesUsedBy(dirs) {
  const names = new Set();
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.js')) {
        for (const m of fs.readFileSync(full, 'utf8').matchAll(/import\s*\{([^}]*)\}\s*from\s*["']lodash-es["']/g)) {
          for (const n of m[1].split(',')) if (n.trim()) names.add(n.trim().split(/\s+as\s+/)[0]);
        }
        if (/from\s*["']lodash-es["']/.test(fs.readFileSync(full, 'utf8').replace(/import\s*\{[^}]*\}\s*from\s*["']lodash-es["']/g, ''))) {
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

async function main() {
const result = await esbuild.build({
  entryPoints: [path.join(__dirname, '../src/cli/index.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Same directory depth as src/cli, so relative paths to native/ still hold.
  outfile: path.join(__dirname, '../dist/cli/tstrace.js'),
  external: ['llvm-bindings'],
  sourcemap: true,
  logLevel: 'warning',
  write: false,
  plugins: [lodashBarrel],
});

// esbuild turns every `import * as fs from 'fs'` into __toESM(require('fs')),
// which copies each of the module's ~100 properties into a fresh object: 40-odd
// copies of fs/path/os cost ~8 ms of every start. One copy per module (and
// import mode) serves every importer; the copies are read-only views, so
// sharing them changes nothing else. Rewritten on the helper's own lines, so
// the source map's line numbers still hold.
const HELPER = 'var __toESM = (mod, isNodeMode, target) =>';
const MEMO = 'var __toESMMemo = new WeakMap(), __toESM = (mod, isNodeMode) => { ' +
  'if (mod == null || typeof mod !== "object" && typeof mod !== "function") return __toESMCopy(mod, isNodeMode); ' +
  'let m = __toESMMemo.get(mod); if (!m) __toESMMemo.set(mod, m = [undefined, undefined]); ' +
  'const i = isNodeMode ? 1 : 0; return m[i] ?? (m[i] = __toESMCopy(mod, isNodeMode)); }; ';
const NEXT = 'var __toCommonJS =';

// bin/tstrace reads an ASCII bundle as latin1, a plain copy (UTF-8 decoding of
// 1 MB costs ~2.5 ms more; src/cli/codecache.ts). esbuild escapes strings but
// keeps the comments it keeps as written: escape those (whole comment lines).
function asciiComments(text) {
  return text.replace(/^[ \t]*(\/\*|\*|\/\/).*$/gm, (line) =>
    line.replace(/[^\x00-\x7f]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`));
}
for (const file of result.outputFiles) {
  let text = file.text;
  if (file.path.endsWith('.js')) {
    if (!text.includes(HELPER) || !text.includes(NEXT)) throw new Error('bundle.js: esbuild\'s __toESM helper changed; update the memoization');
    text = text.replace(HELPER, 'var __toESMCopy = (mod, isNodeMode, target) =>').replace(NEXT, MEMO + NEXT);
    text = asciiComments(text);
    if (/[^\x00-\x7f]/.test(text)) console.warn('bundle.js: the bundle is not ASCII; bin/tstrace will decode it as UTF-8 (~2.5 ms slower)');
  }
  fs.mkdirSync(path.dirname(file.path), { recursive: true });
  fs.writeFileSync(file.path, text);
}
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
