// npm run bench [-- harness args]: runs ../shared/bench side by side
// (bpftrace vs tstrace, interleaved per case) from a writable copy of the
// harness, and prints where the results went. Default: the startup section.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const repo = path.join(__dirname, '..');
const shared = path.join(repo, '../shared/bench');
const work = path.join(repo, 'bench-results/harness');
fs.mkdirSync(work, { recursive: true });
for (const f of fs.readdirSync(shared)) {
  const from = path.join(shared, f);
  if (fs.statSync(from).isFile()) fs.copyFileSync(from, path.join(work, f));
}
fs.cpSync(path.join(shared, 'programs'), path.join(work, 'programs'), { recursive: true });
const extra = process.argv.slice(2);
const args = ['--bin', '/usr/bin/bpftrace', '--vs', `${process.execPath} ${path.join(repo, 'bin/tstrace')}`, '--vs-label', 'tstrace',
  ...(extra.length ? extra : ['--only', 'startup'])];
execFileSync('bash', [path.join(work, 'run.sh'), ...args], { stdio: 'inherit', cwd: work });
console.log(`results: ${path.join(work, 'results')}`);
