// AST → bpftrace source. One entry point: `printProgram(program)`.
//
// The output parses back to the same AST (ignoring locations) and printing
// is idempotent: test/print.test.ts checks both on every example, every
// /usr/sbin/*.bt and the parser tests. Parentheses are printed only where
// precedence needs them; operators and their operands are spaced so that no
// two tokens glue together (`a - -5`, `& &x`).
import type {
  Block, ConfigEntry, Expr, MacroDecl, Probe, Program, Stmt, BinaryOp,
} from './nodes';

const INDENT = '  ';

export function printProgram(program: Program): string {
  const parts: string[] = [];
  if (program.preamble.length) parts.push(program.preamble.map((p) => p.text).join('\n'));
  // C definitions as written (src/ctypes parses their text).
  for (const c of program.cDefinitions ?? []) parts.push(c.text);
  if (program.config) parts.push(printConfig(program.config));
  // The AST keeps macros apart from probes; HEAD accepts them in any order.
  for (const m of program.macros ?? []) parts.push(printMacro(m));
  for (const p of program.probes) parts.push(printProbe(p));
  return parts.join('\n\n') + '\n';
}

function printConfig(entries: ConfigEntry[]): string {
  if (entries.length === 0) return 'config = { }';
  const body = entries.map((e) => `${INDENT}${e.name} = ${configValue(e.value)};`).join('\n');
  return `config = {\n${body}\n}`;
}

function configValue(v: bigint | string): string {
  if (typeof v === 'bigint') return v.toString();
  // Bare identifiers (stack_mode = perf, true/false) and strings both parse to text.
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(v) ? v : printString(v);
}

function printMacro(m: MacroDecl): string {
  const params = m.params.map((p) => p.name).join(', ');
  const lines = m.body.stmts.map((s) => printStmt(s, 1));
  if (m.value) lines.push(INDENT + printExpr(m.value));
  return `macro ${m.name}(${params}) {\n${lines.join('\n')}${lines.length ? '\n' : ''}}`;
}

export function printProbe(p: Probe): string {
  const head = p.attachPoints.map((a) => a.text).join(',\n');
  const predicate = p.predicate ? `\n/${printExpr(p.predicate)}/` : '';
  return `${head}${predicate}\n${printBlock(p.body, 0)}`;
}

function printBlock(b: Block, depth: number): string {
  const [open, close] = b.angle ? ['<', '>'] : ['{', '}'];
  if (b.stmts.length === 0) return `${open} ${close}`;
  const inner = b.stmts.map((s) => printStmt(s, depth + 1)).join('\n');
  return `${open}\n${inner}\n${INDENT.repeat(depth)}${close}`;
}

export function printStmt(s: Stmt, depth: number): string {
  const pad = INDENT.repeat(depth);
  switch (s.kind) {
    case 'ExprStmt': return `${pad}${printExpr(s.expr)};`;
    case 'Assign': return `${pad}${printExpr(s.target)} ${s.op} ${printExpr(s.value)};`;
    case 'Let': {
      const type = s.typeName !== undefined ? `: ${s.typeName}` : '';
      const value = s.value ? ` = ${printExpr(s.value)}` : '';
      return `${pad}let ${s.variable.name}${type}${value};`;
    }
    case 'Jump': return `${pad}${s.jump};`;
    case 'If': return pad + printIf(s, depth);
    case 'While': return `${pad}while (${printExpr(s.cond)}) ${printBlock(s.body, depth)}`;
    case 'Unroll': return `${pad}unroll (${printExpr(s.count)}) ${printBlock(s.body, depth)}`;
    case 'For': return `${pad}for (${s.variable.name} : ${printExpr(s.start)}..${printExpr(s.end)}) ${printBlock(s.body, depth)}`;
    case 'ForMap': return `${pad}for (${s.variable.name} : ${printExpr(s.map)}) ${printBlock(s.body, depth)}`;
  }
}

function printIf(s: Extract<Stmt, { kind: 'If' }>, depth: number): string {
  let text = `if (${printExpr(s.cond)}) ${printBlock(s.then, depth)}`;
  if (s.else) {
    const only = s.else.stmts.length === 1 && !s.else.angle ? s.else.stmts[0] : undefined;
    text += only?.kind === 'If' ? ` else ${printIf(only, depth)}` : ` else ${printBlock(s.else, depth)}`;
  }
  return text;
}

// ---- expressions ---------------------------------------------------------

/** Binding strength, loosest first, as the parser's rule chain (src/parser). */
const BINARY_PRECEDENCE: Record<BinaryOp, number> = {
  '||': 2, '&&': 3, '|': 4, '^': 5, '&': 6, '==': 7, '!=': 7,
  '<': 8, '<=': 8, '>': 8, '>=': 8, '<<': 9, '>>': 9, '+': 10, '-': 10, '*': 11, '/': 11, '%': 11,
};
const TERNARY = 1;
const UNARY = 12;
const POSTFIX = 13;

function precedence(e: Expr): number {
  switch (e.kind) {
    case 'Ternary': return TERNARY;
    case 'Binary': return BINARY_PRECEDENCE[e.op];
    case 'Unary': case 'Cast': return UNARY;
    case 'IncDec': return e.prefix ? UNARY : POSTFIX;
    // A negative literal is printed with its sign, so it binds like a unary minus.
    case 'Int': return e.value < 0n ? UNARY : POSTFIX;
    default: return POSTFIX;
  }
}

/** `e` printed so that it binds at least as tightly as `min`. */
function operand(e: Expr, min: number): string {
  const text = printExpr(e);
  return precedence(e) < min ? `(${text})` : text;
}

export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'Int': return printInt(e.value);
    case 'String': return printString(e.value);
    case 'Bool': return e.value ? 'true' : 'false';
    case 'Identifier': return e.name;
    case 'Variable': return e.name;
    case 'Map': return e.keys.length ? `${e.name}[${e.keys.map(printExpr).join(', ')}]` : e.name;
    case 'Param': return e.count ? '$#' : `$${e.index}`;
    case 'Call': return `${e.name}(${e.args.map(printExpr).join(', ')})`;
    case 'Tuple': return `(${e.elems.map(printExpr).join(', ')})`;
    case 'Binary': {
      const p = BINARY_PRECEDENCE[e.op];
      // Left-associative: the right operand needs parentheses at equal precedence.
      return `${operand(e.left, p)} ${e.op} ${operand(e.right, p + 1)}`;
    }
    case 'Unary': {
      const inner = operand(e.operand, UNARY);
      // `- -x`, `& &x`, `* *p`: a space keeps the two operators apart (`--`, `&&`).
      const glue = (e.op === '-' && inner.startsWith('-')) || (e.op === '&' && inner.startsWith('&')) ? ' ' : '';
      return `${e.op}${glue}${inner}`;
    }
    case 'IncDec': {
      if (!e.prefix) return `${operand(e.target, POSTFIX)}${e.op}`;
      const inner = operand(e.target, UNARY);
      return `${e.op}${inner.startsWith(e.op[0]) ? ' ' : ''}${inner}`;
    }
    case 'Ternary': {
      const cond = operand(e.cond, TERNARY + 1);
      return e.elvis ? `${cond} ?: ${printExpr(e.else)}` : `${cond} ? ${printExpr(e.then)} : ${printExpr(e.else)}`;
    }
    case 'Field': return `${operand(e.object, POSTFIX)}${e.arrow ? '->' : '.'}${e.field}`;
    case 'Index': return `${operand(e.object, POSTFIX)}[${printExpr(e.index)}]`;
    case 'TupleIndex': return `${operand(e.object, POSTFIX)}.${e.index}`;
    case 'Cast': return `(${e.typeName}${e.pointerDepth ? ' ' + '*'.repeat(e.pointerDepth) : ''})${operand(e.expr, UNARY)}`;
    case 'Sizeof': return `sizeof(${e.typeName ?? printExpr(e.expr!)})`;
    case 'Offsetof': return `offsetof(${e.typeName}, ${e.fields.join('.')})`;
    case 'BlockExpr': {
      // Only after macro expansion (never from the parser): HEAD's block-expression form.
      const stmts = e.stmts.map((s) => printStmt(s, 0)).join(' ');
      return `{ ${stmts}${e.value ? `${stmts ? ' ' : ''}${printExpr(e.value)} ` : ' '}}`;
    }
  }
}

function printInt(v: bigint): string {
  // INT64_MIN has no positive counterpart to negate: write its bit pattern.
  if (v === -(1n << 63n)) return '0x8000000000000000';
  return v.toString();
}

/** A string literal whose escapes decode (src/parser/literals.ts) back to `value`'s bytes. */
export function printString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.charCodeAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code >= 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}
