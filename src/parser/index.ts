// Tokens → AST. One entry point: `parse(source, file)`.
//
// A chevrotain EmbeddedActionsParser builds AST nodes directly. Node building
// sits inside ACTION() because chevrotain records the grammar by running the
// rules once with placeholder tokens.
import { EmbeddedActionsParser, IToken, TokenType, EOF, IParserErrorMessageProvider, tokenLabel } from 'chevrotain';
import * as T from '../lexer';
import { tokenize } from '../lexer';
import type {
  AssignOp, AttachPoint, BinaryOp, Block, ConfigEntry, Expr, Loc, MacroDecl, MacroParam, MapExpr, Preprocessor, Probe, Program, Stmt, VariableExpr,
} from '../ast/nodes';
import { spanLoc } from '../ast/nodes';
import { CompileError, Diagnostic } from '../diagnostics';
import { parseIntLiteral, decodeString } from './literals';
import { preprocess } from './preamble';
import { containerOf } from './containerof';
import { installStoredLookahead, LookaheadCacheOwner, StoredLookaheadStrategy } from './lookahead';

/** Tokens a decision may look at, unless the production says fewer (MAX_LOOKAHEAD). */
export const MAX_LOOKAHEAD = 3;

const INT_TYPE_NAMES = new Set(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64']);

/** bison-style token names, so syntax errors read like bpftrace's. */
export function tokenDisplayName(t: TokenType): string {
  switch (t) {
    case EOF: return 'end of file';
    case T.Identifier: return 'identifier';
    case T.Variable: return 'variable';
    case T.MapName: return 'map';
    case T.Param: return 'positional parameter';
    case T.IntLiteral: return 'integer';
    case T.StringLiteral: return 'string';
    case T.Comma: return '","';
    case T.AttachPointPart: return 'attach point';
    case T.AssignOperator: return '=';
    case T.Preprocessor: return 'preprocessor directive';
    default: {
      const p = t.PATTERN;
      return typeof p === 'string' ? p : tokenLabel(t);
    }
  }
}

const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return `syntax error, unexpected ${tokenDisplayName(actual.tokenType)}, expecting ${tokenDisplayName(expected)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `syntax error, unexpected ${tokenDisplayName(firstRedundant.tokenType)}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    // `if` takes `(` or (HEAD) any expression; 0.17's message names the `(`.
    if (ruleName === 'ifStmt') return `syntax error, unexpected ${tokenDisplayName(actual[0].tokenType)}, expecting (`;
    const first = new Set<string>();
    for (const alt of expectedPathsPerAlt) for (const path of alt) if (path[0]) first.add(tokenDisplayName(path[0]));
    const expecting = [...first].slice(0, 4);
    const tail = expecting.length > 0 && expecting.length < 4 ? `, expecting ${expecting.join(' or ')}` : '';
    return `syntax error, unexpected ${tokenDisplayName(actual[0].tokenType)}${tail}`;
  },
  buildEarlyExitMessage({ actual }) {
    return `syntax error, unexpected ${tokenDisplayName(actual[0].tokenType)}`;
  },
};

const lookahead = new StoredLookaheadStrategy({ maxLookahead: MAX_LOOKAHEAD, tokens: T.allTokens });

/** Thrown by the parser without a recorded grammar at a syntax error: the recorded one reports it. */
class NeedsRecordedGrammar extends Error {}

/** V8 keeps an object whose properties were just added in dictionary mode until it serves as a prototype (chevrotain's toFastProperties). */
function toFastProperties(o: object): void {
  function Fake() {}
  Fake.prototype = o;
  const instance = new (Fake as unknown as new () => { bar?: unknown })();
  const access = () => typeof instance.bar;
  access();
  access();
}

class BpftraceParser extends EmbeddedActionsParser {
  file = 'stdin';
  source = '';
  diagnostics: Diagnostic[] = [];
  private inPredicate = false;

  /** recordGrammar: chevrotain's performSelfAnalysis; otherwise only the stored lookahead (StoredLookaheadParser). */
  constructor(recordGrammar = true) {
    super(T.allTokens, {
      recoveryEnabled: false, errorMessageProvider: errorMessages, skipValidations: true, maxLookahead: MAX_LOOKAHEAD,
      lookaheadStrategy: lookahead,
    });
    if (!recordGrammar && installStoredLookahead(this as unknown as LookaheadCacheOwner, lookahead)) {
      (this as unknown as { selfAnalysisDone: boolean }).selfAnalysisDone = true;
      toFastProperties(this);
    } else {
      this.performSelfAnalysis();
    }
  }

  // ---- locations -------------------------------------------------------

  loc(t: IToken): Loc {
    if (t.tokenType === EOF || Number.isNaN(t.startOffset)) return this.eofLoc();
    return {
      file: this.file,
      line: t.startLine ?? 1,
      col: t.startColumn ?? 1,
      endLine: t.endLine ?? t.startLine ?? 1,
      endCol: (t.endColumn ?? t.startColumn ?? 0) + 1,
    };
  }

  eofLoc(): Loc {
    const lines = this.source.split('\n');
    const line = lines.length;
    const col = lines[line - 1].length + 1;
    return { file: this.file, line, col, endLine: line, endCol: col };
  }

  private adjacent(prev: IToken, next: IToken): boolean {
    return next.tokenType !== EOF && prev.endOffset !== undefined && next.startOffset === prev.endOffset + 1;
  }

  private error(message: string, loc: Loc): void {
    this.diagnostics.push({ level: 'ERROR', message, loc });
  }

  /**
   * bpftrace 0.17's lexer reports errors from the start of the current
   * whitespace-delimited word to the end of the bad token (spec DIAG-09).
   */
  lexLoc(loc: Loc): Loc {
    const line = this.source.split('\n')[loc.line - 1] ?? '';
    let col = loc.col;
    while (col > 1 && !/\s/.test(line[col - 2])) col--;
    return { ...loc, col };
  }

  // ---- program structure ----------------------------------------------

  public program = this.RULE('program', (): Program => {
    const preamble: Preprocessor[] = [];
    const probes: Probe[] = [];
    const macros: MacroDecl[] = [];
    let config: ConfigEntry[] | undefined;
    this.MANY(() => {
      const t = this.CONSUME(T.Preprocessor);
      this.ACTION(() => preamble.push({ kind: 'Preprocessor', text: t.image, loc: this.loc(t) }));
    });
    this.OPTION({
      GATE: () => this.LA(2).tokenType === T.Assign,
      MAX_LOOKAHEAD: 1,
      DEF: () => { config = this.SUBRULE(this.configBlock); },
    });
    // One token of lookahead, decided by the gate: deeper lookahead would turn a
    // broken probe into "no viable alternative" at its first token.
    this.AT_LEAST_ONE(() => this.OR({ MAX_LOOKAHEAD: 1, DEF: [
      {
        // `macro` is no keyword (it may name a field or a probe provider): `macro NAME (` starts a macro.
        GATE: () => this.LA(1).image === 'macro' && this.LA(2).tokenType === T.Identifier && this.LA(3).tokenType === T.LParen,
        ALT: () => {
          const m = this.SUBRULE(this.macroDecl);
          this.ACTION(() => macros.push(m));
        },
      },
      {
        ALT: () => {
          const p = this.SUBRULE(this.probe);
          this.ACTION(() => probes.push(p));
        },
      },
    ] }));
    return this.ACTION(() => ({
      kind: 'Program',
      preamble,
      ...(config ? { config } : {}),
      ...(macros.length ? { macros } : {}),
      probes,
      loc: probes.length ? spanLoc(probes[0].loc, probes[probes.length - 1].loc) : this.eofLoc(),
    })) as Program;
  });

  /** `config = { name = value; … }` (HEAD). Values are integer or string literals. */
  private configBlock = this.RULE('configBlock', (): ConfigEntry[] => {
    const entries: ConfigEntry[] = [];
    this.CONSUME(T.Config);
    this.CONSUME(T.Assign);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      const name = this.CONSUME(T.Identifier);
      this.CONSUME2(T.Assign);
      const value = this.OR([
        { ALT: () => this.CONSUME(T.IntLiteral) },
        { ALT: () => this.CONSUME(T.StringLiteral) },
        { ALT: () => this.CONSUME2(T.Identifier) },
        { ALT: () => this.CONSUME(T.True) },
        { ALT: () => this.CONSUME(T.False) },
      ]);
      this.OPTION(() => this.CONSUME(T.Semicolon));
      this.ACTION(() => {
        let v: bigint | string;
        if (value.tokenType === T.IntLiteral) {
          const parsed = parseIntLiteral(value.image);
          if (typeof parsed === 'string') {
            this.error(parsed, this.loc(value));
            v = 0n;
          } else v = parsed;
        } else if (value.tokenType === T.StringLiteral) {
          v = decodeString(value.image.slice(1, -1)).value;
        } else v = value.image;
        entries.push({ kind: 'ConfigEntry', name: name.image, value: v, loc: spanLoc(this.loc(name), this.loc(value)) });
      });
    });
    this.CONSUME(T.RCurly);
    return entries;
  });

  /** `macro name(params) { stmts [value] }` (HEAD). */
  private macroDecl = this.RULE('macroDecl', (): MacroDecl => {
    const kw = this.CONSUME(T.Identifier);
    const name = this.CONSUME2(T.Identifier);
    this.CONSUME(T.LParen);
    const params: MacroParam[] = [];
    this.MANY_SEP({
      SEP: T.Comma,
      DEF: () => {
        const t = this.OR([
          { ALT: () => this.CONSUME(T.Variable) },
          { ALT: () => this.CONSUME(T.MapName) },
          { ALT: () => this.CONSUME3(T.Identifier) },
        ]);
        this.ACTION(() => params.push({
          kind: 'MacroParam', name: t.image, loc: this.loc(t),
          form: t.tokenType === T.Variable ? 'variable' : t.tokenType === T.MapName ? 'map' : 'expr',
        }));
      },
    });
    this.CONSUME(T.RParen);
    const open = this.CONSUME(T.LCurly);
    const stmts = this.SUBRULE(this.stmtList);
    const lastBeforeClose = this.LA(0);
    const close = this.CONSUME(T.RCurly);
    return this.ACTION(() => {
      const body: Block = { kind: 'Block', stmts, angle: false, loc: spanLoc(this.loc(open), this.loc(close)) };
      let value: Expr | undefined;
      const last = stmts[stmts.length - 1];
      // A final expression statement without `;` is the macro's value.
      if (last?.kind === 'ExprStmt' && lastBeforeClose.tokenType !== T.Semicolon) {
        value = last.expr;
        stmts.pop();
      }
      return { kind: 'Macro', name: name.image, params, body, value, nameLoc: this.loc(name), loc: spanLoc(this.loc(kw), this.loc(close)) };
    }) as MacroDecl;
  });

  private probe = this.RULE('probe', (): Probe => {
    const attachPoints: AttachPoint[] = [];
    const first = this.SUBRULE(this.attachPoint);
    this.ACTION(() => attachPoints.push(first));
    // Empty entries (`BEGIN, , END`, a trailing `,`) are accepted, as by 0.17 and HEAD.
    this.MANY(() => {
      this.CONSUME(T.Comma);
      // One token decides (an attach point, unless `/` opens the predicate). Deeper
      // lookahead made chevrotain enumerate 3-token paths through the predicate's
      // expression grammar: ~250 ms at the first parse of every run.
      this.OPTION2({
        GATE: () => this.LA(1).tokenType !== T.Div,
        MAX_LOOKAHEAD: 1,
        DEF: () => {
          const ap = this.SUBRULE2(this.attachPoint);
          this.ACTION(() => attachPoints.push(ap));
        },
      });
    });
    let predicate: Expr | undefined;
    this.OPTION(() => {
      this.CONSUME(T.Div);
      this.ACTION(() => { this.inPredicate = true; });
      predicate = this.SUBRULE(this.expr);
      this.ACTION(() => { this.inPredicate = false; });
      this.CONSUME2(T.Div);
    });
    const body = this.SUBRULE(this.block);
    return this.ACTION(() => ({ kind: 'Probe', attachPoints, predicate, body, loc: spanLoc(first.loc, body.loc) })) as Probe;
  });

  /** A run of adjacent tokens, glued back into the text the user wrote. */
  private attachPoint = this.RULE('attachPoint', (): AttachPoint => {
    const parts: IToken[] = [];
    const first = this.CONSUME(T.AttachPointPart);
    this.ACTION(() => parts.push(first));
    this.MANY({
      GATE: () => this.adjacent(parts[parts.length - 1], this.LA(1)),
      DEF: () => {
        const t = this.CONSUME2(T.AttachPointPart);
        this.ACTION(() => parts.push(t));
      },
    });
    return this.ACTION(() => ({
      kind: 'AttachPoint',
      text: parts.map((p) => p.image).join(''),
      loc: spanLoc(this.loc(parts[0]), this.loc(parts[parts.length - 1])),
    })) as AttachPoint;
  });

  /** `{ stmts }`, or `< stmts >`: a `>` where a statement could start closes the block. */
  private block = this.RULE('block', (): Block => {
    let open!: IToken;
    let close!: IToken;
    let stmts: Stmt[] = [];
    let angle = false;
    this.OR([
      {
        ALT: () => {
          open = this.CONSUME(T.LCurly);
          stmts = this.SUBRULE(this.stmtList);
          close = this.CONSUME(T.RCurly);
        },
      },
      {
        ALT: () => {
          open = this.CONSUME(T.Less);
          stmts = this.SUBRULE2(this.stmtList);
          close = this.CONSUME(T.Greater);
          angle = true;
        },
      },
    ]);
    return this.ACTION(() => ({ kind: 'Block', stmts, angle, loc: spanLoc(this.loc(open), this.loc(close)) })) as Block;
  });

  /** Statements need `;` between them; compound statements (if/while/unroll) need none. */
  private stmtList = this.RULE('stmtList', (): Stmt[] => {
    const stmts: Stmt[] = [];
    let needsSeparator = false;
    this.MANY({
      GATE: () => !needsSeparator,
      DEF: () => {
        this.OR([
          {
            ALT: () => {
              const s = this.SUBRULE(this.compoundStmt);
              this.ACTION(() => stmts.push(s));
              this.OPTION(() => this.CONSUME(T.Semicolon));
            },
          },
          {
            ALT: () => {
              const s = this.SUBRULE(this.simpleStmt);
              this.ACTION(() => stmts.push(s));
              let sawSemicolon = false;
              this.OPTION2(() => {
                this.CONSUME2(T.Semicolon);
                sawSemicolon = true;
              });
              this.ACTION(() => { needsSeparator = !sawSemicolon; });
            },
          },
          // Stray semicolons are harmless.
          { ALT: () => { this.CONSUME3(T.Semicolon); } },
        ]);
      },
    });
    return stmts;
  });

  private compoundStmt = this.RULE('compoundStmt', (): Stmt => this.OR([
    { ALT: () => this.SUBRULE(this.ifStmt) },
    {
      ALT: () => {
        const kw = this.CONSUME(T.For);
        this.CONSUME3(T.LParen);
        const v = this.CONSUME(T.Variable);
        this.CONSUME(T.Colon);
        // `for ($i : a..b)` or `for ($kv : @map)`: one expression, then `..` decides.
        const first = this.SUBRULE3(this.expr);
        let end: Expr | undefined;
        this.OPTION5(() => {
          this.CONSUME(T.DotDot);
          end = this.SUBRULE4(this.expr);
        });
        this.CONSUME3(T.RParen);
        const body = this.SUBRULE3(this.block);
        return this.ACTION(() => {
          const variable: VariableExpr = { kind: 'Variable', name: v.image, loc: this.loc(v) };
          const loc = spanLoc(this.loc(kw), body.loc);
          if (end) return { kind: 'For', variable, start: first, end, body, loc };
          if (first.kind !== 'Map' || first.keys.length > 0) {
            this.error('syntax error, expecting a map (for ($kv : @map)) or a range (for ($i : start..end))', first.loc);
          }
          return { kind: 'ForMap', variable, map: first as MapExpr, body, loc };
        }) as Stmt;
      },
    },
    {
      ALT: () => {
        const kw = this.CONSUME(T.While);
        this.CONSUME(T.LParen);
        const cond = this.SUBRULE(this.expr);
        this.CONSUME(T.RParen);
        const body = this.SUBRULE(this.block);
        return this.ACTION(() => ({ kind: 'While', cond, body, loc: spanLoc(this.loc(kw), body.loc) })) as Stmt;
      },
    },
    {
      ALT: () => {
        const kw = this.CONSUME(T.Unroll);
        this.CONSUME2(T.LParen);
        const count = this.SUBRULE2(this.expr);
        const close = this.CONSUME2(T.RParen);
        const body = this.SUBRULE2(this.block);
        return this.ACTION(() => ({
          kind: 'Unroll', count, body, headerLoc: spanLoc(this.loc(kw), this.loc(close)), loc: spanLoc(this.loc(kw), body.loc),
        })) as Stmt;
      },
    },
  ]));

  private ifStmt = this.RULE('ifStmt', (): Stmt => {
    const kw = this.CONSUME(T.If);
    // `if (c) {`, or HEAD's `if c {` (0.24+), where c may start with `(`
    // (`if (struct x *)p {`, `if (a, b).0 {`). The gate decides instead of
    // chevrotain's 3-token lookahead, which cost ~50 ms at every start-up.
    const cond = this.OR3({ MAX_LOOKAHEAD: 1, DEF: [
      {
        GATE: () => this.parenthesisedCondition(),
        ALT: () => {
          this.CONSUME(T.LParen);
          const c = this.SUBRULE(this.expr);
          this.CONSUME(T.RParen);
          return c;
        },
      },
      { ALT: () => this.SUBRULE2(this.expr) },
    ] });
    const then = this.SUBRULE(this.block);
    let elseBlock: Block | undefined;
    this.OPTION(() => {
      this.CONSUME(T.Else);
      this.OR([
        {
          ALT: () => {
            const nested = this.SUBRULE(this.ifStmt);
            elseBlock = this.ACTION(() => ({ kind: 'Block', stmts: [nested], angle: false, loc: nested.loc })) as Block;
          },
        },
        { ALT: () => { elseBlock = this.SUBRULE2(this.block); } },
      ]);
    });
    return this.ACTION(() => ({ kind: 'If', cond, then, else: elseBlock, loc: spanLoc(this.loc(kw), (elseBlock ?? then).loc) })) as Stmt;
  });

  /** `(` … its `)` … then a block: the condition is the parenthesised form. */
  private parenthesisedCondition(): boolean {
    if (this.LA(1).tokenType !== T.LParen) return false;
    let depth = 0;
    for (let i = 1; ; i++) {
      const t = this.LA(i).tokenType;
      // Unbalanced: the parenthesised form reports the missing `)`.
      if (t === EOF) return true;
      if (t === T.LParen) depth++;
      else if (t === T.RParen && --depth === 0) {
        const next = this.LA(i + 1).tokenType;
        return next === T.LCurly || next === T.Less;
      }
    }
  }

  private simpleStmt = this.RULE('simpleStmt', (): Stmt => this.OR([
    {
      ALT: () => {
        const kw = this.CONSUME(T.Let);
        const v = this.CONSUME(T.Variable);
        let typeName: string | undefined;
        let typeTok: IToken | undefined;
        let value: Expr | undefined;
        this.OPTION3(() => {
          this.CONSUME(T.Colon);
          typeTok = this.LA(1);
          typeName = this.SUBRULE(this.typeName);
        });
        this.OPTION4(() => {
          this.CONSUME(T.Assign);
          value = this.SUBRULE3(this.expr);
        });
        return this.ACTION(() => {
          const variable = { kind: 'Variable', name: v.image, loc: this.loc(v) } as VariableExpr;
          const typeLoc = typeTok ? this.loc(typeTok) : undefined;
          const last = value?.loc ?? typeLoc ?? variable.loc;
          return { kind: 'Let', variable, typeName, typeLoc, value, loc: spanLoc(this.loc(kw), last) };
        }) as Stmt;
      },
    },
    {
      ALT: () => {
        const t = this.OR2([
          { ALT: () => this.CONSUME(T.Break) },
          { ALT: () => this.CONSUME(T.Continue) },
          { ALT: () => this.CONSUME(T.Return) },
        ]);
        return this.ACTION(() => ({ kind: 'Jump', jump: t.image as 'break' | 'continue' | 'return', loc: this.loc(t) })) as Stmt;
      },
    },
    {
      ALT: () => {
        const target = this.SUBRULE(this.expr);
        let op: IToken | undefined;
        let value: Expr | undefined;
        this.OPTION(() => {
          op = this.CONSUME(T.AssignOperator);
          value = this.SUBRULE2(this.expr);
        });
        return this.ACTION(() => this.makeStatement(target, op, value)) as Stmt;
      },
    },
  ]));

  private makeStatement(target: Expr, op: IToken | undefined, value: Expr | undefined): Stmt {
    if (!op || !value) return { kind: 'ExprStmt', expr: target, loc: target.loc };
    const loc = spanLoc(target.loc, value.loc);
    // HEAD's discard `_ = expr;` is the expression statement `expr;`.
    if (target.kind === 'Identifier' && target.name === '_' && op.image === '=') return { kind: 'ExprStmt', expr: value, loc };
    if (target.kind === 'Map' || target.kind === 'Variable') {
      return { kind: 'Assign', target: target as MapExpr | VariableExpr, op: op.image as AssignOp, value, opLoc: this.loc(op), loc };
    }
    if (target.kind === 'TupleIndex') {
      this.error('Tuples are immutable once created. Consider creating a new tuple and assigning it instead.', loc);
    } else {
      this.error(`syntax error, unexpected ${op.image}, expecting }`, this.loc(op));
    }
    return { kind: 'ExprStmt', expr: value, loc };
  }

  // ---- expressions, lowest precedence first ------------------------------

  public expr = this.RULE('expr', (): Expr => this.SUBRULE(this.ternary));

  private ternary = this.RULE('ternary', (): Expr => {
    const cond = this.SUBRULE(this.logicalOr);
    let result = cond;
    this.OPTION(() => {
      this.CONSUME(T.Question);
      this.OR([
        {
          // `a ?: b` (elvis): a if a is true, else b.
          ALT: () => {
            this.CONSUME2(T.Colon);
            const otherwise = this.SUBRULE3(this.ternary);
            result = this.ACTION(() => ({ kind: 'Ternary', cond, then: cond, else: otherwise, elvis: true, loc: spanLoc(cond.loc, otherwise.loc) })) as Expr;
          },
        },
        {
          ALT: () => {
            const then = this.SUBRULE(this.ternary);
            this.CONSUME(T.Colon);
            const otherwise = this.SUBRULE2(this.ternary);
            result = this.ACTION(() => ({ kind: 'Ternary', cond, then, else: otherwise, loc: spanLoc(cond.loc, otherwise.loc) })) as Expr;
          },
        },
      ]);
    });
    return result;
  });

  private binaryLevel(name: string, ops: TokenType[], next: () => (idx?: number) => Expr) {
    return this.RULE(name, (): Expr => {
      let left = this.SUBRULE(next());
      this.MANY({
        GATE: () => !(this.inPredicate && this.LA(1).tokenType === T.Div && this.closesPredicate(this.LA(2))),
        DEF: () => {
          const op = this.OR(ops.map((t) => ({ ALT: () => this.CONSUME(t) })));
          const right = this.SUBRULE2(next());
          left = this.ACTION(() => ({
            kind: 'Binary', op: op.image as BinaryOp, left, right, opLoc: this.loc(op), loc: spanLoc(left.loc, right.loc),
          })) as Expr;
        },
      });
      return left;
    });
  }

  private closesPredicate(t: IToken): boolean {
    return t.tokenType === T.LCurly || t.tokenType === T.Less || t.tokenType === EOF;
  }

  // Two tokens decide (the cast's gate settles `(`; the second token keeps
  // `(struct *)` a syntax error at the `(`, as bpftrace); see probe's OPTION2.
  private unary = this.RULE('unary', (): Expr => this.OR({ MAX_LOOKAHEAD: 2, DEF: [
    {
      GATE: () => this.castAhead(),
      ALT: () => {
        const open = this.CONSUME(T.LParen);
        const name = this.SUBRULE(this.typeName);
        let depth = 0;
        this.MANY(() => { this.CONSUME(T.Star); depth++; });
        this.CONSUME(T.RParen);
        const operand = this.SUBRULE(this.unary);
        return this.ACTION(() => ({ kind: 'Cast', typeName: name, pointerDepth: depth, expr: operand, loc: spanLoc(this.loc(open), operand.loc) })) as Expr;
      },
    },
    {
      ALT: () => {
        const op = this.OR2([
          { ALT: () => this.CONSUME(T.Minus) },
          { ALT: () => this.CONSUME(T.Bang) },
          { ALT: () => this.CONSUME(T.Tilde) },
          { ALT: () => this.CONSUME2(T.Star) },
          { ALT: () => this.CONSUME(T.Ampersand) },
        ]);
        const operand = this.SUBRULE2(this.unary);
        return this.ACTION(() => {
          const loc = spanLoc(this.loc(op), operand.loc);
          // `-5` is a signed literal, as bpftrace folds it at parse time.
          if (op.image === '-' && operand.kind === 'Int') return { kind: 'Int', value: BigInt.asIntN(64, -operand.value), loc } as Expr;
          return { kind: 'Unary', op: op.image, operand, loc } as Expr;
        }) as Expr;
      },
    },
    {
      ALT: () => {
        const op = this.OR3([
          { ALT: () => this.CONSUME(T.Increment) },
          { ALT: () => this.CONSUME(T.Decrement) },
        ]);
        const target = this.SUBRULE3(this.unary);
        return this.ACTION(() => ({ kind: 'IncDec', op: op.image as '++' | '--', prefix: true, target, loc: spanLoc(this.loc(op), target.loc) })) as Expr;
      },
    },
    { ALT: () => this.SUBRULE(this.postfix) },
  ] }));

  /** `(uint32)`, `(struct foo *)`: a parenthesised type name, not an expression. */
  private castAhead(): boolean {
    if (this.LA(1).tokenType !== T.LParen) return false;
    let i = 2;
    const t = this.LA(i);
    if (t.tokenType === T.Struct || t.tokenType === T.Union || t.tokenType === T.Enum) {
      if (this.LA(i + 1).tokenType !== T.Identifier) return false;
      i += 2;
    } else if (t.tokenType === T.Identifier && INT_TYPE_NAMES.has(t.image)) {
      i += 1;
    } else {
      return false;
    }
    while (this.LA(i).tokenType === T.Star) i++;
    return this.LA(i).tokenType === T.RParen;
  }

  private typeName = this.RULE('typeName', (): string => this.OR([
    {
      ALT: () => {
        const kw = this.OR2([
          { ALT: () => this.CONSUME(T.Struct) },
          { ALT: () => this.CONSUME(T.Union) },
          { ALT: () => this.CONSUME(T.Enum) },
        ]);
        const id = this.CONSUME(T.Identifier);
        return `${kw.image} ${id.image}`;
      },
    },
    { ALT: () => this.CONSUME2(T.Identifier).image },
  ]));

  private postfix = this.RULE('postfix', (): Expr => {
    let e = this.SUBRULE(this.primary);
    this.MANY(() => this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Dot);
          this.OR2([
            {
              ALT: () => {
                const f = this.CONSUME(T.Identifier);
                e = this.ACTION(() => ({ kind: 'Field', object: e, field: f.image, arrow: false, loc: spanLoc(e.loc, this.loc(f)) })) as Expr;
              },
            },
            {
              ALT: () => {
                const n = this.CONSUME(T.IntLiteral);
                e = this.ACTION(() => ({ kind: 'TupleIndex', object: e, index: Number(n.image), loc: spanLoc(e.loc, this.loc(n)) })) as Expr;
              },
            },
          ]);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Arrow);
          const f = this.CONSUME2(T.Identifier);
          e = this.ACTION(() => ({ kind: 'Field', object: e, field: f.image, arrow: true, loc: spanLoc(e.loc, this.loc(f)) })) as Expr;
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          const index = this.SUBRULE(this.expr);
          const close = this.CONSUME(T.RBracket);
          e = this.ACTION(() => ({ kind: 'Index', object: e, index, loc: spanLoc(e.loc, this.loc(close)) })) as Expr;
        },
      },
      {
        ALT: () => {
          const op = this.OR3([
            { ALT: () => this.CONSUME(T.Increment) },
            { ALT: () => this.CONSUME(T.Decrement) },
          ]);
          e = this.ACTION(() => ({ kind: 'IncDec', op: op.image as '++' | '--', prefix: false, target: e, loc: spanLoc(e.loc, this.loc(op)) })) as Expr;
        },
      },
    ]));
    return e;
  });

  private primary = this.RULE('primary', (): Expr => this.OR([
    {
      ALT: () => {
        const t = this.CONSUME(T.IntLiteral);
        return this.ACTION(() => {
          const loc = this.loc(t);
          const parsed = parseIntLiteral(t.image);
          if (typeof parsed === 'string') {
            this.error(parsed, this.lexLoc(loc));
            return { kind: 'Int', value: 0n, loc } as Expr;
          }
          return { kind: 'Int', value: parsed, loc } as Expr;
        }) as Expr;
      },
    },
    {
      ALT: () => {
        const t = this.CONSUME(T.StringLiteral);
        return this.ACTION(() => {
          const loc = this.loc(t);
          const decoded = decodeString(t.image.slice(1, -1));
          if (decoded.error) {
            const at = decoded.errorEnd !== undefined ? { ...loc, endCol: loc.col + 1 + decoded.errorEnd } : loc;
            this.error(decoded.error, this.lexLoc(at));
          }
          return { kind: 'String', value: decoded.value, loc } as Expr;
        }) as Expr;
      },
    },
    {
      ALT: () => {
        const t = this.CONSUME(T.UnterminatedString);
        return this.ACTION(() => {
          this.error('unterminated string', this.lexLoc(this.loc(t)));
          return { kind: 'String', value: '', loc: this.loc(t) } as Expr;
        }) as Expr;
      },
    },
    {
      ALT: () => {
        const t = this.OR2([{ ALT: () => this.CONSUME(T.True) }, { ALT: () => this.CONSUME(T.False) }]);
        return this.ACTION(() => ({ kind: 'Bool', value: t.image === 'true', loc: this.loc(t) })) as Expr;
      },
    },
    {
      ALT: () => {
        const t = this.CONSUME(T.Param);
        return this.ACTION(() => {
          const loc = this.loc(t);
          if (t.image === '$#') return { kind: 'Param', index: 0, count: true, loc } as Expr;
          const index = Number(t.image.slice(1));
          if (!(index >= 1 && Number.isSafeInteger(index))) {
            this.error(`param ${t.image} is out of integer range [1, 9223372036854775807]`, loc);
          }
          return { kind: 'Param', index, count: false, loc } as Expr;
        }) as Expr;
      },
    },
    {
      ALT: () => {
        const t = this.CONSUME(T.Variable);
        return this.ACTION(() => ({ kind: 'Variable', name: t.image, loc: this.loc(t) })) as Expr;
      },
    },
    { ALT: () => this.SUBRULE(this.mapExpr) },
    { ALT: () => this.SUBRULE(this.sizeofExpr) },
    { ALT: () => this.SUBRULE(this.offsetofExpr) },
    { ALT: () => this.SUBRULE(this.containerOfExpr) },
    {
      ALT: () => {
        const id = this.CONSUME(T.Identifier);
        let args: Expr[] | undefined;
        let close: IToken | undefined;
        this.OPTION(() => {
          this.CONSUME(T.LParen);
          args = this.SUBRULE(this.argList);
          close = this.CONSUME(T.RParen);
        });
        return this.ACTION(() => {
          const nameLoc = this.loc(id);
          if (!args || !close) return { kind: 'Identifier', name: id.image, loc: nameLoc } as Expr;
          return { kind: 'Call', name: id.image, args, nameLoc, loc: spanLoc(nameLoc, this.loc(close)) } as Expr;
        }) as Expr;
      },
    },
    {
      ALT: () => {
        const open = this.CONSUME2(T.LParen);
        const elems = this.SUBRULE2(this.argList);
        const close = this.CONSUME2(T.RParen);
        return this.ACTION(() => {
          const loc = spanLoc(this.loc(open), this.loc(close));
          if (elems.length === 0) {
            this.error('syntax error, unexpected )', this.loc(close));
            return { kind: 'Int', value: 0n, loc } as Expr;
          }
          if (elems.length === 1) return elems[0];
          return { kind: 'Tuple', elems, loc } as Expr;
        }) as Expr;
      },
    },
  ]));

  /** `sizeof(TYPE)` / `sizeof(expr)`: a type when the parenthesis holds a type name only. */
  private sizeofExpr = this.RULE('sizeofExpr', (): Expr => {
    const kw = this.CONSUME(T.Sizeof);
    let typeName: string | undefined;
    let operand: Expr | undefined;
    this.OR([
      {
        GATE: () => this.castAhead(),
        ALT: () => {
          this.CONSUME(T.LParen);
          typeName = this.SUBRULE(this.typeName);
          this.CONSUME(T.RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME2(T.LParen);
          operand = this.SUBRULE(this.expr);
          this.CONSUME2(T.RParen);
        },
      },
    ]);
    return this.ACTION(() => {
      const last = this.LA(0);
      return { kind: 'Sizeof', typeName, expr: operand, loc: spanLoc(this.loc(kw), this.loc(last)) };
    }) as Expr;
  });

  /** `a.b.c` in offsetof/container_of: the names of nested fields. */
  private fieldPath = this.RULE('fieldPath', (): string[] => {
    const fields: string[] = [];
    const first = this.CONSUME(T.Identifier);
    this.ACTION(() => fields.push(first.image));
    this.MANY(() => {
      this.CONSUME(T.Dot);
      const f = this.CONSUME2(T.Identifier);
      this.ACTION(() => fields.push(f.image));
    });
    return fields;
  });

  /** `offsetof(struct foo, a.b)` (HEAD): a record type, then a field path. */
  private offsetofExpr = this.RULE('offsetofExpr', (): Expr => {
    const kw = this.CONSUME(T.Offsetof);
    this.CONSUME(T.LParen);
    const typeName = this.SUBRULE(this.typeName);
    this.CONSUME(T.Comma);
    const fields = this.SUBRULE(this.fieldPath);
    const close = this.CONSUME(T.RParen);
    return this.ACTION(() => ({ kind: 'Offsetof', typeName, fields, loc: spanLoc(this.loc(kw), this.loc(close)) })) as Expr;
  });

  /** `container_of(ptr, struct foo, a.b)` (HEAD): the pointer, a record type, a field path. */
  private containerOfExpr = this.RULE('containerOfExpr', (): Expr => {
    const kw = this.CONSUME(T.ContainerOf);
    this.CONSUME(T.LParen);
    const ptr = this.SUBRULE(this.expr);
    this.CONSUME(T.Comma);
    const typeName = this.SUBRULE(this.typeName);
    this.CONSUME2(T.Comma);
    const fields = this.SUBRULE(this.fieldPath);
    const close = this.CONSUME(T.RParen);
    return this.ACTION(() => containerOf(ptr, typeName, fields, spanLoc(this.loc(kw), this.loc(close)))) as Expr;
  });

  private mapExpr = this.RULE('mapExpr', (): Expr => {
    const t = this.CONSUME(T.MapName);
    let keys: Expr[] = [];
    let close: IToken | undefined;
    this.OPTION(() => {
      this.CONSUME(T.LBracket);
      keys = this.SUBRULE(this.argList);
      close = this.CONSUME(T.RBracket);
    });
    return this.ACTION(() => ({
      kind: 'Map', name: t.image, keys, loc: close ? spanLoc(this.loc(t), this.loc(close)) : this.loc(t),
    })) as Expr;
  });

  private argList = this.RULE('argList', (): Expr[] => {
    const args: Expr[] = [];
    this.MANY_SEP({
      SEP: T.Comma,
      DEF: () => {
        const e = this.SUBRULE(this.expr);
        this.ACTION(() => args.push(e));
      },
    });
    return args;
  });

  // Declared last: binaryLevel builds rules that refer to the ones above.
  private multiplicative = this.binaryLevel('multiplicative', [T.Star, T.Div, T.Mod], () => this.unary);
  private additive = this.binaryLevel('additive', [T.Plus, T.Minus], () => this.multiplicative);
  private shift = this.binaryLevel('shift', [T.LeftShift, T.RightShift], () => this.additive);
  private relational = this.binaryLevel('relational', [T.Less, T.LessEq, T.Greater, T.GreaterEq], () => this.shift);
  private equality = this.binaryLevel('equality', [T.EqEq, T.NotEq], () => this.relational);
  private bitAnd = this.binaryLevel('bitAnd', [T.Ampersand], () => this.equality);
  private bitXor = this.binaryLevel('bitXor', [T.Caret], () => this.bitAnd);
  private bitOr = this.binaryLevel('bitOr', [T.Pipe], () => this.bitXor);
  private logicalAnd = this.binaryLevel('logicalAnd', [T.AndAnd], () => this.bitOr);
  private logicalOr = this.binaryLevel('logicalOr', [T.OrOr], () => this.logicalAnd);
}

/**
 * The parser every parse starts with: its lookahead comes from
 * lookahead-paths.ts and it never records the grammar. chevrotain needs the
 * grammar only to say what a syntax error expected, so at the first error this
 * one gives up and parse() runs the input again through the recorded parser.
 */
class StoredLookaheadParser extends BpftraceParser {
  constructor() {
    super(false);
  }
  raiseNoAltException(): never {
    throw new NeedsRecordedGrammar();
  }
  raiseEarlyExitException(): never {
    throw new NeedsRecordedGrammar();
  }
  /** chevrotain's lookup of a decision's function; one lookahead-paths.ts lacks (stale) is built by the recorded parser. */
  getLaFuncFromCache(key: number): unknown {
    const fn = (this as unknown as { lookAheadFuncsCache: Map<number, unknown> }).lookAheadFuncsCache.get(key);
    if (fn === undefined) throw new NeedsRecordedGrammar();
    return fn;
  }
}

let recordedParser: BpftraceParser | undefined;
/** The parser with chevrotain's recorded grammar (syntax errors, the grammar tooling). */
export function getParser(): BpftraceParser {
  recordedParser ??= new BpftraceParser();
  return recordedParser;
}

let storedParser: StoredLookaheadParser | undefined;
/** The parser parse() tries first; exported for the tests. */
export function getStoredLookaheadParser(): BpftraceParser {
  storedParser ??= new StoredLookaheadParser();
  return storedParser;
}

/**
 * Source → AST. Throws CompileError with bpftrace-style diagnostics for lexical
 * and syntax errors.
 */
export function parse(source: string, file = 'stdin'): Program {
  try {
    return parseWith(getStoredLookaheadParser(), source, file);
  } catch (e) {
    if (!(e instanceof NeedsRecordedGrammar)) throw e;
  }
  return parseRecorded(source, file);
}

/** parse() through the recorded parser only (the tests compare the two). */
export function parseRecorded(source: string, file = 'stdin'): Program {
  return parseWith(getParser(), source, file);
}

function parseWith(parser: BpftraceParser, source: string, file: string): Program {
  parser.file = file;
  parser.source = source;
  parser.diagnostics = [];
  const lexed = tokenize(source);
  const diagnostics: Diagnostic[] = lexed.errors.map((e) => {
    const ch = source[e.offset];
    return {
      level: 'ERROR' as const,
      message: `invalid character '${ch}'`,
      loc: parser.lexLoc({ file, line: e.line ?? 1, col: e.column ?? 1, endLine: e.line ?? 1, endCol: (e.column ?? 1) + e.length }),
    };
  });
  let commentLoc: Loc | undefined;
  const unterminated = lexed.tokens.findIndex((t) => t.tokenType === T.UnterminatedComment);
  if (unterminated >= 0) {
    // As bpftrace: the comment swallowed the rest of the file; the error spans
    // the comment on its last line (bpftrace's lexer location restarts at newlines).
    const t = lexed.tokens[unterminated];
    const lines = t.image.split('\n');
    const line = (t.startLine ?? 1) + lines.length - 1;
    const col = lines.length > 1 ? 1 : t.startColumn ?? 1;
    commentLoc = { file, line, col, endLine: line, endCol: col + lines[lines.length - 1].length };
    diagnostics.push({ level: 'ERROR', message: 'end of file during comment', loc: commentLoc });
    lexed.tokens.splice(unterminated);
  }
  const preamble = preprocess(lexed.tokens, source, diagnostics, (t) => parser.loc(t));
  parser.input = expandDefines(preamble.tokens, diagnostics, parser);
  const program = parser.program();
  if (parser.errors.length > 0 && parser instanceof StoredLookaheadParser) throw new NeedsRecordedGrammar();
  diagnostics.push(...parser.diagnostics);
  if (parser.errors.length > 0) {
    const e = parser.errors[0];
    const unterminated = parser.diagnostics.find((d) => d.message === 'unterminated string');
    if (commentLoc && e.token.tokenType === EOF) {
      diagnostics.push({ level: 'ERROR', message: e.message, loc: commentLoc });
    } else if (unterminated && e.token.tokenType === EOF) {
      // As bpftrace: the unterminated string swallowed the rest, reported at the string.
      diagnostics.push({ level: 'ERROR', message: 'syntax error, unexpected end of file', loc: unterminated.loc });
    } else {
      diagnostics.push({ level: 'ERROR', message: e.message, loc: parser.loc(e.token) });
    }
  }
  if (diagnostics.length > 0) throw new CompileError(diagnostics);
  // After the error check: a failed parse returns no program.
  if (preamble.cDefinitions.length > 0) program.cDefinitions = preamble.cDefinitions;
  return program;
}

/**
 * `#define NAME text` object-like macros: every later identifier `NAME` is
 * replaced by the tokens of `text`, as bpftrace 0.17's lexer re-injects the
 * macro body. Expanded tokens take the location of the name they replace.
 * Function-like macros (`#define F(x) …`) are left to the C preamble.
 */
function expandDefines(tokens: IToken[], diagnostics: Diagnostic[], parser: BpftraceParser): IToken[] {
  if (!tokens.some((t) => t.tokenType === T.Preprocessor && /^#\s*define\s/.test(t.image))) return tokens;
  const macros = new Map<string, IToken[]>();
  const out: IToken[] = [];
  const expand = (t: IToken, depth: number): void => {
    const body = t.tokenType === T.Identifier ? macros.get(t.image) : undefined;
    if (!body) {
      out.push(t);
      return;
    }
    if (depth >= 1000) {
      diagnostics.push({ level: 'ERROR', message: `Macro recursion limit reached: ${t.image}`, loc: parser.loc(t) });
      return;
    }
    for (const b of body) {
      expand({
        ...b, startOffset: t.startOffset, endOffset: t.endOffset, startLine: t.startLine, endLine: t.endLine,
        startColumn: t.startColumn, endColumn: t.endColumn,
      }, depth + 1);
    }
  };
  for (const t of tokens) {
    if (t.tokenType === T.Preprocessor) {
      const m = /^#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)(?![(A-Za-z0-9_])\s*(.*)$/.exec(t.image);
      if (m) macros.set(m[1], tokenize(m[2]).tokens);
      out.push(t);
      continue;
    }
    expand(t, 0);
  }
  return out;
}
