// The AST: a discriminated union on `kind`. Every node carries its source range.
// The type checker fills `type` on expressions (see src/checker); no other pass
// mutates nodes.
import type { StructField, Type } from '../checker/types';

/** A source range. Lines and columns are 1-based; `endCol` is exclusive, as in bpftrace. */
export interface Loc {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

export interface Program {
  kind: 'Program';
  preamble: Preprocessor[];
  /** HEAD's `config = { name = value; … }` block before the probes. */
  config?: ConfigEntry[];
  /** HEAD `macro name(params) { … }` definitions, expanded by src/ast/macros.ts before checking. */
  macros?: MacroDecl[];
  probes: Probe[];
  /** The script's C `struct`/`union`/`enum` definitions, as text (src/ctypes parses them). */
  cDefinitions?: CDefinition[];
  loc: Loc;
}

export interface CDefinition {
  kind: 'CDefinition';
  text: string;
  loc: Loc;
}

/** One `name = value` of a config block; value is an integer or string literal. */
export interface ConfigEntry {
  kind: 'ConfigEntry';
  name: string;
  value: bigint | string;
  loc: Loc;
}

export interface Preprocessor {
  kind: 'Preprocessor';
  text: string;
  loc: Loc;
}

/**
 * `macro name($var, @map, expr) { stmts; value }` (HEAD). `value` is the body's
 * final expression when it has no `;` after it; a macro without one is a
 * statement macro.
 */
export interface MacroDecl { kind: 'Macro'; name: string; params: MacroParam[]; body: Block; value?: Expr; nameLoc: Loc; loc: Loc }
/** `$x` (a variable, by reference), `@m` (a map), `x` (an expression, substituted). */
export interface MacroParam { kind: 'MacroParam'; form: 'variable' | 'map' | 'expr'; name: string; loc: Loc }

export interface Probe {
  kind: 'Probe';
  attachPoints: AttachPoint[];
  predicate?: Expr;
  body: Block;
  loc: Loc;
}

/** The attach point exactly as written (`t:syscalls:sys_enter_open*`); providers parse it. */
export interface AttachPoint {
  kind: 'AttachPoint';
  text: string;
  loc: Loc;
}

export interface Block {
  kind: 'Block';
  stmts: Stmt[];
  /** `<` … `>` instead of `{` … `}`: kept only so the printer can round-trip it. */
  angle: boolean;
  loc: Loc;
}

export type AssignOp = '=' | '+=' | '-=' | '*=' | '/=' | '%=' | '&=' | '|=' | '^=' | '<<=' | '>>=';

export type Stmt =
  | ExprStmt
  | AssignStmt
  | IfStmt
  | WhileStmt
  | UnrollStmt
  | JumpStmt
  | LetStmt
  | ForStmt
  | ForMapStmt;

export interface ExprStmt { kind: 'ExprStmt'; expr: Expr; loc: Loc }
/** `target op value`; the target is a map or a scratch variable (checked by the parser). */
export interface AssignStmt { kind: 'Assign'; target: MapExpr | VariableExpr; op: AssignOp; value: Expr; opLoc: Loc; loc: Loc }
export interface IfStmt { kind: 'If'; cond: Expr; then: Block; else?: Block; loc: Loc }
export interface WhileStmt { kind: 'While'; cond: Expr; body: Block; loc: Loc }
/** `headerLoc` spans `unroll(N)`, where bpftrace reports count errors. */
export interface UnrollStmt { kind: 'Unroll'; count: Expr; body: Block; headerLoc: Loc; loc: Loc }
/** `let $x;`, `let $x = e;`, `let $x: uint16 = e;` (HEAD): a block-scoped declaration. */
export interface LetStmt { kind: 'Let'; variable: VariableExpr; typeName?: string; typeLoc?: Loc; value?: Expr; loc: Loc }
/** `for ($i : start..end) { … }` (HEAD): start inclusive, end exclusive, bounds evaluated once. */
export interface ForStmt { kind: 'For'; variable: VariableExpr; start: Expr; end: Expr; body: Block; loc: Loc }
/**
 * `for ($kv : @map) { … }` (HEAD): `$kv` is `(key, value)`, the key a tuple
 * for multi-key maps. Lowered to a bpf_for_each_map_elem callback.
 */
export interface ForMapStmt { kind: 'ForMap'; variable: VariableExpr; map: MapExpr; body: Block; loc: Loc }
export interface JumpStmt { kind: 'Jump'; jump: 'break' | 'continue' | 'return'; loc: Loc }

export type BinaryOp =
  | '||' | '&&' | '|' | '^' | '&' | '==' | '!=' | '<' | '<=' | '>' | '>='
  | '<<' | '>>' | '+' | '-' | '*' | '/' | '%';
export type UnaryOp = '-' | '!' | '~' | '*' | '&';

export type Expr =
  | IntExpr
  | StringExpr
  | BoolExpr
  | IdentifierExpr
  | VariableExpr
  | MapExpr
  | ParamExpr
  | CallExpr
  | BinaryExpr
  | UnaryExpr
  | IncDecExpr
  | TernaryExpr
  | FieldExpr
  | IndexExpr
  | TupleIndexExpr
  | TupleExpr
  | CastExpr
  | SizeofExpr
  | OffsetofExpr
  | BlockExpr;

interface ExprBase { loc: Loc; type?: Type }

export interface IntExpr extends ExprBase { kind: 'Int'; value: bigint }
/** `value` holds the decoded bytes, one char per byte (latin1). */
export interface StringExpr extends ExprBase { kind: 'String'; value: string }
export interface BoolExpr extends ExprBase { kind: 'Bool'; value: boolean }
/** A bare name: a builtin (`pid`, `comm`, `args`), or an enum constant. */
export interface IdentifierExpr extends ExprBase {
  kind: 'Identifier';
  name: string;
  /** Set by the checker when the name is an integer constant (enum, header macro). */
  value?: bigint;
}
/**
 * `slot` is set by the checker when the name resolves to a `let`/`for`
 * declaration: the storage key, unique per declaration (block scoping).
 */
export interface VariableExpr extends ExprBase { kind: 'Variable'; name: string; slot?: string }
export interface MapExpr extends ExprBase { kind: 'Map'; name: string; keys: Expr[] }
/** `$1` … `$N` (index ≥ 1) or `$#` (index 0, `count` true). */
export interface ParamExpr extends ExprBase { kind: 'Param'; index: number; count: boolean }
export interface CallExpr extends ExprBase { kind: 'Call'; name: string; args: Expr[]; nameLoc: Loc }
export interface BinaryExpr extends ExprBase { kind: 'Binary'; op: BinaryOp; left: Expr; right: Expr; opLoc: Loc }
export interface UnaryExpr extends ExprBase { kind: 'Unary'; op: UnaryOp; operand: Expr }
export interface IncDecExpr extends ExprBase { kind: 'IncDec'; op: '++' | '--'; prefix: boolean; target: Expr }
/** `elvis`: written `cond ?: else` (then is the same node as cond, evaluated once). */
export interface TernaryExpr extends ExprBase { kind: 'Ternary'; cond: Expr; then: Expr; else: Expr; elvis?: boolean }
/** `member` is set by the checker: the member's offset, type and bitfield position. */
export interface FieldExpr extends ExprBase { kind: 'Field'; object: Expr; field: string; arrow: boolean; member?: StructField }
/** `tupleIndex`: set by the checker for HEAD's `$t[0]` (a tuple with a literal index). */
export interface IndexExpr extends ExprBase { kind: 'Index'; object: Expr; index: Expr; tupleIndex?: number }
export interface TupleIndexExpr extends ExprBase { kind: 'TupleIndex'; object: Expr; index: number }
export interface TupleExpr extends ExprBase { kind: 'Tuple'; elems: Expr[] }
/** `(type)expr`; `typeName` as written, e.g. `uint32`, `struct task_struct *`. */
export interface CastExpr extends ExprBase { kind: 'Cast'; typeName: string; pointerDepth: number; expr: Expr }

/** `sizeof(TYPE)` or `sizeof(expr)`; the checker sets `size` (bytes). */
export interface SizeofExpr extends ExprBase { kind: 'Sizeof'; typeName?: string; expr?: Expr; size?: number }

/** `offsetof(struct foo, a.b)`; the checker sets `offset` (bytes). */
export interface OffsetofExpr extends ExprBase { kind: 'Offsetof'; typeName: string; fields: string[]; offset?: number }

/**
 * An expanded macro call: the statements run, then `value` is the result
 * (absent for statement macros). `macro` names the macro, for messages.
 */
export interface BlockExpr extends ExprBase { kind: 'BlockExpr'; stmts: Stmt[]; value?: Expr; macro: string }

export type Node = Program | MacroDecl | MacroParam | Preprocessor | CDefinition | ConfigEntry | Probe | AttachPoint | Block | Stmt | Expr;

export function spanLoc(a: Loc, b: Loc): Loc {
  return { file: a.file, line: a.line, col: a.col, endLine: b.endLine, endCol: b.endCol };
}
