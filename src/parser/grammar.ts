// The grammar as readable EBNF and chevrotain railroad diagrams, both derived
// from the parser itself so they cannot drift (test/grammar.test.ts checks
// the files in grammar/ are current; `npm run grammar` rewrites them).
import { createSyntaxDiagramsCode, ISerializedGast } from 'chevrotain';
import { getParser, tokenDisplayName } from './index';
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
