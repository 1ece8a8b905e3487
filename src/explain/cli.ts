// The CLI side of explaining: `-d [STAGE,...]` (bpftrace's flag: bare `-d`
// and `-dd` as in 0.17 are a dry run of every stage; `-d STAGE` as in current
// bpftrace prints that stage and then runs) and `--explain [STAGE,...]`
// (print, never run).
import { formatDiagnostic } from '../diagnostics';
import { explain, formatStages } from './index';
import type { StageName } from './stages';

/** Prints the stages to stdout and the diagnostics to stderr; returns false when compilation failed. */
export function printExplanation(source: string, file: string, params: string[], stages: StageName[]): boolean {
  const x = explain(source, { file, params, verify: stages.includes('verifier') });
  if (x.stages.length) process.stdout.write(formatStages(x, stages));
  process.stderr.write(x.diagnostics.map((d) => formatDiagnostic(d, source)).join(''));
  return !x.diagnostics.some((d) => d.level === 'ERROR');
}
