// The CLI side of explaining: `-d [STAGE,...]` (bpftrace's flag: bare `-d`
// and `-dd` as in 0.17 are a dry run of every stage; `-d STAGE` as in current
// bpftrace prints that stage and then runs) and `--explain [STAGE,...]`
// (print, never run).
import { formatDiagnostic } from '../diagnostics';
import { explain, formatStages, StageName, STAGES, STAGE_ALIASES } from './index';

/** Stage names of a `-d`/`--explain` value, or undefined when it is no stage list (e.g. a script path). */
export function parseStages(value: string): StageName[] | undefined {
  const out: StageName[] = [];
  for (const part of value.split(',')) {
    const name = part.trim();
    if ((STAGES as readonly string[]).includes(name)) out.push(name as StageName);
    else if (STAGE_ALIASES[name]) out.push(...STAGE_ALIASES[name]);
    else return undefined;
  }
  return out;
}

export const STAGE_HELP = `stages: ${STAGES.join(', ')}, all (bpftrace names codegen, codegen-opt, dis also work)`;

/** Prints the stages to stdout and the diagnostics to stderr; returns false when compilation failed. */
export function printExplanation(source: string, file: string, params: string[], stages: StageName[]): boolean {
  const x = explain(source, { file, params });
  if (x.stages.length) process.stdout.write(formatStages(x, stages));
  process.stderr.write(x.diagnostics.map((d) => formatDiagnostic(d, source)).join(''));
  return !x.diagnostics.some((d) => d.level === 'ERROR');
}
