// `npm run fuzz -- [--count N] [--seed S] [--start I] [--out DIR]`: the long
// fuzz run. Prints progress to stderr, writes each distinct finding (input +
// error) to DIR, and keeps DIR/status.json current so an interrupted run
// still says how far it got. Exits 1 when anything was found.
import * as fs from 'fs';
import * as path from 'path';
import { fuzzInput, fuzzOne, loadSeedScripts, newStats, FuzzStats } from './index';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

function writeStatus(out: string, stats: FuzzStats, seed: number, start: number, done: boolean): void {
  const findings = [...stats.findings].map(([signature, f]) => ({ signature, count: f.count, index: f.first.index }));
  const status = { seed, start, inputs: stats.inputs, ok: stats.ok, rejected: stats.rejected, findings, done, at: new Date().toISOString() };
  fs.writeFileSync(path.join(out, 'status.json'), JSON.stringify(status, null, 2) + '\n');
}

function main(): number {
  const count = Number(flag('count', '1000000'));
  const seed = Number(flag('seed', '1'));
  const start = Number(flag('start', '0'));
  const out = path.resolve(flag('out', 'fuzz-out'));
  fs.mkdirSync(out, { recursive: true });
  const seeds = loadSeedScripts(path.resolve(__dirname, '../..'));
  const stats = newStats();
  const began = Date.now();
  process.stderr.write(`fuzz: seed ${seed}, inputs ${start}..${start + count - 1}, ${seeds.length} seed scripts, findings in ${out}\n`);
  for (let i = start; i < start + count; i++) {
    const input = fuzzInput(seed, i, seeds);
    const before = stats.findings.size;
    const outcome = fuzzOne(input, stats);
    if (outcome.kind === 'finding' && stats.findings.size > before) {
      const base = path.join(out, `finding-${stats.findings.size}`);
      fs.writeFileSync(`${base}.bt`, input.source);
      fs.writeFileSync(`${base}.txt`, `${outcome.signature}\nreplay: --seed ${seed} --start ${i} --count 1 (params ${JSON.stringify(input.params)})\n\n${outcome.detail}\n`);
      process.stderr.write(`fuzz: NEW finding #${stats.findings.size} at input ${i}: ${outcome.signature}\n`);
    }
    if (stats.inputs % 10000 === 0) {
      writeStatus(out, stats, seed, start, false);
      const rate = stats.inputs / ((Date.now() - began) / 1000);
      process.stderr.write(`fuzz: ${stats.inputs} inputs (${stats.ok} compiled, ${stats.rejected} rejected, ${stats.findings.size} findings), ${rate.toFixed(0)}/s, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB\n`);
    }
  }
  writeStatus(out, stats, seed, start, true);
  process.stderr.write(`fuzz: done: ${stats.inputs} inputs, ${stats.ok} compiled, ${stats.rejected} rejected, ${stats.findings.size} distinct findings\n`);
  return stats.findings.size ? 1 : 0;
}

process.exitCode = main();
