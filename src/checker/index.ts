// AST → typed AST. One entry point: `check(program, options)`.
//
// Sets `type` on every expression, fixes the key and value types of every map
// across all probes, expands attach points into concrete probes, and reports
// every error of the pass at once (bpftrace's messages and locations).
import { checkSingleIter } from './iter';
import { checkLiterals } from './literals';
import { checkMapSizes } from './limits';
import type {
  AssignStmt, Block, CallExpr, Expr, LetStmt, Loc, MapExpr, Probe, Program, Stmt, VariableExpr,
} from '../ast/nodes';
import { spanLoc } from '../ast/nodes';
import { Diagnostic, DiagnosticBag } from '../diagnostics';
import { matchAttachPoint, MissingTargetError, ProbeError, ProbeMatch } from '../probes';
import { EnvironmentError } from '../probes/provider';
import { builtinType, BUILTIN_NAMES } from './builtins';
import { bareCallIdentifier } from './task';
import { checkConfigRead, currentConfig } from './config';
import { checkCall, CallContext, FUNCTION_NAMES } from './calls';
import { curtaskType, positionalStr } from './functions';
import { INT64, UINT64, NONE, Type, isInt, sameType, typeName, int, str, IntBits, storageSize } from './types';
import { suggest } from './suggest';
import { forMapElementType } from './formap';
import { expandMacros } from '../ast/macros';
import { TypeRegistry } from '../ctypes/registry';
import { checkCast, checkDeref, checkField, checkIndex, checkOffsetof, constantIdentifier, sizeofType } from './memory';
import { comptimeTruth } from './comptime';

export interface MapInfo {
  name: string;
  /** Index into the program's map table (the fd_array slot). */
  index: number;
  /** Key part types; empty for a scalar map. */
  keyTypes: Type[];
  valueType: Type;
  loc: Loc;
}

export type FormatAction = 'system' | 'cat' | 'errorf' | 'warnf';

export interface PrintfSite {
  id: number;
  format: string;
  argTypes: Type[];
  loc: Loc;
  /** system()/cat(): the formatted text is a command to run / a file to print; errorf()/warnf() (HEAD): a located message. */
  action?: FormatAction;
}

/** A print() of a non-map value. */
export interface PrintSite {
  id: number;
  type: Type;
}

export interface CheckedProbe {
  ast: Probe;
  matches: ProbeMatch[];
}

export interface CheckedProgram {
  ast: Program;
  probes: CheckedProbe[];
  maps: MapInfo[];
  /** printf call → its site; ids are dense from 0 in source order. */
  printfs: Map<CallExpr, PrintfSite>;
  prints: Map<CallExpr, PrintSite>;
  warnings: Diagnostic[];
  /** The program embeds facts of this machine read at compile time (cgroupid): don't cache it. */
  uncacheable?: boolean;
}

export interface CheckOptions {
  /** Positional parameters ($1 …). */
  params?: string[];
  /** Capacity of `str()` results (BPFTRACE_STRLEN). */
  strlen?: number;
  /** A -c command was given (`cpid` is allowed). */
  childCommand?: boolean;
  /**
   * --dry-run: kernel functions, library symbols and kernel symbols this
   * machine lacks are warnings (the object is still built), not errors.
   */
  dryRun?: boolean;
  /** --unsafe: allow system(), signal(), override(). */
  unsafe?: boolean;
  /** Named program options after `--` (`--name=value`, `--name`), read by getopt() (HEAD). */
  namedArgs?: string[];
}

interface Scope {
  /** Types by storage key: the name for probe-scoped variables, the slot for `let`/`for` ones. */
  vars: Map<string, Type>;
  /** Block scopes, innermost last: `let`/`for` names → storage slot. */
  lets: Map<string, string>[];
  /** Declared types of `let $x: T` slots. */
  declared: Map<string, Type>;
  match: ProbeMatch;
  loopDepth: number;
}

class Checker {
  readonly diags = new DiagnosticBag();
  readonly maps = new Map<string, MapInfo>();
  readonly printfs = new Map<CallExpr, PrintfSite>();
  readonly prints = new Map<CallExpr, PrintSite>();
  /** First pass: learn map types from assignments only; report nothing. */
  collecting = true;
  uncacheable = false;
  /** What `config.x` reads (src/checker/config.ts). */
  configValues: Record<string, bigint> = {};
  /** Inside the branch of an `if` not taken by a compile-time condition: fail()/static_assert() are not reached. */
  unreachedDepth = 0;

  constructor(readonly options: Required<CheckOptions>, readonly types: TypeRegistry) {}

  error(message: string, loc?: Loc): void {
    if (!this.collecting) this.diags.error(message, loc);
  }
  warning(message: string, loc: Loc): void {
    if (!this.collecting) this.diags.warning(message, loc);
  }

  probe(p: Probe, matches: ProbeMatch[]): void {
    const scope: Scope = { vars: new Map(), lets: [], declared: new Map(), match: matches[0], loopDepth: 0 };
    if (p.predicate) {
      const t = this.expr(p.predicate, scope);
      if (t.kind !== 'int' && t.kind !== 'pointer' && t.kind !== 'bool' && t.kind !== 'none') {
        this.error(`Invalid type for predicate: ${t.kind === 'string' ? 'string' : typeName(t)}`, p.predicate.loc);
      }
    }
    this.block(p.body, scope);
  }

  block(b: Block, scope: Scope): void {
    scope.lets.push(new Map());
    for (const s of b.stmts) this.stmt(s, scope);
    scope.lets.pop();
  }

  /** The storage key of `$name` here: its innermost `let`/`for` slot, or the name (probe scope). */
  resolve(v: VariableExpr, scope: Scope): string {
    for (let i = scope.lets.length - 1; i >= 0; i--) {
      const slot = scope.lets[i].get(v.name);
      if (slot) {
        v.slot = slot;
        return slot;
      }
    }
    delete v.slot;
    return v.name;
  }

  /** Declares `$name` in the innermost block; HEAD forbids shadowing any visible variable. */
  declare(v: VariableExpr, scope: Scope): string {
    const visible = scope.lets.some((m) => m.has(v.name)) || scope.vars.has(v.name);
    if (visible) this.error(`Variable ${v.name} was already declared. Variable shadowing is not allowed.`, v.loc);
    const slot = `${v.name}@${v.loc.line}:${v.loc.col}`;
    scope.lets[scope.lets.length - 1].set(v.name, slot);
    v.slot = slot;
    return slot;
  }

  letStmt(s: LetStmt, scope: Scope): void {
    let declared: Type | undefined;
    if (s.typeName !== undefined) {
      const m = /^(u?)int(8|16|32|64)$/.exec(s.typeName);
      if (m) declared = int(Number(m[2]) as IntBits, m[1] === '');
      else this.error(`Unsupported type for a variable declaration: ${s.typeName}`, s.typeLoc ?? s.loc);
    }
    const valueType = s.value ? this.expr(s.value, scope, false, true) : undefined;
    const slot = this.declare(s.variable, scope);
    if (declared) {
      scope.declared.set(slot, declared);
      if (valueType && valueType.kind !== 'int' && valueType.kind !== 'none') {
        this.error(`Type mismatch for ${s.variable.name}: trying to assign value of type '${typeName(valueType)}' when variable already contains a value of type '${typeName(declared)}'`, s.value!.loc);
      }
      scope.vars.set(slot, declared);
    } else if (valueType && valueType.kind !== 'none' && valueType.kind !== 'agg') {
      scope.vars.set(slot, valueType);
    } else {
      scope.vars.delete(slot);
    }
    s.variable.type = scope.vars.get(slot);
  }

  stmt(s: Stmt, scope: Scope): void {
    switch (s.kind) {
      case 'ExprStmt':
        this.expr(s.expr, scope, true);
        return;
      case 'Assign':
        this.assign(s, scope);
        return;
      case 'If':
      {
        this.condition(s.cond, scope, 'if()');
        const taken = comptimeTruth(s.cond, this);
        this.unreachedDepth += taken === false ? 1 : 0;
        this.block(s.then, scope);
        this.unreachedDepth += (taken === false ? -1 : 0) + (taken === true ? 1 : 0);
        if (s.else) this.block(s.else, scope);
        this.unreachedDepth -= taken === true ? 1 : 0;
        return;
      }
      case 'While':
        this.condition(s.cond, scope, 'while()');
        scope.loopDepth++;
        this.block(s.body, scope);
        scope.loopDepth--;
        return;
      case 'Unroll': {
        const n = this.constInt(s.count, scope);
        if (n === undefined) this.error('unroll count must be a positive integer literal', s.count.loc);
        else if (n > 100n) this.error('unroll maximum value is 100', s.headerLoc);
        else if (n < 1n) this.error('unroll minimum value is 1', s.headerLoc);
        this.block(s.body, scope);
        return;
      }
      case 'Let':
        this.letStmt(s, scope);
        return;
      case 'For': {
        for (const bound of [s.start, s.end]) {
          const t = this.expr(bound, scope);
          if (t.kind !== 'int' && t.kind !== 'none') this.error(`Loop range requires an integer, got ${typeName(t)}`, bound.loc);
        }
        // The loop variable lives in a scope around the body.
        scope.lets.push(new Map());
        const slot = this.declare(s.variable, scope);
        scope.vars.set(slot, INT64);
        s.variable.type = INT64;
        scope.loopDepth++;
        this.block(s.body, scope);
        scope.loopDepth--;
        scope.lets.pop();
        return;
      }
      case 'ForMap': {
        const elem = forMapElementType(s, this);
        scope.lets.push(new Map());
        const slot = this.declare(s.variable, scope);
        // NONE after an error keeps the body from reporting `$kv` as undefined.
        scope.vars.set(slot, elem ?? NONE);
        s.variable.type = elem ?? NONE;
        scope.loopDepth++;
        this.block(s.body, scope);
        scope.loopDepth--;
        scope.lets.pop();
        return;
      }
      case 'Jump':
        if (s.jump !== 'return' && scope.loopDepth === 0) this.error(`${s.jump} used outside of a loop`, s.loc);
        return;
    }
  }

  condition(e: Expr, scope: Scope, what: string): void {
    const t = this.expr(e, scope);
    if (t.kind !== 'int' && t.kind !== 'pointer' && t.kind !== 'bool' && t.kind !== 'none') {
      this.error(`Invalid condition in ${what}: ${t.kind === 'string' ? 'string' : typeName(t)}`, e.loc);
    }
  }

  /** A compile-time integer (literal or numeric positional parameter). */
  constInt(e: Expr, scope: Scope): bigint | undefined {
    this.expr(e, scope);
    if (e.kind === 'Int') return e.value;
    if (e.kind === 'Param' && !e.count) {
      const v = this.options.params[e.index - 1] ?? '0';
      return /^[0-9]+$/.test(v) ? BigInt(v) : undefined;
    }
    return undefined;
  }

  assign(s: AssignStmt, scope: Scope): void {
    const value = s.op === '=' ? s.value : ({ kind: 'Binary', op: s.op.slice(0, -1), left: s.target, right: s.value, opLoc: s.opLoc, loc: s.loc } as Expr);
    if (s.target.kind === 'Variable') {
      const t = this.expr(value, scope, false, true);
      if (t.kind === 'agg') return; // reported by the call
      const key = this.resolve(s.target, scope);
      const prev = scope.vars.get(key);
      if (scope.declared.has(key) && (t.kind === 'int' || t.kind === 'none')) {
        // `let $x: uint16` keeps its declared type; integers are truncated on store.
        s.target.type = prev;
        return;
      }
      if (prev && !sameType(prev, t) && prev.kind === 'tuple' && t.kind === 'tuple') {
        this.error(`Tuple type mismatch: ${typeName(prev)} != ${typeName(t)}.`, s.opLoc);
      } else if (prev && !sameType(prev, t)) {
        this.error(`Type mismatch for ${s.target.name}: trying to assign value of type '${typeName(t)}' when variable already contains a value of type '${typeName(prev)}'`, s.opLoc);
      } else {
        const widened = prev?.kind === 'string' && t.kind === 'string' ? str(Math.max(prev.size, t.size)) : t;
        scope.vars.set(key, widened);
      }
      s.target.type = scope.vars.get(key);
      return;
    }
    const map = s.target;
    const keyTypes = map.keys.map((k) => this.mapKeyType(this.expr(k, scope)));
    let t: Type;
    if (s.op !== '=' && !this.maps.has(map.name)) {
      // `@m[k] += v` may be the first use of @m (as in bpftrace): a missing entry reads as 0.
      t = this.expr(s.value, scope);
    } else if (value.kind === 'Call' && isAggregation(value.name)) {
      t = this.call(value, scope, { directMapValue: true, map });
    } else {
      t = this.expr(value, scope);
    }
    if (t.kind === 'none') return;
    this.defineMap(map, keyTypes, t, s.opLoc);
    map.type = this.maps.get(map.name)?.valueType;
  }

  /** Integer keys are stored and checked as 64-bit unsigned, as in bpftrace 0.17. */
  mapKeyType(t: Type): Type {
    return t.kind === 'int' ? UINT64 : t;
  }

  /** `opLoc`: the assignment operator, where bpftrace reports tuple mismatches. */
  defineMap(map: MapExpr, keyTypes: Type[], valueType: Type, opLoc?: Loc): void {
    const existing = this.maps.get(map.name);
    if (!existing) {
      this.maps.set(map.name, { name: map.name, index: this.maps.size, keyTypes, valueType, loc: map.loc });
      return;
    }
    this.checkKeys(map, existing, keyTypes);
    const prev = existing.valueType;
    if (!sameType(prev, valueType) && prev.kind === 'tuple' && valueType.kind === 'tuple') {
      this.error(`Tuple type mismatch: ${typeName(prev)} != ${typeName(valueType)}.`, opLoc ?? map.loc);
    } else if (!sameType(prev, valueType)) {
      // bpftrace's message lacks the closing quote; kept for byte-exact output.
      this.error(`Type mismatch for ${map.name}: trying to assign value of type '${typeName(valueType)}' when map already contains a value of type '${typeName(prev)}`, map.loc);
    } else if (prev.kind === 'string' && valueType.kind === 'string' && valueType.size > prev.size) {
      existing.valueType = valueType;
    } else if (prev.kind === 'int' && valueType.kind === 'int' && valueType.bits > prev.bits) {
      existing.valueType = valueType;
    }
  }

  checkKeys(map: MapExpr, info: MapInfo, keyTypes: Type[]): void {
    const same = keyTypes.length === info.keyTypes.length && keyTypes.every((k, i) => sameType(k, info.keyTypes[i]));
    if (!same) {
      this.error(`Argument mismatch for ${map.name}: trying to access with arguments: [${keyTypes.map(typeName).join(', ')}] when map expects arguments: [${info.keyTypes.map(typeName).join(', ')}]`, map.loc);
      return;
    }
    keyTypes.forEach((k, i) => {
      const prev = info.keyTypes[i];
      if (prev.kind === 'string' && k.kind === 'string' && k.size > prev.size) info.keyTypes[i] = k;
    });
  }

  expr(e: Expr, scope: Scope, isStatement = false, assignedToVariable = false): Type {
    const t = this.exprType(e, scope, isStatement, assignedToVariable);
    e.type = t;
    return t;
  }

  private exprType(e: Expr, scope: Scope, isStatement: boolean, assignedToVariable: boolean): Type {
    switch (e.kind) {
      case 'Int':
        return INT64;
      case 'Bool':
        return { kind: 'bool' };
      case 'String':
        return str(Buffer.byteLength(e.value, 'latin1') + 1);
      case 'Identifier': {
        const t = builtinType(e.name, scope.match, this.options.childCommand) ?? constantIdentifier(this, e);
        // HEAD's helpers written without `()` (`ppid`): the node becomes the call.
        if (t === undefined && bareCallIdentifier(e)) return this.exprType(e, scope, isStatement, assignedToVariable);
        if (t === undefined) {
          const hint = suggest(e.name, [...BUILTIN_NAMES, ...FUNCTION_NAMES]);
          this.error(`Unknown identifier: '${e.name}'${hint ? `; did you mean '${hint}'?` : ''}`, e.loc);
          return NONE;
        }
        if ('error' in t) {
          this.error(t.error, e.loc);
          return NONE;
        }
        if (e.name === 'curtask') return curtaskType(this.types) ?? t;
        return t;
      }
      case 'Param': {
        if (e.count) return INT64;
        const v = this.options.params[e.index - 1];
        if (v !== undefined && !/^[0-9]+$/.test(v)) {
          this.error(`$${e.index} used numerically but given "${v}". Try using str($${e.index}).`, e.loc);
        }
        return INT64;
      }
      case 'Variable': {
        const t = scope.vars.get(this.resolve(e, scope));
        if (!t) {
          this.error(`Undefined or undeclared variable: ${e.name}`, e.loc);
          return NONE;
        }
        return t;
      }
      case 'Map': {
        const info = this.maps.get(e.name);
        const keyTypes = e.keys.map((k) => this.mapKeyType(this.expr(k, scope)));
        if (!info) {
          const hint = suggest(e.name, [...this.maps.keys()]);
          this.error(`Undefined map: ${e.name}${hint ? `; did you mean '${hint}'?` : ''}`, e.loc);
          return NONE;
        }
        this.checkKeys(e, info, keyTypes);
        return info.valueType;
      }
      case 'Call':
        return this.call(e, scope, { directMapValue: false, isStatement, assignedToVariable });
      case 'Binary':
        return this.binary(e, scope);
      case 'Unary': {
        const t = this.expr(e.operand, scope);
        if (t.kind === 'none') return NONE;
        if (e.op === '!' || e.op === '~' || e.op === '-') {
          if (t.kind !== 'int' && t.kind !== 'bool' && !(e.op === '!' && t.kind === 'pointer')) {
            // bpftrace marks the operator alone.
            this.error(`The ${e.op} operator can not be used on expressions of type '${typeName(t)}'`, { ...e.loc, endLine: e.loc.line, endCol: e.loc.col + 1 });
            return NONE;
          }
          // As 0.17: `~` keeps the operand's type, `-` keeps an unsigned one
          // (`-(uint16)1` is 65535) and makes a signed one int64 (`-(int8)-128` is 128).
          if (e.op === '!' || t.kind !== 'int') return INT64;
          return e.op === '-' && t.signed ? INT64 : t;
        }
        if (e.op === '*' && (t.kind === 'pointer' || t.kind === 'int')) return checkDeref(this, e, t);
        this.error(`The ${e.op} operator can not be used on expressions of type '${typeName(t)}'`, e.loc);
        return NONE;
      }
      case 'IncDec': {
        if (e.target.kind === 'Variable') {
          const t = this.expr(e.target, scope);
          if (t.kind !== 'int' && t.kind !== 'none') this.error(`The ${e.op} operator must be applied to an integer`, e.loc);
          return t;
        }
        if (e.target.kind === 'Map') {
          const keyTypes = e.target.keys.map((k) => this.mapKeyType(this.expr(k, scope)));
          if (!this.maps.has(e.target.name)) this.defineMap(e.target, keyTypes, INT64);
          else this.checkKeys(e.target, this.maps.get(e.target.name)!, keyTypes);
          const t = this.maps.get(e.target.name)!.valueType;
          e.target.type = t;
          if (t.kind !== 'int') this.error(`The ${e.op} operator must be applied to an integer`, e.loc);
          return t;
        }
        this.error(`The ${e.op} operator must be applied to a map or variable`, e.loc);
        return NONE;
      }
      case 'Ternary': {
        this.condition(e.cond, scope, 'ternary');
        const a = e.elvis ? (e.cond.type ?? NONE) : this.expr(e.then, scope);
        const b = this.expr(e.else, scope);
        if (a.kind === 'none' || b.kind === 'none') return NONE;
        if (a.kind !== b.kind || (a.kind !== 'int' && a.kind !== 'string')) {
          this.error(`Ternary operator must return the same type: have '${a.kind === 'int' ? 'integer' : a.kind}' and '${b.kind === 'int' ? 'integer' : b.kind}'`, e.loc);
          return NONE;
        }
        if (a.kind === 'string' && b.kind === 'string') return str(Math.max(a.size, b.size));
        if (a.kind === 'int' && b.kind === 'int') return int(64, a.signed && b.signed);
        return a;
      }
      case 'Field':
        return checkConfigRead(this, e) ?? checkField(this, e, scope);
      case 'TupleIndex': {
        const t = this.expr(e.object, scope);
        if (t.kind === 'none') return NONE;
        if (t.kind !== 'tuple') {
          this.error(`Can not access index '${e.index}' on expression of type '${typeName(t)}'`, e.loc);
          return NONE;
        }
        if (e.index >= t.elems.length) {
          this.error(`Invalid tuple index: ${e.index}. Found ${t.elems.length} elements in tuple.`, e.loc);
          return NONE;
        }
        return t.elems[e.index];
      }
      case 'Index': {
        const t = this.expr(e.object, scope);
        if (t.kind === 'tuple' && e.index.kind === 'Int') {
          this.expr(e.index, scope);
          // HEAD: `$t[0]` is `$t.0`.
          const i = Number(e.index.value);
          if (i < 0 || i >= t.elems.length) {
            this.error(`Invalid tuple index: ${e.index.value}. Found ${t.elems.length} elements in tuple.`, e.loc);
            return NONE;
          }
          e.tupleIndex = i;
          return t.elems[i];
        }
        if (t.kind === 'tuple') {
          this.error('The array index operator [] can only be used on arrays and pointers, found tuple.', e.loc);
          return NONE;
        }
        return checkIndex(this, e, t, scope);
      }
      case 'Tuple': {
        const elems = e.elems.map((x) => this.expr(x, scope));
        if (elems.some((x) => x.kind === 'none')) return NONE;
        return { kind: 'tuple', elems };
      }
      case 'Sizeof': {
        if (e.typeName !== undefined) {
          e.size = sizeofType(this, e.typeName, e);
        } else if (e.expr) {
          const t = this.expr(e.expr, scope);
          if (t.kind === 'int') e.size = t.bits / 8;
          else if (t.kind === 'bool') e.size = 1;
          else if (t.kind === 'struct' || t.kind === 'array') e.size = this.types.sizeOf(t);
          else if (t.kind === 'string' || t.kind === 'pointer' || t.kind === 'tuple') e.size = t.kind === 'pointer' ? 8 : storageSize(t);
          else if (t.kind !== 'none') this.error(`sizeof() of a value of type '${typeName(t)}' is not supported`, e.expr.loc);
        }
        e.size ??= 0;
        return UINT64;
      }
      case 'BlockExpr': {
        // An expanded macro call: its own block scope, then the value.
        scope.lets.push(new Map());
        for (const st of e.stmts) this.stmt(st, scope);
        const t = e.value ? this.expr(e.value, scope, false, assignedToVariable) : NONE;
        scope.lets.pop();
        if (!e.value && !isStatement) {
          this.error(`Macro '${e.macro}' has no value (its body ends with a statement) and can not be used as an expression`, e.loc);
        }
        return t;
      }
      case 'Cast':
        return checkCast(this, e, scope);
      case 'Offsetof':
        return checkOffsetof(this, e);
    }
  }

  binary(e: Extract<Expr, { kind: 'Binary' }>, scope: Scope): Type {
    const l = this.expr(e.left, scope);
    const r = this.expr(e.right, scope);
    if (l.kind === 'none' || r.kind === 'none') {
      // `@n = @n + 1` as @n's only assignment: while map types are being
      // learnt, an integer operator over a not-yet-typed map is a 64-bit
      // integer, as in bpftrace (a missing entry reads as 0).
      const other = l.kind === 'none' ? r : l;
      return this.collecting && (other.kind === 'int' || other.kind === 'bool') ? INT64 : NONE;
    }
    const comparison = ['==', '!=', '<', '<=', '>', '>='].includes(e.op);
    const logical = e.op === '&&' || e.op === '||';
    if (l.kind === 'string' && r.kind === 'string') {
      if (e.op === '==' || e.op === '!=') return INT64;
      this.error(`The ${e.op} operator can not be used on expressions of types ${typeName(l)}, ${typeName(r)}`, e.opLoc);
      return NONE;
    }
    const intLike = (t: Type) => t.kind === 'int' || t.kind === 'bool' || t.kind === 'pointer';
    if (!intLike(l) || !intLike(r)) {
      this.error(`Type mismatch for '${e.op}': comparing '${typeName(l)}' with '${typeName(r)}'`, spanLoc(e.left.loc, e.right.loc));
      return NONE;
    }
    const ls = isInt(l) && l.signed;
    const rs = isInt(r) && r.signed;
    if (comparison || logical) {
      if (comparison && isInt(l) && isInt(r) && ls !== rs && !isNonNegativeLiteral(e.left) && !isNonNegativeLiteral(e.right)) {
        this.warning(`comparison of integers of different signs: '${typeName(l)}' and '${typeName(r)}' can lead to undefined behavior`, e.opLoc);
      }
      return INT64;
    }
    if ((e.op === '/' || e.op === '%') && ((ls && !isNonNegativeLiteral(e.left)) || (rs && !isNonNegativeLiteral(e.right)))) {
      this.warning(`signed operands for '${e.op}' can lead to undefined behavior (cast to unsigned to silence warning)`, e.opLoc);
    }
    // Pointer arithmetic moves by whole elements, as in C and bpftrace.
    if (l.kind === 'pointer' && (e.op === '+' || e.op === '-') && r.kind !== 'pointer') return l;
    if (r.kind === 'pointer' && e.op === '+' && l.kind !== 'pointer') return r;
    return int(64, ls && rs);
  }

  call(e: CallExpr, scope: Scope, ctx: Omit<CallContext, 'checker'>): Type {
    if (e.name === 'delete' || e.name === 'print' || e.name === 'clear' || e.name === 'zero') {
      return checkCall(e, scope, { ...ctx, checker: this });
    }
    if (e.name === 'str') {
      // str($1), str($1 + K): the parameter's text, known at compile time.
      const t = positionalStr(e, scope, { ...ctx, checker: this });
      if (t) return t;
    }
    return checkCall(e, scope, { ...ctx, checker: this });
  }
}

function isNonNegativeLiteral(e: Expr): boolean {
  // Enum and header constants are literals after expansion, as in bpftrace.
  return (e.kind === 'Int' || (e.kind === 'Identifier' && e.value !== undefined)) && e.value! >= 0n;
}

export function isAggregation(name: string): boolean {
  return ['count', 'sum', 'min', 'max', 'avg', 'stats', 'hist', 'lhist'].includes(name);
}

export type { Checker, Scope };

/** Typed AST for a parsed program. Throws CompileError listing every error. */
export function check(program: Program, options: CheckOptions = {}): CheckedProgram {
  const includes = program.preamble.map((p) => /^#\s*include\s*[<"]([^>"]+)[>"]/.exec(p.text)?.[1]).filter((x): x is string => !!x);
  const types = new TypeRegistry(program.cDefinitions ?? [], includes);
  const checker = new Checker({ params: options.params ?? [], strlen: options.strlen ?? 64, childCommand: options.childCommand ?? false, dryRun: options.dryRun ?? false, unsafe: options.unsafe ?? false, namedArgs: options.namedArgs ?? [] }, types);
  for (const err of types.errors) checker.diags.error(err.message, err.loc);
  checker.configValues = currentConfig(program, checker.options.strlen, (options as { mapKeysMax?: number }).mapKeysMax);
  for (const d of expandMacros(program, new Set([...BUILTIN_NAMES, ...FUNCTION_NAMES]))) checker.diags.error(d.message, d.loc!);
  // Only macro definitions (HEAD allows it for libraries): nothing would ever run.
  if (program.probes.length === 0) checker.diags.error('No probes to attach: the program only defines macros', program.macros?.[0]?.nameLoc);
  checker.diags.throwIfErrors();
  const probes: CheckedProbe[] = [];
  let begins = 0;
  let ends = 0;
  for (const p of program.probes) {
    const matches: ProbeMatch[] = [];
    for (const ap of p.attachPoints) {
      try {
        matches.push(...matchAttachPoint(ap, options.params));
      } catch (err) {
        if (!(err instanceof ProbeError)) throw err;
        if (err instanceof MissingTargetError && options.dryRun) {
          checker.diags.warning(`${err.message}; --dry-run compiles the probe anyway`, ap.loc);
          matches.push(...err.matches);
          continue;
        }
        checker.diags.error(err.message, err instanceof EnvironmentError ? undefined : ap.loc);
      }
    }
    for (const m of matches) {
      if (m.provider.special === 'begin' && ++begins === 2) checker.diags.error('More than one BEGIN probe defined', p.attachPoints[0].loc);
      if (m.provider.special === 'end' && ++ends === 2) checker.diags.error('More than one END probe defined', p.attachPoints[0].loc);
    }
    // Probes named after the -p/-c process (watchpoint:FUNC+argN) can't be reused for another one.
    if (matches.some((m) => m.detail.targetDependent)) checker.uncacheable = true;
    probes.push({ ast: p, matches });
  }
  checkSingleIter(probes, checker.diags);
  checker.diags.throwIfErrors();
  checkConfig(program, checker.diags);
  // Pass 1 learns map types from assignments in any probe, so a probe may read
  // a map that a later probe writes. Pass 2 checks and reports.
  for (const pass of [1, 2]) {
    checker.collecting = pass === 1;
    checker.printfs.clear();
    checker.prints.clear();
    for (const p of probes) checker.probe(p.ast, p.matches);
  }
  checkLiterals(program, { strlen: options.strlen ?? 64, params: options.params ?? [], diags: checker.diags });
  if (!checker.diags.hasErrors) checkMapSizes(checker.maps.values(), checker.diags);
  checker.diags.throwIfErrors();
  // Records stored in maps or printed get their fields listed for user space.
  for (const m of checker.maps.values()) {
    m.keyTypes = m.keyTypes.map((k) => types.materialize(k));
    m.valueType = types.materialize(m.valueType);
  }
  for (const p of checker.prints.values()) p.type = types.materialize(p.type);
  return {
    ast: program,
    probes,
    maps: [...checker.maps.values()].sort((a, b) => a.index - b.index),
    printfs: checker.printfs,
    prints: checker.prints,
    warnings: checker.diags.warnings(),
    ...(checker.uncacheable ? { uncacheable: true } : {}),
  };
}

/** Config names tstrace honours, in every spelling HEAD accepts, → canonical name. */
const CONFIG_NAMES: Record<string, string> = {
  max_map_keys: 'max_map_keys', MAX_MAP_KEYS: 'max_map_keys', BPFTRACE_MAX_MAP_KEYS: 'max_map_keys', BPFTRACE_MAP_KEYS_MAX: 'max_map_keys',
};

/** The `config = { … }` block's value for `name` (canonical), if set. */
export function configValue(program: Program, name: string): bigint | string | undefined {
  let value: bigint | string | undefined;
  for (const e of program.config ?? []) if (CONFIG_NAMES[e.name] === name) value = e.value;
  return value;
}

function checkConfig(program: Program, diags: DiagnosticBag): void {
  for (const e of program.config ?? []) {
    const name = CONFIG_NAMES[e.name];
    if (!name) {
      diags.warning(`config variable ${e.name} is not supported by tstrace and is ignored`, e.loc);
    } else if (name === 'max_map_keys' && (typeof e.value !== 'bigint' || e.value < 1n || e.value > 0xffffffffn)) {
      diags.error(`Invalid value for ${e.name}: expected a positive integer`, e.loc);
    }
  }
}
