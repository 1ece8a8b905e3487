// Limits on literals that bpftrace enforces before code generation:
//   * a string literal longer than BPFTRACE_STRLEN - 1 bytes does not fit the
//     string type (bpftrace 0.17: `String is too long (over 64 bytes): …`),
//     except where the text never reaches BPF code (printf's format, the
//     format of time()/strftime(), the command of system(), the path of cat());
//   * dividing by a constant zero. bpftrace 0.17 accepts it and BPF quietly
//     yields 0; tstrace rejects it (docs/compat.md).
import type { AssignStmt, Expr, Loc, Program } from '../ast/nodes';
import type { DiagnosticBag } from '../diagnostics';

/** Calls whose first argument is a compile-time string, kept out of BPF code. */
const COMPILE_TIME_FIRST_ARG = new Set(['printf', 'time', 'strftime', 'system', 'cat']);
/** Calls evaluated entirely at compile time (HEAD): none of their arguments reaches BPF code. */
const COMPILE_TIME_CALLS = new Set(['fail', 'static_assert']);

interface LiteralCheck {
  strlen: number;
  params: string[];
  diags: DiagnosticBag;
}

/** The value of an integer constant: a literal, -literal, a cast of one, or a numeric positional parameter. */
function constantValue(e: Expr, params: string[]): bigint | undefined {
  switch (e.kind) {
    case 'Int': return e.value;
    case 'Unary': {
      const v = e.op === '-' ? constantValue(e.operand, params) : undefined;
      return v === undefined ? undefined : -v;
    }
    case 'Cast': return e.pointerDepth === 0 ? constantValue(e.expr, params) : undefined;
    case 'Param': {
      const text = e.count ? String(params.length) : params[e.index - 1];
      return text !== undefined && /^[0-9]+$/.test(text) ? BigInt(text) : undefined;
    }
    default: return undefined;
  }
}

function spanning(a: Loc, b: Loc): Loc {
  return { file: a.file, line: a.line, col: a.col, endLine: b.endLine, endCol: b.endCol };
}

function divisorIsZero(op: string, divisor: Expr, loc: Loc, c: LiteralCheck): void {
  if ((op === '/' || op === '%') && constantValue(divisor, c.params) === 0n) {
    c.diags.error(`${op === '/' ? 'Division' : 'Modulo'} by zero (the divisor is the constant 0)`, loc);
  }
}

function visit(node: unknown, c: LiteralCheck, exempt?: unknown): void {
  if (Array.isArray(node)) {
    for (const n of node) visit(n, c, exempt);
    return;
  }
  if (!node || typeof node !== 'object' || !('kind' in node)) return;
  const n = node as Expr | AssignStmt;
  if (n.kind === 'String' && n !== exempt && Buffer.byteLength(n.value, 'latin1') > c.strlen - 1) {
    c.diags.error(`String is too long (over ${c.strlen} bytes): ${n.value}`, n.loc);
  }
  if (n.kind === 'Call' && COMPILE_TIME_CALLS.has(n.name)) return;
  if (n.kind === 'Binary') divisorIsZero(n.op, n.right, spanning(n.left.loc, n.right.loc), c);
  if (n.kind === 'Assign') divisorIsZero(n.op.slice(0, -1), n.value, spanning(n.target.loc, n.value.loc), c);
  const firstArgExempt = n.kind === 'Call' && COMPILE_TIME_FIRST_ARG.has(n.name) ? n.args[0] : undefined;
  for (const [key, value] of Object.entries(n)) {
    if (key !== 'loc' && key !== 'type' && typeof value === 'object') visit(value, c, firstArgExempt);
  }
}

export function checkLiterals(program: Program, options: LiteralCheck): void {
  for (const p of program.probes) {
    visit(p.predicate, options);
    visit(p.body, options);
  }
}
