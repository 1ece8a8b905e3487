// Stage names of -d / --explain, kept apart from the stages' code so the CLI
// can parse its options without loading the compiler.
export const STAGES = ['tokens', 'ast', 'types', 'ir', 'ir-opt', 'asm', 'maps', 'attach', 'verifier'] as const;
export type StageName = typeof STAGES[number];

/** What `all` means: every stage that loads nothing (`verifier` loads programs, so only on request). */
export const COMPILE_STAGES: StageName[] = STAGES.filter((s) => s !== 'verifier');

/** bpftrace's `-d` stage names (HEAD) that mean one of ours. */
export const STAGE_ALIASES: Record<string, StageName[]> = {
  all: COMPILE_STAGES, d: COMPILE_STAGES, codegen: ['ir'], 'codegen-opt': ['ir-opt'], dis: ['asm'], typed: ['types'],
};


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

export const STAGE_HELP = `stages: ${STAGES.join(', ')}, all (all but verifier, which loads the programs; bpftrace names codegen, codegen-opt, dis also work)`;
