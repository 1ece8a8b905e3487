// HEAD macros (`macro name($var, @map, expr) { … }`), expanded on the AST
// before type checking: every call `name(args)` (or a bare `name` for a
// macro without parameters) becomes a BlockExpr holding a copy of the body.
//
// Hygiene, as HEAD: the body sees only what is passed in. A `$var`
// parameter is the caller's variable (by reference) when a variable is
// passed, else a fresh variable holding the argument's value; `@map`
// parameters must be given a map; an `expr` parameter is replaced by the
// argument expression wherever it appears. Other variables of the body are
// renamed `$$name_N_x` (N counts expansions), so they never meet the caller's.
// Maps that are not parameters are an error.
import type { BlockExpr, CallExpr, Expr, Loc, MacroDecl, Program, Stmt } from './nodes';
import type { Diagnostic } from '../diagnostics';

type AnyNode = { kind: string; [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

export function expandMacros(program: Program, builtinNames: Set<string>): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  if (!program.macros?.length) return diagnostics;
  const error = (message: string, loc: Loc) => diagnostics.push({ level: 'ERROR', message, loc });
  const macros = new Map<string, MacroDecl[]>();
  for (const m of program.macros) {
    const same = macros.get(m.name) ?? [];
    if (same.some((x) => x.params.length === m.params.length)) error(`Redefinition of macro: ${m.name}`, m.nameLoc);
    else same.push(m);
    macros.set(m.name, same);
  }
  let expansions = 0;

  const expandCall = (call: CallExpr | Extract<Expr, { kind: 'Identifier' }>, m: MacroDecl, stack: string[]): BlockExpr => {
    const n = expansions++;
    const args = call.kind === 'Call' ? call.args : [];
    const prelude: Stmt[] = [];
    const vars = new Map<string, string>();
    const maps = new Map<string, string>();
    const exprs = new Map<string, Expr>();
    m.params.forEach((p, i) => {
      const arg = args[i];
      if (p.form === 'variable') {
        if (arg.kind === 'Variable') {
          vars.set(p.name, arg.name);
        } else {
          const temp = `$$${m.name}_${n}_${p.name.slice(1)}`;
          vars.set(p.name, temp);
          prelude.push({ kind: 'Let', variable: { kind: 'Variable', name: temp, loc: arg.loc }, value: arg, loc: arg.loc });
        }
      } else if (p.form === 'map') {
        if (arg.kind === 'Map' && arg.keys.length === 0) maps.set(p.name, arg.name);
        else {
          error(`Mismatched arg to macro call. Macro expects a map for arg ${p.name} but got an expression.`, arg.loc);
          maps.set(p.name, p.name); // reported once, not again at every use
        }
      } else {
        exprs.set(p.name, arg);
      }
    });
    const copy = structuredClone({ stmts: m.body.stmts, value: m.value });
    const rename = (node: AnyNode): AnyNode => {
      if (node.kind === 'Variable') {
        node.name = vars.get(node.name) ?? `$$${m.name}_${n}_${node.name.slice(1)}`;
      } else if (node.kind === 'Map') {
        const target = maps.get(node.name);
        if (target) node.name = target;
        else error(`Unhygienic access to map: ${node.name}. Maps must be passed into the macro as arguments.`, node.loc);
      } else if (node.kind === 'Identifier' && exprs.has(node.name)) {
        return structuredClone(exprs.get(node.name)!) as AnyNode;
      } else if (node.kind === 'Assign' && node.target.kind === 'Identifier' && exprs.has(node.target.name)) {
        error(`Macro '${m.name}' assigns to parameter '${node.target.name}', meaning it expects a variable, not an expression.`, node.loc);
      }
      return node;
    };
    const body = rewrite(copy, rename) as { stmts: Stmt[]; value?: Expr };
    const inner = [...stack, m.name];
    const expanded = rewrite(body, (node) => expandNode(node, inner)) as typeof body;
    return { kind: 'BlockExpr', stmts: [...prelude, ...expanded.stmts], value: expanded.value, macro: m.name, loc: call.loc };
  };

  const expandNode = (node: AnyNode, stack: string[]): AnyNode => {
    if (node.kind !== 'Call' && node.kind !== 'Identifier') return node;
    const candidates = macros.get(node.name);
    if (!candidates) return node;
    const arity = node.kind === 'Call' ? node.args.length : 0;
    const m = candidates.find((x) => x.params.length === arity);
    if (!m) {
      if (node.kind === 'Call' && !builtinNames.has(node.name)) {
        const want = candidates.map((x) => x.params.length).join(' or ');
        error(`Macro '${node.name}' expects ${want} argument${want === '1' ? '' : 's'} (${arity} provided)`, node.loc);
      }
      return node;
    }
    if (stack.includes(m.name)) {
      error(`Recursive macro call detected. Call chain: ${[...stack, m.name].join(' > ')}`, node.loc);
      return node;
    }
    return expandCall(node as CallExpr, m, stack);
  };

  for (const probe of program.probes) {
    probe.body = rewrite(probe.body, (node) => expandNode(node, [])) as typeof probe.body;
    if (probe.predicate) probe.predicate = rewrite(probe.predicate, (node) => expandNode(node, [])) as Expr;
  }
  return diagnostics;
}

/**
 * Rebuilds `node` bottom-up, children first, replacing each AST node by
 * `f(node)`. Locations and types are data, not children.
 */
function rewrite(node: unknown, f: (n: AnyNode) => AnyNode): unknown {
  if (Array.isArray(node)) return node.map((x) => rewrite(x, f));
  if (!node || typeof node !== 'object') return node;
  const n = node as AnyNode;
  for (const [k, v] of Object.entries(n)) {
    if (k === 'loc' || k === 'type' || k.endsWith('Loc')) continue;
    if (v && typeof v === 'object') n[k] = rewrite(v, f);
  }
  return typeof n.kind === 'string' ? f(n) : n;
}
