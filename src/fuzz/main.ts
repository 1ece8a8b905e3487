// `npm run fuzz -- [--count N] [--seed S] [--start I] [--out DIR]`: the long
// fuzz run. Prints progress to stderr, writes each distinct finding (input +
// error) to DIR, and keeps DIR/status.json current so an interrupted run
// still says how far it got. Exits 1 when anything was found.
//
// llvm-bindings never frees an LLVMContext, so one process grows by ~30 kB
// per compiled input: long runs go through worker processes of --chunk
// inputs each (one at a time), and this process adds up their results.
import { spawnSync } from 'child_process';
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

interface Status {
  inputs: number;
  ok: number;
  rejected: number;
  findings: { signature: string; count: number; index: number }[];
}

/** Runs [start, start+count) in workers of `chunk` inputs; findings of each worker land in its own subdirectory. */
function supervise(count: number, seed: number, start: number, chunk: number, out: string): number {
  const total: Status = { inputs: 0, ok: 0, rejected: 0, findings: [] };
  for (let at = start; at < start + count; at += chunk) {
    const n = Math.min(chunk, start + count - at);
    const dir = path.join(out, `chunk-${at}`);
    const r = spawnSync(process.execPath, [__filename, '--worker', '--seed', String(seed), '--start', String(at), '--count', String(n), '--out', dir], { stdio: 'inherit' });
    let st: Status;
    try {
      st = JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8')) as Status;
    } catch {
      st = { inputs: 0, ok: 0, rejected: 0, findings: [{ signature: `worker for ${at}.. died (${r.signal ?? r.status})`, count: 1, index: at }] };
    }
    total.inputs += st.inputs;
    total.ok += st.ok;
    total.rejected += st.rejected;
    for (const f of st.findings) {
      const known = total.findings.find((x) => x.signature === f.signature);
      if (known) known.count += f.count;
      else total.findings.push({ ...f });
    }
    fs.writeFileSync(path.join(out, 'status.json'), JSON.stringify({ seed, start, ...total, done: at + n >= start + count, at: new Date().toISOString() }, null, 2) + '\n');
    process.stderr.write(`fuzz: total ${total.inputs} inputs (${total.ok} compiled, ${total.rejected} rejected, ${total.findings.length} distinct findings)\n`);
  }
  return total.findings.length ? 1 : 0;
}

function main(): number {
  const count = Number(flag('count', '1000000'));
  const seed = Number(flag('seed', '1'));
  const start = Number(flag('start', '0'));
  const chunk = Number(flag('chunk', '20000'));
  const out = path.resolve(flag('out', 'fuzz-out'));
  fs.mkdirSync(out, { recursive: true });
  if (!process.argv.includes('--worker') && count > chunk) return supervise(count, seed, start, chunk, out);
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
