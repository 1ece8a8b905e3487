// The fuzzer: input `i` of a run with seed `s` is either a script generated
// from the grammar or a mutation of a real script, chosen and built from
// inputSeed(s, i) alone, so any finding replays with `--seed s --start i --count 1`.
import { generateScript } from './generate';
import { mutateScript } from './mutate';
import { Rng, inputSeed } from './rng';
import { compileForFuzz, Outcome } from './drive';

export { compileForFuzz, loadSeedScripts } from './drive';

const PARAM_SETS: string[][] = [[], ['1'], ['10', 'hello'], ['x', '-5', '18446744073709551616']];

export interface FuzzInput {
  index: number;
  source: string;
  params: string[];
  origin: 'generated' | 'mutated' | 'generated+mutated';
}

export function fuzzInput(seed: number, index: number, seeds: readonly string[]): FuzzInput {
  const r = new Rng(inputSeed(seed, index));
  const params = r.pick(PARAM_SETS);
  const mode = r.int(10);
  if (mode < 4 || seeds.length === 0) return { index, source: generateScript(r), params, origin: 'generated' };
  if (mode < 5) return { index, source: mutateScript(generateScript(r), r, seeds), params, origin: 'generated+mutated' };
  return { index, source: mutateScript(r.pick(seeds), r, seeds), params, origin: 'mutated' };
}

export interface FuzzStats {
  inputs: number;
  ok: number;
  rejected: number;
  findings: Map<string, { count: number; first: FuzzInput; detail: string }>;
}

export function newStats(): FuzzStats {
  return { inputs: 0, ok: 0, rejected: 0, findings: new Map() };
}

export function fuzzOne(input: FuzzInput, stats: FuzzStats): Outcome {
  const outcome = compileForFuzz(input.source, input.params);
  stats.inputs++;
  if (outcome.kind === 'ok') stats.ok++;
  else if (outcome.kind === 'rejected') stats.rejected++;
  else {
    const f = stats.findings.get(outcome.signature);
    if (f) f.count++;
    else stats.findings.set(outcome.signature, { count: 1, first: input, detail: outcome.detail });
  }
  return outcome;
}
