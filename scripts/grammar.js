// Regenerates grammar/bpftrace.ebnf, grammar/diagrams.html and src/parser/lookahead-paths.ts from the parser.
require('esbuild').buildSync({
  entryPoints: [require('path').join(__dirname, '../src/parser/grammar.ts')],
  bundle: true, platform: 'node', format: 'cjs', outfile: '/tmp/tstrace-grammar.js', logLevel: 'warning',
});
const g = require('/tmp/tstrace-grammar.js');
const fs = require('fs');
const dir = require('path').join(__dirname, '../grammar');
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(`${dir}/bpftrace.ebnf`, g.grammarEbnf());
fs.writeFileSync(`${dir}/diagrams.html`, g.grammarDiagramsHtml());
// The parser's lookahead decisions, read at every start instead of computed (src/parser/lookahead.ts).
fs.writeFileSync(require('path').join(__dirname, '../src/parser/lookahead-paths.ts'), g.lookaheadPathsSource());
// The diagram page's scripts, from chevrotain's package (which lacks the
// small main.js its CDN copy has; ours is in grammar/assets/main.js).
const cv = require('path').join(__dirname, '../node_modules/chevrotain/diagrams');
for (const [from, to] of [['diagrams.css', 'diagrams.css'], ['vendor/railroad-diagrams.js', 'vendor/railroad-diagrams.js'],
  ['src/diagrams_builder.js', 'src/diagrams_builder.js'], ['src/diagrams_behavior.js', 'src/diagrams_behavior.js']]) {
  fs.mkdirSync(require('path').dirname(`${dir}/assets/${to}`), { recursive: true });
  fs.copyFileSync(`${cv}/${from}`, `${dir}/assets/${to}`);
}
console.log('wrote grammar/bpftrace.ebnf, grammar/diagrams.html and src/parser/lookahead-paths.ts');
