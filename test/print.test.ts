// The AST printer (src/ast/print.ts): parse → print → parse gives the same
// AST (locations aside), and printing is idempotent, for every script in
// examples/, every /usr/sbin/*.bt Debian ships, and every parser test input.
import { describe, it, expect } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from '../src/parser';
import { printProgram, printExpr } from '../src/ast/print';
import { CompileError } from '../src/diagnostics';
import type { Program } from '../src/ast/nodes';
import { CONSTRUCTS } from './parser-cases';

/** The AST as comparable data: locations dropped, bigints tagged. */
function shape(p: Program): string {
  return JSON.stringify(p, (k, v) => (k === 'loc' || k.endsWith('Loc') ? undefined : typeof v === 'bigint' ? `${v}n` : v));
}

function roundTrip(source: string, file: string): void {
  const ast = parse(source, file);
  const printed = printProgram(ast);
  let again: Program;
  try {
    again = parse(printed, file);
  } catch (e) {
    const d = e instanceof CompileError ? e.diagnostics.map((x) => `${x.loc?.line}:${x.loc?.col} ${x.message}`).join('; ') : String(e);
    throw new Error(`printed ${file} does not parse: ${d}\n${printed}`);
  }
  expect(shape(again), file).toBe(shape(ast));
  expect(printProgram(again), `${file}: printing is idempotent`).toBe(printed);
}

describe('AST printer round trip', () => {
  it('examples/', () => {
    const dir = path.join(__dirname, '../examples');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.bt'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) roundTrip(fs.readFileSync(path.join(dir, f), 'utf8'), f);
  });

  it('every /usr/sbin/*.bt', () => {
    const files = fs.readdirSync('/usr/sbin').filter((f) => f.endsWith('.bt'));
    expect(files.length).toBe(38);
    // Including the C struct definitions of dcsnoop.bt and runqlen.bt.
    for (const f of files) roundTrip(fs.readFileSync(path.join('/usr/sbin', f), 'utf8'), f);
  });

  for (const [name, source] of Object.entries(CONSTRUCTS)) {
    it(`parser test input: ${name}`, () => roundTrip(source, name));
  }

  it('keeps precedence with the fewest parentheses and never glues operators', () => {
    const e = (src: string) => {
      const s = parse(`BEGIN { $r = ${src}; }`).probes[0].body.stmts[0];
      if (s.kind !== 'Assign') throw new Error(s.kind);
      return printExpr(s.value);
    };
    expect(e('(1 + 2) * 3')).toBe('(1 + 2) * 3');
    expect(e('1 + (2 * 3)')).toBe('1 + 2 * 3');
    expect(e('10 - (4 - 3)')).toBe('10 - (4 - 3)');
    expect(e('(10 - 4) - 3')).toBe('10 - 4 - 3');
    expect(e('$a - -5')).toBe('$a - -5');
    expect(e('-(-$a)')).toBe('- -$a');
    expect(e('&(&$a)')).toBe('& &$a');
    expect(e('(a ? b : c) ? d : e')).toBe('(a ? b : c) ? d : e');
    expect(e('(uint8)($a + 1)')).toBe('(uint8)($a + 1)');
    expect(e('(-5).x')).toBe('(-5).x');
    expect(e('-9223372036854775808')).toBe('0x8000000000000000');
    expect(e('"q\\"\\\\\\x01z"')).toBe('"q\\"\\\\\\x01z"');
  });
});
