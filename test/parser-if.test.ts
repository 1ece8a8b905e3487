// `if` conditions: which form a `(` after `if` starts. The parser decides with
// a gate (src/parser/index.ts parenthesisedCondition) instead of chevrotain's
// 3-token lookahead, which cost ~50 ms at every cold start; these pin the
// decision: `if (c) {` is the 0.17 form, anything else starting with `(` is
// HEAD's `if expr {`, and the error messages stay bpftrace's.
import { describe, it, expect } from 'vitest';
import { parse } from '../src/parser';
import { CompileError, formatDiagnostic } from '../src/diagnostics';
import type { Stmt } from '../src/ast/nodes';

function firstIf(source: string): Extract<Stmt, { kind: 'If' }> {
  const s = parse(source).probes[0].body.stmts[0];
  if (s.kind !== 'If') throw new Error(`not an if: ${s.kind}`);
  return s;
}

function errors(source: string): string {
  try {
    parse(source);
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics.map((d) => formatDiagnostic(d, source)).join('');
    throw e;
  }
  throw new Error('expected a syntax error');
}

describe('if conditions starting with (', () => {
  it('`if (c) {` and `if ((c)) {`: the parenthesised form', () => {
    expect(firstIf('BEGIN { if ($x == 1) { } }').cond).toMatchObject({ kind: 'Binary', op: '==' });
    expect(firstIf('BEGIN { if (($x)) { } }').cond).toMatchObject({ kind: 'Variable', name: '$x' });
    expect(firstIf('BEGIN { if (1) < $x = 2; > }').then).toMatchObject({ angle: true });
  });

  it('an expression that only starts with ( is HEAD\'s `if expr`', () => {
    expect(firstIf('BEGIN { if ($x) + 2 > 3 { } }').cond).toMatchObject({ kind: 'Binary', op: '>', left: { kind: 'Binary', op: '+' } });
    expect(firstIf('BEGIN { if (1, 2).0 { } }').cond).toMatchObject({ kind: 'TupleIndex', index: 0 });
    expect(firstIf('BEGIN { if (struct task_struct *)curtask { } }').cond).toMatchObject({ kind: 'Cast', typeName: 'struct task_struct', pointerDepth: 1 });
  });

  it('else if chains keep both forms', () => {
    const s = firstIf('BEGIN { if ($x) { } else if ($y) + 1 { } else { } }');
    expect(s.else?.stmts[0]).toMatchObject({ kind: 'If', cond: { kind: 'Binary', op: '+' } });
  });

  it('errors read as bpftrace 0.17\'s', () => {
    // bpftrace 0.17: "stdin:1:15-16: ERROR: syntax error, unexpected {, expecting )"
    expect(errors('BEGIN { if (1 { } }')).toContain('stdin:1:15-16: ERROR: syntax error, unexpected {, expecting )');
    expect(errors('BEGIN { if ) { } }')).toContain('syntax error, unexpected ), expecting (');
  });
});
