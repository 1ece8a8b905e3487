// Tokens of the bpftrace language, and the one entry point `tokenize`.
//
// Attach points (`tracepoint:syscalls:sys_enter_*`, `uprobe:/bin/bash:readline`)
// are not lexed as one token: they are runs of adjacent ordinary tokens that
// the parser glues back together (see parser `attachPoint`). That keeps one
// lexer mode for the whole file, as the angle-bracket action blocks need.
import { createToken, Lexer, TokenType, IToken, ILexingError } from 'chevrotain';

/** Every token that may appear inside an attach point belongs to this category. */
export const AttachPointPart = createToken({ name: 'AttachPointPart', pattern: Lexer.NA });

function tok(name: string, pattern: RegExp | string, extra: Partial<Parameters<typeof createToken>[0]> = {}, inAttachPoint = true): TokenType {
  return createToken({ name, pattern, ...(inAttachPoint ? { categories: [AttachPointPart] } : {}), ...extra });
}

// A regex token's first characters and whether it can span lines, stated so
// the lexer need not find them by parsing every regex (regexp-to-ast, twice
// per regex): that was about half of building the lexer at each cold start.
// test/lexer-hints.test.ts checks them against chevrotain's own analysis.
const DIGITS = [...'0123456789'];
const WORD_START = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_'];
function starts(chars: string[], lineBreaks = false): { start_chars_hint: string[]; line_breaks: boolean } {
  return { start_chars_hint: chars, line_breaks: lineBreaks };
}

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED, ...starts([' ', '\t', '\r', '\n'], true) });
export const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\n]*/, group: Lexer.SKIPPED, ...starts(['/']) });
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?\*\//, group: Lexer.SKIPPED, ...starts(['/'], true) });
/** `/*` with no `*\/` before the end of the file: the parser reports it as bpftrace does. */
export const UnterminatedComment = createToken({ name: 'UnterminatedComment', pattern: /\/\*[\s\S]*/, ...starts(['/'], true) });
// A `#!` line anywhere (0.17) and preprocessor lines (`#include`, `#define`) are
// whole-line tokens; `#include`/`#define` are kept for the parser.
export const Shebang = createToken({ name: 'Shebang', pattern: /#![^\n]*/, group: Lexer.SKIPPED, ...starts(['#']) });
export const Preprocessor = createToken({ name: 'Preprocessor', pattern: /#[^!\n][^\n]*/, ...starts(['#']) });

// Literals. Integers: decimal, hex, octal, with `_` separators, scientific
// `1e6`, C suffixes (`5UL`) and HEAD's duration suffixes (`100ms`).
export const IntLiteral = tok('IntLiteral', /(?:0[xX][0-9a-fA-F_]+|[0-9][0-9_]*(?:[eE][0-9]+)?)(?:ns|us|ms|s|m|h|d|[uU]?[lL]{0,2}|[lL]{1,2}[uU]?)(?![A-Za-z_0-9])/, starts(DIGITS));
export const StringLiteral = tok('StringLiteral', /"(?:[^"\\\n]|\\.)*"/, starts(['"']));
export const UnterminatedString = tok('UnterminatedString', /"(?:[^"\\\n]|\\.)*/, starts(['"']));
// A word that starts with digits but is no number (`2ndgen`, `5VQ9lB`): only
// meaningful inside attach points, e.g. a uprobe path `/tmp/run-5VQ9lB/bin`.
export const DigitWord = tok('DigitWord', /[0-9][A-Za-z0-9_]*/, { label: 'identifier', ...starts(DIGITS) });

export const Variable = tok('Variable', /\$[A-Za-z_][A-Za-z0-9_]*/, starts(['$']));
export const Param = tok('Param', /\$(?:[0-9]+|#)/, starts(['$']));
export const MapName = tok('MapName', /@[A-Za-z_0-9]*/, starts(['@']));
export const Identifier = tok('Identifier', /[A-Za-z_][A-Za-z0-9_]*/, starts(WORD_START));

// Keywords are identifiers with a fixed meaning; `longer_alt` keeps `iffy` an identifier.
function keyword(word: string): TokenType {
  return tok(word[0].toUpperCase() + word.slice(1), word, { longer_alt: Identifier });
}
export const If = keyword('if');
export const Else = keyword('else');
export const Unroll = keyword('unroll');
export const While = keyword('while');
export const For = keyword('for');
export const Return = keyword('return');
export const Break = keyword('break');
export const Continue = keyword('continue');
export const Let = keyword('let');
// `config` starts a config block only before `=`: elsewhere it is HEAD's `config` builtin (`config.max_strlen`).
export const Config = tok('Config', /config(?=\s*=(?!=))/, { longer_alt: Identifier, ...starts(['c']) });
export const Struct = keyword('struct');
export const Union = keyword('union');
export const Enum = keyword('enum');
export const Sizeof = keyword('sizeof');
export const Offsetof = keyword('offsetof');
export const ContainerOf = keyword('container_of');
export const True = keyword('true');
export const False = keyword('false');

export const LCurly = tok('LCurly', '{', {}, false);
export const RCurly = tok('RCurly', '}', {}, false);
export const LParen = tok('LParen', '(', {}, false);
export const RParen = tok('RParen', ')', {}, false);
export const LBracket = tok('LBracket', '[');
export const RBracket = tok('RBracket', ']');
export const Semicolon = tok('Semicolon', ';', {}, false);
export const Comma = tok('Comma', ',', {}, false);
export const DotDot = tok('DotDot', '..');
export const Dot = tok('Dot', '.');
export const Arrow = tok('Arrow', '->');
export const Question = tok('Question', '?');
export const Colon = tok('Colon', ':');

export const AssignOperator = createToken({ name: 'AssignOperator', pattern: Lexer.NA });
function assign(name: string, text: string): TokenType {
  return createToken({ name, pattern: text, categories: [AssignOperator] });
}
export const LeftShiftAssign = assign('LeftShiftAssign', '<<=');
export const RightShiftAssign = assign('RightShiftAssign', '>>=');
export const PlusAssign = assign('PlusAssign', '+=');
export const MinusAssign = assign('MinusAssign', '-=');
export const StarAssign = assign('StarAssign', '*=');
export const DivAssign = assign('DivAssign', '/=');
export const ModAssign = assign('ModAssign', '%=');
export const AndAssign = assign('AndAssign', '&=');
export const OrAssign = assign('OrAssign', '|=');
export const XorAssign = assign('XorAssign', '^=');

export const Increment = tok('Increment', '++');
export const Decrement = tok('Decrement', '--');
export const LeftShift = tok('LeftShift', '<<', {}, false);
export const RightShift = tok('RightShift', '>>', {}, false);
export const LessEq = tok('LessEq', '<=', {}, false);
export const GreaterEq = tok('GreaterEq', '>=', {}, false);
export const EqEq = tok('EqEq', '==', {}, false);
export const NotEq = tok('NotEq', '!=', {}, false);
export const AndAnd = tok('AndAnd', '&&', {}, false);
export const OrOr = tok('OrOr', '||', {}, false);
export const Less = tok('Less', '<', {}, false);
export const Greater = tok('Greater', '>', {}, false);
export const Assign = createToken({ name: 'Assign', pattern: '=', categories: [AssignOperator] });
export const Plus = tok('Plus', '+');
export const Minus = tok('Minus', '-');
export const Star = tok('Star', '*');
export const Div = tok('Div', '/');
export const Mod = tok('Mod', '%', {}, false);
export const Ampersand = tok('Ampersand', '&', {}, false);
export const Pipe = tok('Pipe', '|', {}, false);
export const Caret = tok('Caret', '^', {}, false);
export const Bang = tok('Bang', '!');
export const Tilde = tok('Tilde', '~', {}, false);

export const allTokens: TokenType[] = [
  WhiteSpace, LineComment, BlockComment, UnterminatedComment, Shebang, Preprocessor,
  StringLiteral, UnterminatedString, IntLiteral, DigitWord,
  Param, Variable, MapName,
  If, Else, Unroll, While, For, Return, Break, Continue, Let, Config, Struct, Union, Enum, Sizeof, Offsetof, ContainerOf, True, False,
  Identifier,
  LCurly, RCurly, LParen, RParen, LBracket, RBracket, Semicolon, Comma,
  DotDot, Dot, Arrow,
  LeftShiftAssign, RightShiftAssign, PlusAssign, MinusAssign, StarAssign, DivAssign, ModAssign, AndAssign, OrAssign, XorAssign,
  Increment, Decrement, LeftShift, RightShift, LessEq, GreaterEq, EqEq, NotEq, AndAnd, OrOr,
  Less, Greater, Assign, Plus, Minus, Star, Div, Mod, Ampersand, Pipe, Caret, Bang, Tilde, Question, Colon,
  AttachPointPart, AssignOperator,
];

let lexer: Lexer | undefined;
function getLexer(): Lexer {
  // Validations cost start-up time; the token set is fixed and covered by tests.
  lexer ??= new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: false, skipValidations: true });
  return lexer;
}

export interface LexResult {
  tokens: IToken[];
  errors: ILexingError[];
}

/** Source text → tokens. Lexing errors are returned, not thrown. */
export function tokenize(source: string): LexResult {
  const result = getLexer().tokenize(source);
  return { tokens: result.tokens, errors: result.errors };
}
