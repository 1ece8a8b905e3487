// Bundles the CLI into one CommonJS file. chevrotain ships as ESM only, and
// loading it through Node's require(esm) path costs ~250 ms at every start;
// the bundle loads in ~20 ms. llvm-bindings stays external: it is loaded only
// when a script must be compiled.
const esbuild = require('esbuild');
const path = require('path');
esbuild.buildSync({
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
});
