// src/parser/lookahead-paths.ts holds the token paths that decide each
// OR/OPTION/MANY of the parser, computed by chevrotain's LL(k) analysis at
// `npm run grammar` time instead of at every cold start (src/parser/lookahead.ts).
// Stale paths would parse wrongly: the first test fails until `npm run grammar`
// is run. The decision functions built from the stored paths must decide as
// chevrotain's own LL(k) functions do: checked on every pair of leading tokens.
import { describe, expect, it, vi } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { EOF, IToken, Lexer, LLkLookaheadStrategy, TokenType } from 'chevrotain';
import { lookaheadDecisions, lookaheadPathsSource } from '../src/parser/grammar';
import { lookaheadKey, StoredLookaheadStrategy } from '../src/parser/lookahead';
import { LOOKAHEAD_PATHS } from '../src/parser/lookahead-paths';
import { getParser, getStoredLookaheadParser, MAX_LOOKAHEAD, parse, parseRecorded } from '../src/parser';
import { allTokens } from '../src/lexer';
import { parseCorpus } from './bad-input/corpus';

/** A token vector and the two ways chevrotain's decision functions read it. */
class FakeInput {
  constructor(private readonly tokens: IToken[]) {}
  LA(i: number): IToken {
    return this.tokens[i - 1] ?? this.tokens[this.tokens.length - 1];
  }
  LA_FAST(i: number): IToken {
    return this.LA(i);
  }
}

describe('src/parser/lookahead-paths.ts', () => {
  it('matches the parser (run `npm run grammar` to update)', () => {
    expect(fs.readFileSync(path.join(__dirname, '../src/parser/lookahead-paths.ts'), 'utf8')).toBe(lookaheadPathsSource());
  });

  it('has every decision the parser takes', () => {
    const decisions = lookaheadDecisions();
    expect(decisions.length).toBeGreaterThan(50);
    for (const d of decisions) expect(Object.keys(LOOKAHEAD_PATHS)).toContain(lookaheadKey(d.rule.name, d.prodType, d.occurrence, d.maxLookahead));
  });

  it('decides as chevrotain\'s LL(k) functions on every pair of leading tokens', () => {
    const stored = new StoredLookaheadStrategy({ maxLookahead: MAX_LOOKAHEAD, tokens: allTokens });
    const llk = new LLkLookaheadStrategy({ maxLookahead: MAX_LOOKAHEAD });
    const types: TokenType[] = [...allTokens.filter((t) => t.PATTERN !== Lexer.NA), EOF];
    const token = (t: TokenType): IToken => ({ tokenType: t, tokenTypeIdx: t.tokenTypeIdx, image: '' } as IToken);
    let compared = 0;
    const mismatches: string[] = [];
    for (const d of lookaheadDecisions()) {
      const options = { prodOccurrence: d.occurrence, rule: d.rule, maxLookahead: d.maxLookahead, hasPredicates: d.hasPredicates, dynamicTokensEnabled: false };
      const ours = d.prodType === 'Alternation' ? stored.buildLookaheadForAlternation(options) : stored.buildLookaheadForOptional({ ...options, prodType: d.prodType as 'Option' });
      const theirs = d.prodType === 'Alternation' ? llk.buildLookaheadForAlternation(options) : llk.buildLookaheadForOptional({ ...options, prodType: d.prodType as 'Option' });
      // Gates are the parser's own code, the same in both: here every alternative is allowed.
      const alts = Array.from({ length: 16 }, () => ({ ALT: () => undefined }));
      types.forEach((first, i) => types.forEach((second, j) => {
        const third = types[(i * 7 + j * 13) % types.length];
        const input = new FakeInput([token(first), token(second), token(third), token(EOF)]);
        const a = (ours as (alts: unknown) => unknown).call(input, alts);
        const b = (theirs as (alts: unknown) => unknown).call(input, alts);
        if (a !== b) mismatches.push(`${d.rule.name} ${d.prodType}${d.occurrence} on ${first.name} ${second.name} ${third.name}: ${a} vs ${b}`);
        compared++;
      }));
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(compared).toBeGreaterThan(100_000);
  });

  it('falls back to chevrotain\'s own function for a decision the file lacks', () => {
    const d = lookaheadDecisions().find((x) => x.rule.name === 'stmtList' && x.prodType === 'Alternation')!;
    const key = lookaheadKey(d.rule.name, d.prodType, d.occurrence, d.maxLookahead);
    const saved = LOOKAHEAD_PATHS[key];
    delete LOOKAHEAD_PATHS[key];
    try {
      const options = { prodOccurrence: d.occurrence, rule: d.rule, maxLookahead: d.maxLookahead, hasPredicates: d.hasPredicates, dynamicTokensEnabled: false };
      const ours = new StoredLookaheadStrategy({ maxLookahead: MAX_LOOKAHEAD, tokens: allTokens }).buildLookaheadForAlternation(options);
      const theirs = new LLkLookaheadStrategy({ maxLookahead: MAX_LOOKAHEAD }).buildLookaheadForAlternation(options);
      const token = (t: TokenType): IToken => ({ tokenType: t, tokenTypeIdx: t.tokenTypeIdx, image: '' } as IToken);
      const alts = [{ ALT: () => undefined }, { ALT: () => undefined }, { ALT: () => undefined }];
      for (const t of allTokens.filter((x) => x.PATTERN !== Lexer.NA)) {
        const input = new FakeInput([token(t), token(EOF)]);
        expect(ours.call(input, alts), t.name).toBe(theirs.call(input, alts));
      }
    } finally {
      LOOKAHEAD_PATHS[key] = saved;
    }
  });

  it('parses through them', () => {
    const program = parse('BEGIN, END /1 + 2 * 3 > 4/ { if ($x) { @a[1, "s"] = count(); } else { $y = (uint32)-5; } }');
    expect(program.probes[0].attachPoints.map((a) => a.text)).toEqual(['BEGIN', 'END']);
    expect(program.probes[0].predicate?.kind).toBe('Binary');
  });
});

describe('the parser without a recorded grammar (src/parser/index.ts StoredLookaheadParser)', () => {
  type Internals = { lookAheadFuncsCache: Map<number, unknown>; getGAstProductions(): Record<string, unknown> };

  it('has the lookahead functions performSelfAnalysis makes, under the same keys, and no grammar', () => {
    const stored = getStoredLookaheadParser() as unknown as Internals;
    const recorded = getParser() as unknown as Internals;
    const keys = (p: Internals) => [...p.lookAheadFuncsCache.keys()].sort((a, b) => a - b);
    expect(keys(stored).length).toBeGreaterThan(50);
    expect(keys(stored)).toEqual(keys(recorded));
    expect(Object.keys(stored.getGAstProductions())).toEqual([]);
    expect(Object.keys(recorded.getGAstProductions()).length).toBeGreaterThan(20);
  });

  it('parses a decision lookahead-paths.ts lacks through the recorded parser', async () => {
    vi.resetModules();
    const stale = await import('../src/parser/lookahead-paths');
    delete stale.LOOKAHEAD_PATHS['postfix Repetition0 k=3'];
    const fresh = await import('../src/parser');
    const source = 'BEGIN { @x = curtask->pid; printf("%d\\n", @x); }';
    expect(fresh.parse(source)).toEqual(fresh.parseRecorded(source));
    expect(Object.keys(fresh.getStoredLookaheadParser().getGAstProductions())).toEqual([]);
    vi.resetModules();
  });

  it('gives the AST the recorded parser gives, and the same diagnostics, on every script of the corpora', () => {
    const root = path.join(__dirname, '..');
    const scripts: [string, string][] = [];
    for (const f of fs.readdirSync(path.join(root, 'examples')).filter((x) => x.endsWith('.bt'))) scripts.push([f, fs.readFileSync(path.join(root, 'examples', f), 'utf8')]);
    for (const f of fs.readdirSync('/usr/sbin').filter((x) => x.endsWith('.bt'))) scripts.push([f, fs.readFileSync(path.join('/usr/sbin', f), 'utf8')]);
    // The bad-input corpus, many of them syntax errors.
    for (const c of parseCorpus(fs.readFileSync(path.join(root, 'test/bad-input/cases.txt'), 'utf8'))) scripts.push([c.title, c.script]);
    const outcome = (f: () => unknown) => {
      try {
        return { ast: f() };
      } catch (e) {
        return { error: (e as { diagnostics?: unknown }).diagnostics ?? String(e) };
      }
    };
    let failed = 0;
    for (const [name, source] of scripts) {
      const ours = outcome(() => parse(source, name));
      expect(ours, name).toEqual(outcome(() => parseRecorded(source, name)));
      if ('error' in ours) failed++;
    }
    expect(scripts.length).toBeGreaterThan(100);
    expect(failed).toBeGreaterThan(40);
  });
});
