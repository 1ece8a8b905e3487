// Lexer, parser and type checker: the AST they build and the exact
// diagnostics they print (bpftrace's format, spec §7).
import { describe, it, expect } from 'vitest';
import { tokenize } from '../src/lexer';
import { parse } from '../src/parser';
import { check } from '../src/checker';
import { CompileError, formatDiagnostic } from '../src/diagnostics';
import { typeName } from '../src/checker/types';
import type { Expr, Stmt } from '../src/ast/nodes';

/** Every diagnostic of a failing compile, formatted as tstrace prints it. */
function errorsOf(source: string, phase: 'parse' | 'check' = 'check', file = 'stdin'): string {
  try {
    const ast = parse(source, file);
    if (phase === 'check') check(ast);
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics.map((d) => formatDiagnostic(d, source)).join('');
    throw e;
  }
  throw new Error('expected a compile error');
}

function firstStmt(source: string): Stmt {
  return parse(source).probes[0].body.stmts[0];
}

function exprOf(source: string): Expr {
  const s = firstStmt(`BEGIN { ${source}; }`);
  if (s.kind === 'ExprStmt') return s.expr;
  if (s.kind === 'Assign') return s.value;
  throw new Error(`unexpected ${s.kind}`);
}

/** Fully parenthesised form of an expression, to check precedence. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'Int': return e.value.toString();
    case 'Binary': return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'Unary': return `(${e.op}${show(e.operand)})`;
    case 'Ternary': return `(${show(e.cond)} ? ${show(e.then)} : ${show(e.else)})`;
    case 'Variable': case 'Identifier': return e.name;
    case 'Cast': return `((${e.typeName})${show(e.expr)})`;
    case 'Field': return `${show(e.object)}${e.arrow ? '->' : '.'}${e.field}`;
    case 'Map': return `${e.name}[${e.keys.map(show).join(', ')}]`;
    default: return e.kind;
  }
}

describe('lexer', () => {
  it('tokenizes attach points, maps, variables and operators', () => {
    const { tokens, errors } = tokenize('t:syscalls:sys_enter_* /pid >= 1/ { @x[$a] += 0x1F; }');
    expect(errors).toEqual([]);
    expect(tokens.map((t) => t.tokenType.name)).toEqual([
      'Identifier', 'Colon', 'Identifier', 'Colon', 'Identifier', 'Star', 'Div', 'Identifier', 'GreaterEq', 'IntLiteral', 'Div',
      'LCurly', 'MapName', 'LBracket', 'Variable', 'RBracket', 'PlusAssign', 'IntLiteral', 'Semicolon', 'RCurly',
    ]);
  });

  it('skips comments and shebang lines, keeps preprocessor lines', () => {
    const { tokens } = tokenize('#!/usr/bin/env bpftrace\n#include <linux/sched.h>\n// c\n/* block\n */ BEGIN {}');
    expect(tokens.map((t) => t.image)).toEqual(['#include <linux/sched.h>', 'BEGIN', '{', '}']);
  });

  it('reports an invalid character', () => {
    expect(errorsOf("BEGIN { $c = `a; }", 'parse')).toContain("ERROR: invalid character '`'");
  });
});

describe('parser', () => {
  it('builds a located AST for the skeleton one-liner', () => {
    const ast = parse('tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }');
    const probe = ast.probes[0];
    expect(probe.attachPoints.map((a) => a.text)).toEqual(['tracepoint:syscalls:sys_enter_openat']);
    expect(probe.attachPoints[0].loc).toEqual({ file: 'stdin', line: 1, col: 1, endLine: 1, endCol: 37 });
    const s = probe.body.stmts[0];
    expect(s.kind).toBe('Assign');
    if (s.kind !== 'Assign') return;
    expect(s.target).toMatchObject({ kind: 'Map', name: '@', keys: [{ kind: 'Identifier', name: 'comm' }] });
    expect(s.value).toMatchObject({ kind: 'Call', name: 'count', args: [] });
    expect(s.opLoc).toMatchObject({ col: 48, endCol: 49 });
  });

  it('accepts angle-bracket action blocks wherever braces are accepted', () => {
    const braces = parse('tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }');
    const angles = parse('tracepoint:syscalls:sys_enter_openat < @[comm] = count(); >');
    const strip = (x: unknown) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'loc' || k === 'opLoc' || k === 'nameLoc' || k === 'angle' ? undefined : v)));
    expect(strip(angles)).toEqual(strip(braces));
    expect(angles.probes[0].body.angle).toBe(true);
  });

  it('uses > inside an angle block as an operator, and as the closer where a statement could start', () => {
    const ast = parse('BEGIN < $a = 2 > 1; if ($a > 0) < @x = 1; > >');
    const stmts = ast.probes[0].body.stmts;
    expect(stmts.map((s) => s.kind)).toEqual(['Assign', 'If']);
    expect(show((stmts[0] as Extract<Stmt, { kind: 'Assign' }>).value)).toBe('(2 > 1)');
  });

  it('parses several probes, attach point lists, predicates and wildcards', () => {
    const ast = parse('BEGIN { } t:syscalls:sys_enter_open*,\n  tracepoint:syscalls:sys_exit_openat /pid == 1 / 2/ { } END { }');
    expect(ast.probes.map((p) => p.attachPoints.map((a) => a.text))).toEqual([
      ['BEGIN'], ['t:syscalls:sys_enter_open*', 'tracepoint:syscalls:sys_exit_openat'], ['END'],
    ]);
    expect(show(ast.probes[1].predicate!)).toBe('(pid == (1 / 2))');
  });

  it('follows bpftrace operator precedence and associativity', () => {
    expect(show(exprOf('1 + 2 * 3 - 4'))).toBe('((1 + (2 * 3)) - 4)');
    expect(show(exprOf('1 | 2 ^ 3 & 4 == 5'))).toBe('(1 | (2 ^ (3 & (4 == 5))))');
    expect(show(exprOf('1 < 2 << 3'))).toBe('(1 < (2 << 3))');
    expect(show(exprOf('$a || $b && $c'))).toBe('($a || ($b && $c))');
    expect(show(exprOf('$a ? 1 : $b ? 2 : 3'))).toBe('($a ? 1 : ($b ? 2 : 3))');
    expect(show(exprOf('-(uint8)$x + ~1'))).toBe('((-((uint8)$x)) + (~1))');
    expect(show(exprOf('args->count * 2'))).toBe('(args->count * 2)');
    expect(show(exprOf('args.count'))).toBe('args.count');
  });

  it('decodes integer literals in every form bpftrace accepts', () => {
    const value = (s: string) => (exprOf(s) as Extract<Expr, { kind: 'Int' }>).value;
    expect(value('0123')).toBe(83n);
    expect(value('1e3')).toBe(1000n);
    expect(value('1_000_000')).toBe(1000000n);
    expect(value('0x1F')).toBe(31n);
    expect(value('5UL')).toBe(5n);
    expect(value('-5')).toBe(-5n);
    expect(value('100ms')).toBe(100_000_000n);
    expect(value('18446744073709551615')).toBe(-1n);
  });

  it('decodes string escapes', () => {
    expect((exprOf('"a\\tb\\n\\x41\\101\\\\\\""') as Extract<Expr, { kind: 'String' }>).value).toBe('a\tb\nAA\\"');
  });

  it('parses if/else if/else, while, unroll and jumps', () => {
    const ast = parse('BEGIN { if ($a) { } else if ($b) { } else { } while (1) { break; continue; } unroll(3) { return; } }');
    expect(ast.probes[0].body.stmts.map((s) => s.kind)).toEqual(['If', 'While', 'Unroll']);
  });

  it('reports syntax errors like bpftrace (spec §7.2)', () => {
    expect(errorsOf('BEGIN { printf("hi\\n") ', 'parse')).toBe(
      'stdin:1:24-24: ERROR: syntax error, unexpected end of file, expecting }\nBEGIN { printf("hi\\n") \n                       \n');
    expect(errorsOf('BEGIN { x = 1; }', 'parse')).toBe(
      'stdin:1:11-12: ERROR: syntax error, unexpected =, expecting }\nBEGIN { x = 1; }\n          ~\n');
    expect(errorsOf('BEGIN { $a = 1 $b = 2 }', 'parse')).toBe(
      'stdin:1:16-18: ERROR: syntax error, unexpected variable, expecting }\nBEGIN { $a = 1 $b = 2 }\n               ~~\n');
  });

  it('reports literal errors', () => {
    expect(errorsOf('BEGIN { print(10e3); }', 'parse')).toContain('ERROR: Coefficient part of scientific literal must be in range (0,9), got: 10');
    expect(errorsOf('BEGIN { printf("\\q"); }', 'parse')).toContain("ERROR: invalid escape character '\\q'");
    expect(errorsOf('BEGIN { printf("abc); }', 'parse')).toContain('ERROR: unterminated string');
    expect(errorsOf('BEGIN { $t = (1,2); $t.0 = 5; }', 'parse')).toBe(
      'stdin:1:21-29: ERROR: Tuples are immutable once created. Consider creating a new tuple and assigning it instead.\nBEGIN { $t = (1,2); $t.0 = 5; }\n                    ~~~~~~~~\n');
  });

  it('shows tabs as four spaces but counts them as one column', () => {
    const src = 'BEGIN\n{\n\t$x = 1;\n\t@y = $z;\n}\n';
    expect(errorsOf(src, 'check', '/tmp/bt/bad2.bt')).toBe(
      '/tmp/bt/bad2.bt:4:7-9: ERROR: Undefined or undeclared variable: $z\n    @y = $z;\n         ~~\n');
  });
});

describe('type checker', () => {
  function typed(source: string): string {
    const ast = parse(`BEGIN { $v = ${source}; }`);
    check(ast);
    const s = ast.probes[0].body.stmts[0] as Extract<Stmt, { kind: 'Assign' }>;
    return typeName(s.value.type!);
  }

  it('types literals and builtins as bpftrace 0.17 does', () => {
    expect(typed('1')).toBe('int64');
    expect(typed('pid')).toBe('unsigned int64');
    expect(typed('comm')).toBe('string[16]');
    expect(typed('"abc"')).toBe('string[4]');
    expect(typed('(uint8)300')).toBe('unsigned int8');
    expect(typed('(1, "two")')).toBe('(int64,string[4])');
  });

  it('makes arithmetic signed only when both operands are signed', () => {
    expect(typed('1 + 2')).toBe('int64');
    expect(typed('1 + pid')).toBe('unsigned int64');
    expect(typed('(int32)1 * (int8)2')).toBe('int64');
    expect(typed('1 == 2')).toBe('int64');
  });

  it('types tracepoint args from the tracefs format', () => {
    const ast = parse('tracepoint:syscalls:sys_enter_openat { $f = args->filename; $d = args.dfd; $m = args->mode; }');
    check(ast);
    const types = ast.probes[0].body.stmts.map((s) => typeName((s as Extract<Stmt, { kind: 'Assign' }>).value.type!));
    expect(types).toEqual(['int8 *', 'int32', 'unsigned int16']);
  });

  it('fixes map key and value types across probes', () => {
    const program = check(parse('BEGIN { @a[1, "x"] = count(); } END { @b = @c; } interval:s:1 { @c = "str"; }'));
    expect(program.maps.map((m) => `${m.name}[${m.keyTypes.map(typeName).join(',')}]: ${typeName(m.valueType)}`)).toEqual([
      '@a[unsigned int64,string[2]]: count', '@c[]: string[4]', '@b[]: string[4]',
    ]);
  });

  it('reports type errors with bpftrace messages and locations (spec §7.2)', () => {
    expect(errorsOf('BEGIN { printf("%d\\n", "str"); exit(); }')).toBe(
      'stdin:1:9-30: ERROR: printf: %d specifier expects a value of type integer (string supplied)\nBEGIN { printf("%d\\n", "str"); exit(); }\n        ~~~~~~~~~~~~~~~~~~~~~\n');
    expect(errorsOf('BEGIN { $x = 1; $x = "a"; }')).toBe(
      "stdin:1:20-21: ERROR: Type mismatch for $x: trying to assign value of type 'string[2]' when variable already contains a value of type 'int64'\nBEGIN { $x = 1; $x = \"a\"; }\n                   ~\n");
    expect(errorsOf('BEGIN { @x = foo(1); }')).toBe('stdin:1:14-17: ERROR: Unknown function: foo\nBEGIN { @x = foo(1); }\n             ~~~\n');
    expect(errorsOf('BEGIN { $a = $b + 1; }')).toBe('stdin:1:14-16: ERROR: Undefined or undeclared variable: $b\nBEGIN { $a = $b + 1; }\n             ~~\n');
    expect(errorsOf('BEGIN { @a[1] = 1; @a["s"] = 2; }')).toBe(
      'stdin:1:20-27: ERROR: Argument mismatch for @a: trying to access with arguments: [string[2]] when map expects arguments: [unsigned int64]\nBEGIN { @a[1] = 1; @a["s"] = 2; }\n                   ~~~~~~~\n');
    expect(errorsOf('BEGIN { @ = count(); @ = 5; }')).toBe(
      "stdin:1:22-23: ERROR: Type mismatch for @: trying to assign value of type 'int64' when map already contains a value of type 'count\nBEGIN { @ = count(); @ = 5; }\n                     ~\n");
    expect(errorsOf('BEGIN { $x = 1 + "a"; }')).toBe(
      "stdin:1:14-21: ERROR: Type mismatch for '+': comparing 'int64' with 'string[2]'\nBEGIN { $x = 1 + \"a\"; }\n             ~~~~~~~\n");
    expect(errorsOf('BEGIN { break; }')).toBe('stdin:1:9-14: ERROR: break used outside of a loop\nBEGIN { break; }\n        ~~~~~\n');
    expect(errorsOf('BEGIN { unroll(200) { } }')).toBe('stdin:1:9-20: ERROR: unroll maximum value is 100\nBEGIN { unroll(200) { } }\n        ~~~~~~~~~~~\n');
    expect(errorsOf('BEGIN { $x = count(); }')).toContain('ERROR: count() should be directly assigned to a map');
  });

  it('reports every error of the pass at once', () => {
    const out = errorsOf('BEGIN { printf("%d\\n", @x); }');
    expect(out).toBe(
      'stdin:1:24-26: ERROR: Undefined map: @x\nBEGIN { printf("%d\\n", @x); }\n                       ~~\n' +
      'stdin:1:9-27: ERROR: printf: %d specifier expects a value of type integer (none supplied)\nBEGIN { printf("%d\\n", @x); }\n        ~~~~~~~~~~~~~~~~~~\n');
  });

  it('reports probe errors at the attach point', () => {
    expect(errorsOf('tracepoint:nope:nope { }')).toBe('stdin:1:1-21: ERROR: tracepoint not found: nope:nope\ntracepoint:nope:nope { }\n~~~~~~~~~~~~~~~~~~~~\n');
    expect(errorsOf('interval:m:1 { }')).toBe('stdin:1:1-13: ERROR: m is not an accepted unit of time\ninterval:m:1 { }\n~~~~~~~~~~~~\n');
    expect(errorsOf('foo:bar { }')).toContain('ERROR: Invalid probe type: foo');
  });

  it('suggests the closest name for misspellings', () => {
    expect(errorsOf('BEGIN { @x = cout(); }')).toContain("Unknown function: cout; did you mean 'count'?");
    expect(errorsOf('tracepoint:syscalls:sys_enter_openat { @ = args->filenam; }')).toContain("does not contain a field named 'filenam'; did you mean 'filename'?");
  });

  it('warns about signed division and mixed-sign comparisons', () => {
    const program = check(parse('BEGIN { $x = (int32)-1; $y = (uint32)1; if ($x < $y) {} $z = $x / 2; }'));
    expect(program.warnings.map((w) => w.message)).toEqual([
      "comparison of integers of different signs: 'int32' and 'unsigned int32' can lead to undefined behavior",
      "signed operands for '/' can lead to undefined behavior (cast to unsigned to silence warning)",
    ]);
  });
});

describe('HEAD language constructs (let, for, config, sizeof, #define, ?:, $t[i])', () => {
  it('parses let declarations with and without type and value', () => {
    const stmts = parse('BEGIN { let $a; let $b = 1 + 2; let $c: uint16 = 5; let $d: int8; }').probes[0].body.stmts;
    expect(stmts.map((s) => s.kind)).toEqual(['Let', 'Let', 'Let', 'Let']);
    const [a, b, c, d] = stmts as Extract<Stmt, { kind: 'Let' }>[];
    expect([a.variable.name, a.typeName, a.value]).toEqual(['$a', undefined, undefined]);
    expect(show(b.value!)).toBe('(1 + 2)');
    expect([c.typeName, show(c.value!)]).toEqual(['uint16', '5']);
    expect([d.typeName, d.value]).toEqual(['int8', undefined]);
    expect(c.loc).toMatchObject({ line: 1, col: 33, endCol: 51 });
  });

  it('types let variables from the declared type or the value', () => {
    const ast = parse('BEGIN { let $a: uint16 = 5; let $b = "xy"; $a = 70000; $c = $a; }');
    check(ast);
    const s = ast.probes[0].body.stmts as Extract<Stmt, { kind: 'Let' | 'Assign' }>[];
    expect(typeName((s[0] as Extract<Stmt, { kind: 'Let' }>).variable.type!)).toBe('unsigned int16');
    expect(typeName((s[1] as Extract<Stmt, { kind: 'Let' }>).variable.type!)).toBe('string[3]');
    expect(typeName((s[3] as Extract<Stmt, { kind: 'Assign' }>).value.type!)).toBe('unsigned int16');
  });

  it('scopes let to its block, keeps 0.17 probe scope for plain assignment', () => {
    expect(() => check(parse('BEGIN { if (1) { $a = 1; } $b = $a; }'))).not.toThrow();
    expect(errorsOf('BEGIN { if (1) { let $a = 1; } $b = $a; }')).toBe(
      'stdin:1:37-39: ERROR: Undefined or undeclared variable: $a\nBEGIN { if (1) { let $a = 1; } $b = $a; }\n                                    ~~\n',
    );
    // Sibling blocks may each declare the same name.
    expect(() => check(parse('BEGIN { if (1) { let $a = 1; } else { let $a = "s"; } }'))).not.toThrow();
  });

  it('rejects redeclaration and shadowing with a location', () => {
    expect(errorsOf('BEGIN { let $a = 1; let $a = 2; }')).toBe(
      'stdin:1:25-27: ERROR: Variable $a was already declared. Variable shadowing is not allowed.\nBEGIN { let $a = 1; let $a = 2; }\n                        ~~\n',
    );
    expect(errorsOf('BEGIN { let $a; if (1) { let $a; } }')).toBe(
      'stdin:1:30-32: ERROR: Variable $a was already declared. Variable shadowing is not allowed.\nBEGIN { let $a; if (1) { let $a; } }\n                             ~~\n',
    );
    expect(errorsOf('BEGIN { let $a: string = 1; }')).toBe(
      'stdin:1:17-23: ERROR: Unsupported type for a variable declaration: string\nBEGIN { let $a: string = 1; }\n                ~~~~~~\n',
    );
  });

  it('parses for ranges and checks their bounds and scope', () => {
    const s = firstStmt('BEGIN { for ($i : 0..$n + 1) { break; } }') as Extract<Stmt, { kind: 'For' }>;
    expect(s.kind).toBe('For');
    expect(s.variable.name).toBe('$i');
    expect([show(s.start), show(s.end)]).toEqual(['0', '($n + 1)']);
    expect(s.loc).toMatchObject({ line: 1, col: 9, endCol: 40 });
    expect(() => check(parse('BEGIN { for ($i : 0..5) { continue; } for ($i : 1..2) { $x = $i; } }'))).not.toThrow();
    expect(errorsOf('BEGIN { for ($i : 0.."a") { } }')).toBe(
      'stdin:1:22-25: ERROR: Loop range requires an integer, got string[2]\nBEGIN { for ($i : 0.."a") { } }\n                     ~~~\n',
    );
    expect(errorsOf('BEGIN { for ($i : 0..2) { } $x = $i; }')).toBe(
      'stdin:1:34-36: ERROR: Undefined or undeclared variable: $i\nBEGIN { for ($i : 0..2) { } $x = $i; }\n                                 ~~\n',
    );
    expect(errorsOf('BEGIN { $i = 1; for ($i : 0..2) { } }')).toBe(
      'stdin:1:22-24: ERROR: Variable $i was already declared. Variable shadowing is not allowed.\nBEGIN { $i = 1; for ($i : 0..2) { } }\n                     ~~\n',
    );
  });

  it('parses a config block before the probes', () => {
    const ast = parse('config = { max_map_keys = 100; stack_mode = perf; s = "x"; b = true } BEGIN {}');
    expect(ast.config!.map((e) => [e.name, e.value])).toEqual([['max_map_keys', 100n], ['stack_mode', 'perf'], ['s', 'x'], ['b', 'true']]);
    expect(ast.config![0].loc).toMatchObject({ line: 1, col: 12, endCol: 30 });
    expect(parse('config = {} BEGIN {}').config).toEqual([]);
    expect(errorsOf('config = { max_map_keys = "x" } BEGIN {}')).toBe(
      'stdin:1:12-30: ERROR: Invalid value for max_map_keys: expected a positive integer\nconfig = { max_map_keys = "x" } BEGIN {}\n           ~~~~~~~~~~~~~~~~~~\n',
    );
    const checked = check(parse('config = { foo = 1 } BEGIN {}'));
    expect(checked.warnings.map((w) => w.message)).toEqual(['config variable foo is not supported by tstrace and is ignored']);
  });

  it('computes sizeof of integer types and typed expressions', () => {
    const sizes = (src: string) => {
      const ast = parse(`BEGIN { $b = (uint32)1; @ = (${src}); }`);
      check(ast);
      const e = (ast.probes[0].body.stmts[1] as Extract<Stmt, { kind: 'Assign' }>).value;
      return e.kind === 'Tuple' ? e.elems.map((x) => (x as { size?: number }).size) : [];
    };
    expect(sizes('sizeof(uint8), sizeof(int16), sizeof(uint32), sizeof(int64), sizeof($b), sizeof("abc"), sizeof(1 + 2)')).toEqual([1, 2, 4, 8, 4, 4, 8]);
    expect(errorsOf('BEGIN { @ = sizeof(struct foo); }')).toBe(
      'stdin:1:13-31: ERROR: Unknown identifier: \'struct foo\'\nBEGIN { @ = sizeof(struct foo); }\n            ~~~~~~~~~~~~~~~~~~\n',
    );
  });

  it('expands #define object-like macros before parsing', () => {
    const ast = parse('#define FOO 42\n#define BAR (FOO + 1)\nBEGIN { @ = BAR * FOO; }');
    expect(ast.preamble.map((p) => p.text)).toEqual(['#define FOO 42', '#define BAR (FOO + 1)']);
    expect(show((ast.probes[0].body.stmts[0] as Extract<Stmt, { kind: 'Assign' }>).value)).toBe('((42 + 1) * 42)');
    expect(errorsOf('#define A A\nBEGIN { @ = A; }', 'parse')).toMatch(/^stdin:2:13-14: ERROR: Macro recursion limit reached: A\n/);
  });

  it('parses the elvis operator and tuple indexing with []', () => {
    const e = exprOf('$a ?: 7') as Extract<Expr, { kind: 'Ternary' }>;
    expect([e.kind, e.elvis, show(e.cond), show(e.else)]).toEqual(['Ternary', true, '$a', '7']);
    expect(show(exprOf('1 ? 2 : 3 ?: 4'))).toBe('(1 ? 2 : (3 ? 3 : 4))');
    const ast = parse('BEGIN { $t = (1, "a"); $x = $t[1]; }');
    check(ast);
    expect(typeName((ast.probes[0].body.stmts[1] as Extract<Stmt, { kind: 'Assign' }>).value.type!)).toBe('string[2]');
    expect(errorsOf('BEGIN { $t = (1, "a"); $x = $t[2]; }')).toBe(
      'stdin:1:29-34: ERROR: Invalid tuple index: 2. Found 2 elements in tuple.\nBEGIN { $t = (1, "a"); $x = $t[2]; }\n                            ~~~~~\n',
    );
  });
});
