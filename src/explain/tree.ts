// The AST as an indented tree, one node per line with its source range, for
// `-d ast` / `-d types` and the explorer. With types, every expression shows
// the type the checker gave it.
import type { Loc, Node } from '../ast/nodes';
import { typeName } from '../checker/types';
import type { StageLine } from './index';

// Scalar fields worth showing next to the node kind.
const LABELS = ['name', 'op', 'text', 'field', 'typeName', 'jump', 'index'] as const;

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string' && 'loc' in v;
}

function label(n: Node): string {
  const parts: string[] = [n.kind];
  const rec = n as unknown as Record<string, unknown>;
  for (const k of LABELS) {
    const v = rec[k];
    if (typeof v === 'string' || typeof v === 'number') parts.push(k === 'index' && n.kind === 'Param' ? `$${v}` : JSON.stringify(v));
  }
  if ('value' in n && (typeof n.value === 'bigint' || typeof n.value === 'boolean' || typeof n.value === 'string')) {
    parts.push(typeof n.value === 'string' ? JSON.stringify(n.value) : String(n.value));
  }
  return parts.join(' ');
}

export function locText(l: Loc): string {
  return l.line === l.endLine ? `${l.line}:${l.col}-${l.endCol}` : `${l.line}:${l.col}-${l.endLine}:${l.endCol}`;
}

export function astLines(root: Node, withTypes: boolean): StageLine[] {
  const out: StageLine[] = [];
  const seen = new Set<Node>();
  const visit = (n: Node, depth: number, role: string) => {
    // `?:` shares its condition node with `then`; print it once.
    if (seen.has(n)) return;
    seen.add(n);
    const type = withTypes && 'type' in n && n.type ? ` : ${typeName(n.type)}` : '';
    out.push({ text: `${'  '.repeat(depth)}${role}${label(n)}${type}  [${locText(n.loc)}]`, loc: n.loc });
    for (const [key, v] of Object.entries(n)) {
      if (key === 'loc' || key === 'type') continue;
      if (isNode(v)) visit(v, depth + 1, `${key}: `);
      else if (Array.isArray(v)) v.forEach((x, i) => isNode(x) && visit(x, depth + 1, `${key}[${i}]: `));
    }
  };
  visit(root, 0, '');
  return out;
}
