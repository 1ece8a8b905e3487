// src/lexer states each regex token's first characters (start_chars_hint) and
// whether it can span lines (line_breaks), so chevrotain need not work them
// out from the regexes at every cold start. Those statements must say exactly
// what chevrotain's own analysis of the regexes says: a missing first
// character would make the lexer skip the token, a wrong line_breaks would
// shift every later line number. Checked two ways: against the analysis of
// the same tokens without the hints, and by lexing a corpus with both lexers.
import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { createToken, ILexingResult, Lexer, TokenType } from 'chevrotain';
import { allTokens, tokenize } from '../src/lexer';

// The same tokens with the hints taken away: chevrotain analyses the regexes itself.
function withoutHints(tokens: TokenType[]): TokenType[] {
  const copies = new Map<TokenType, TokenType>();
  const copy = (t: TokenType): TokenType => {
    let c = copies.get(t);
    if (!c) {
      c = createToken({
        name: t.name,
        pattern: t.PATTERN as RegExp | string,
        ...(t.GROUP !== undefined ? { group: t.GROUP } : {}),
        // The comment and whitespace tokens said line_breaks before there were hints.
        ...(['WhiteSpace', 'BlockComment', 'UnterminatedComment'].includes(t.name) ? { line_breaks: true } : {}),
        ...(t.LONGER_ALT ? { longer_alt: [t.LONGER_ALT].flat().map(copy) } : {}),
        // Config's lookahead pattern cannot be analysed; it had its hint before.
        ...(t.name === 'Config' ? { start_chars_hint: ['c'] } : {}),
      });
      copies.set(t, c);
    }
    return c;
  };
  return tokens.filter((t) => t.PATTERN !== Lexer.NA).map(copy);
}

const config = { positionTracking: 'full', ensureOptimizations: false, skipValidations: true } as const;
const hinted = new Lexer(allTokens, config);
const analysed = new Lexer(withoutHints(allTokens), { ...config, ensureOptimizations: true });

// chevrotain's lexer tables (not public API; this test pins them for chevrotain 11).
interface PatternConfig { tokenType: TokenType; canLineTerminator: boolean }
interface LexerTables {
  patternIdxToConfig: Record<string, PatternConfig[]>;
  charCodeToPatternIdxToConfig: Record<string, (PatternConfig[] | undefined)[]>;
  canModeBeOptimized: Record<string, boolean>;
}
const tables = (l: Lexer) => l as unknown as LexerTables;

function firstChars(l: Lexer): Map<string, number[]> {
  const byToken = new Map<string, number[]>();
  tables(l).charCodeToPatternIdxToConfig.defaultMode.forEach((configs, code) => {
    for (const c of configs ?? []) byToken.set(c.tokenType.name, [...(byToken.get(c.tokenType.name) ?? []), code]);
  });
  return byToken;
}

function comparable(r: ILexingResult) {
  return {
    tokens: r.tokens.map((t) => [t.tokenType.name, t.image, t.startOffset, t.startLine, t.startColumn, t.endLine, t.endColumn]),
    errors: r.errors.map((e) => [e.offset, e.line, e.column, e.length]),
  };
}

function corpus(): string[] {
  const texts: string[] = [];
  const root = path.join(__dirname, '..');
  for (const dir of ['examples', 'test/bad-input', '../../shared/bench/programs']) {
    const d = path.join(root, dir);
    if (!fs.existsSync(d)) continue;
    for (const f of fs.readdirSync(d)) if (/\.(bt|txt)$/.test(f)) texts.push(fs.readFileSync(path.join(d, f), 'utf8'));
  }
  // Every character at the start, between words, after a newline and a `\r`.
  for (let code = 0; code < 256; code++) {
    const c = String.fromCharCode(code);
    texts.push(`${c}x ${c} a${c}1 "${c}" \n${c}\r${c}//${c}\r\n/*${c}*/${c}`);
  }
  texts.push('"a\rb" 1\r2 // x\ry\n/* \r */ z', '"unterminated\r\nnext', '/* open\r\n comment', 'config = { a = 1 } configx', 'é $x ü @m[1] ✓');
  return texts;
}

describe('lexer hints (start_chars_hint, line_breaks)', () => {
  it('state the first characters chevrotain finds in each regex', () => {
    expect(tables(analysed).canModeBeOptimized.defaultMode).toBe(true);
    expect(firstChars(hinted)).toEqual(firstChars(analysed));
  });

  it('state whether each token can span lines as chevrotain finds it', () => {
    const lineBreaks = (l: Lexer) => tables(l).patternIdxToConfig.defaultMode.map((c) => [c.tokenType.name, c.canLineTerminator]);
    expect(lineBreaks(hinted)).toEqual(lineBreaks(analysed));
  });

  it('lex a corpus exactly as without them', () => {
    const texts = corpus();
    expect(texts.length).toBeGreaterThan(256);
    for (const text of texts) expect(comparable(hinted.tokenize(text)), JSON.stringify(text)).toEqual(comparable(analysed.tokenize(text)));
  });

  it('are what tokenize uses', () => {
    const text = 'BEGIN { @x[comm] = count(); printf("%d\\n", 5ms); }';
    expect(comparable({ ...tokenize(text), groups: {} })).toEqual(comparable(analysed.tokenize(text)));
  });
});
