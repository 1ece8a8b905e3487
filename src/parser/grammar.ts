// The grammar as readable EBNF and chevrotain railroad diagrams, both derived
// from the parser itself so they cannot drift (test/grammar.test.ts checks
// the files in grammar/ are current; `npm run grammar` rewrites them).
import { createSyntaxDiagramsCode, getLookaheadPaths, GAstVisitor, ISerializedGast, IProduction, Rule } from 'chevrotain';
import { getParser, MAX_LOOKAHEAD, tokenDisplayName } from './index';
import { lookaheadKey } from './lookahead';
import * as T from '../lexer';

const tokenByName = new Map(T.allTokens.map((t) => [t.name, t]));

function terminal(name: string): string {
  if (name === 'AssignOperator') return 'ASSIGN_OP';
  if (name === 'UnterminatedString') return 'UNTERMINATED_STRING';
  const t = tokenByName.get(name);
  if (!t) return name;
  const display = tokenDisplayName(t);
  return typeof t.PATTERN === 'string' ? `"${t.PATTERN}"` : display.replace(/^"|"$/g, '').toUpperCase().replace(/ /g, '_');
}

function ebnf(node: ISerializedGast): string {
  const seq = (defs: ISerializedGast[]) => defs.map(ebnf).filter(Boolean).join(' ');
  const n = node as ISerializedGast & { definition?: ISerializedGast[]; name?: string; terminalType?: string; nonTerminalName?: string; separator?: { name: string } };
  switch (node.type) {
    case 'NonTerminal': return n.name!;
    case 'Terminal': return terminal(n.name!);
    case 'Alternative': return seq(n.definition!);
    case 'Alternation': return `( ${n.definition!.map(ebnf).join(' | ')} )`;
    case 'Option': return `[ ${seq(n.definition!)} ]`;
    case 'Repetition': return `{ ${seq(n.definition!)} }`;
    case 'RepetitionMandatory': return `${seq(n.definition!)} { ${seq(n.definition!)} }`;
    case 'RepetitionWithSeparator': return `[ ${seq(n.definition!)} { ${terminal(n.separator!.name)} ${seq(n.definition!)} } ]`;
    case 'RepetitionMandatoryWithSeparator': return `${seq(n.definition!)} { ${terminal(n.separator!.name)} ${seq(n.definition!)} }`;
    default: return '';
  }
}

const NOTES: Record<string, string> = {
  attachPoint: 'adjacent tokens only (no whitespace): the text is glued back together and parsed by the probe provider',
  block: 'in `< ... >` blocks, a `>` where a statement could start closes the block',
  stmtList: 'simple statements are separated by ";"; compound statements (if/while/unroll) need none',
  unary: 'the cast alternative is taken only when "(" starts a type name: (uint32), (struct x *)',
};

export function grammarEbnf(): string {
  const rules = getParser().getSerializedGastProductions() as (ISerializedGast & { name: string; definition: ISerializedGast[] })[];
  const lines = [
    '(* The bpftrace language as tstrace parses it. Generated from src/parser by `npm run grammar`; do not edit. *)',
    '(* Terminals in quotes are literal; IDENTIFIER, VARIABLE ($x), MAP (@x), INTEGER, STRING, POSITIONAL_PARAMETER ($1, $#) are token classes; ASSIGN_OP is one of = += -= *= /= %= &= |= ^= <<= >>=. *)',
    '',
  ];
  for (const r of rules) {
    if (NOTES[r.name]) lines.push(`(* ${NOTES[r.name]} *)`);
    lines.push(`${r.name} = ${r.definition.map(ebnf).filter(Boolean).join(' ')} ;`, '');
  }
  return lines.join('\n');
}

/** Railroad diagrams; the page loads its scripts from grammar/assets/ (copied from chevrotain), so it works offline. */
export function grammarDiagramsHtml(): string {
  return createSyntaxDiagramsCode(getParser().getSerializedGastProductions(), { resourceBase: './assets/', css: './assets/diagrams.css' });
}

/** Every decision of a rule (OR, OPTION, MANY, …) with its occurrence and lookahead depth. */
class DecisionCollector extends GAstVisitor {
  decisions: { prodType: string; occurrence: number; maxLookahead: number; hasPredicates: boolean }[] = [];
  private add(prodType: string, prod: IProduction & { idx: number; maxLookahead?: number; hasPredicates?: boolean }): void {
    this.decisions.push({ prodType, occurrence: prod.idx, maxLookahead: prod.maxLookahead || MAX_LOOKAHEAD, hasPredicates: prod.hasPredicates === true });
  }
  visitRule(): void {}
  visitNonTerminal(): void {}
  visitAlternative(): void {}
  visitTerminal(): void {}
  visitAlternation(p: IProduction & { idx: number }): void { this.add('Alternation', p); }
  visitOption(p: IProduction & { idx: number }): void { this.add('Option', p); }
  visitRepetition(p: IProduction & { idx: number }): void { this.add('Repetition', p); }
  visitRepetitionMandatory(p: IProduction & { idx: number }): void { this.add('RepetitionMandatory', p); }
  visitRepetitionMandatoryWithSeparator(p: IProduction & { idx: number }): void { this.add('RepetitionMandatoryWithSeparator', p); }
  visitRepetitionWithSeparator(p: IProduction & { idx: number }): void { this.add('RepetitionWithSeparator', p); }
}

export interface LookaheadDecision { rule: Rule; prodType: string; occurrence: number; maxLookahead: number; hasPredicates: boolean }

/** Every OR/OPTION/MANY of the parser, as chevrotain's performSelfAnalysis asks for their lookahead. */
export function lookaheadDecisions(): LookaheadDecision[] {
  const decisions: LookaheadDecision[] = [];
  for (const rule of Object.values(getParser().getGAstProductions()) as Rule[]) {
    const collector = new DecisionCollector();
    rule.accept(collector);
    for (const d of collector.decisions) decisions.push({ rule, ...d });
  }
  return decisions;
}

/** The token paths of every decision, by chevrotain's LL(k) analysis: src/parser/lookahead-paths.ts. */
export function lookaheadPaths(): Record<string, string[][][]> {
  const paths: Record<string, string[][][]> = {};
  for (const d of lookaheadDecisions()) {
    const found = getLookaheadPaths({ occurrence: d.occurrence, rule: d.rule, prodType: d.prodType as 'Option', maxLookahead: d.maxLookahead });
    // An optional production's decision looks only at the paths into it (chevrotain's lookAheadPaths[0]).
    const alts = d.prodType === 'Alternation' ? found : [found[0]];
    paths[lookaheadKey(d.rule.name, d.prodType, d.occurrence, d.maxLookahead)] = alts.map((alt) => alt.map((path) => path.map((t) => t.name)));
  }
  return paths;
}
export function lookaheadPathsSource(): string {
  const entries = Object.entries(lookaheadPaths()).map(([key, alts]) => `  ${JSON.stringify(key)}: ${JSON.stringify(alts)},`);
  const gated = lookaheadDecisions().filter((d) => d.hasPredicates).map((d) => `  ${JSON.stringify(lookaheadKey(d.rule.name, d.prodType, d.occurrence, d.maxLookahead))},`);
  return [
    '// Generated by `npm run grammar` from the parser (src/parser/grammar.ts `lookaheadPathsSource`); do not edit.',
    '// The token paths that decide each OR/OPTION/MANY (src/parser/lookahead.ts); test/lookahead-paths.test.ts checks they are current.',
    'export const LOOKAHEAD_PATHS: Record<string, string[][][]> = {',
    ...entries,
    '};',
    '',
    '// The alternations with a GATE in some alternative (chevrotain\'s hasPredicates).',
    'export const GATED_DECISIONS: string[] = [',
    ...gated,
    '];',
    '',
  ].join('\n');
}
