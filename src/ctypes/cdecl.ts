// A small parser for the C declarations a script may carry before its probes:
// `struct`/`union` definitions (members with pointers, arrays, bitfields,
// nested records) and `enum` definitions. It produces declarations only;
// src/ctypes/registry.ts lays them out against BTF and the C base types.

/** A member's type as written: `unsigned long`, `struct path`, a nested record. */
export type TypeSpec =
  | { kind: 'name'; name: string }
  | { kind: 'record'; decl: RecordDecl };

export interface MemberDecl {
  name: string;
  spec: TypeSpec;
  pointerDepth: number;
  /** Array dimensions, outermost first. */
  dims: number[];
  bitWidth?: number;
}

export interface RecordDecl {
  kind: 'struct' | 'union';
  /** Empty for an anonymous record. */
  name: string;
  members: MemberDecl[];
}

export interface EnumDecl {
  kind: 'enum';
  name: string;
  values: { name: string; value: bigint }[];
}

export type CDecl = RecordDecl | EnumDecl;

export class CDeclError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

interface Tok { text: string; at: number }

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  const re = /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|([A-Za-z_][A-Za-z0-9_]*|0[xX][0-9a-fA-F]+|[0-9]+[uUlL]*|<<|>>|[{}\[\];,:*()=+\-~|&<>])/y;
  let at = 0;
  while (at < src.length) {
    re.lastIndex = at;
    const m = re.exec(src);
    if (!m) throw new CDeclError(`unexpected character '${src[at]}' in C definition`, at);
    if (m[1]) toks.push({ text: m[1], at });
    at = re.lastIndex;
  }
  return toks;
}

const QUALIFIERS = new Set(['const', 'volatile', 'restrict', '__restrict', 'static', 'extern', 'register']);
const INT_WORDS = new Set(['unsigned', 'signed', 'char', 'short', 'int', 'long', '_Bool', 'void']);

class CParser {
  private i = 0;
  constructor(private readonly toks: Tok[], private readonly end: number) {}

  private peek(k = 0): string | undefined {
    return this.toks[this.i + k]?.text;
  }
  private at(): number {
    return this.toks[this.i]?.at ?? this.end;
  }
  private take(): string {
    const t = this.toks[this.i++];
    if (!t) throw new CDeclError('unexpected end of C definition', this.end);
    return t.text;
  }
  private expect(text: string): void {
    const at = this.at();
    const t = this.take();
    if (t !== text) throw new CDeclError(`expected '${text}' in C definition, found '${t}'`, at);
  }
  private ident(): string {
    const at = this.at();
    const t = this.take();
    if (!/^[A-Za-z_]/.test(t)) throw new CDeclError(`expected a name in C definition, found '${t}'`, at);
    return t;
  }

  done(): boolean {
    return this.i >= this.toks.length;
  }

  /** One top-level `struct … { … };`, `union …` or `enum …`. */
  definition(): CDecl {
    const kw = this.peek();
    if (kw === 'enum') return this.enumDef();
    if (kw === 'struct' || kw === 'union') {
      const rec = this.record();
      if (this.peek() === ';') this.take();
      return rec;
    }
    throw new CDeclError(`expected struct, union or enum definition, found '${kw}'`, this.at());
  }

  private record(): RecordDecl {
    const kind = this.take() as 'struct' | 'union';
    const name = this.peek() !== '{' ? this.ident() : '';
    this.expect('{');
    const members: MemberDecl[] = [];
    while (this.peek() !== '}') members.push(...this.memberLine());
    this.expect('}');
    return { kind, name, members };
  }

  private enumDef(): EnumDecl {
    this.expect('enum');
    const name = this.peek() !== '{' ? this.ident() : '';
    this.expect('{');
    const values: { name: string; value: bigint }[] = [];
    let next = 0n;
    while (this.peek() !== '}') {
      const n = this.ident();
      if (this.peek() === '=') {
        this.take();
        next = this.constExpr(values);
      }
      values.push({ name: n, value: next });
      next++;
      if (this.peek() === ',') this.take();
      else break;
    }
    this.expect('}');
    if (this.peek() === ';') this.take();
    return { kind: 'enum', name, values };
  }

  /** An integer constant: literals, earlier enumerators, unary -/~, | & + - << >>, parentheses. */
  private constExpr(known: { name: string; value: bigint }[]): bigint {
    const primary = (): bigint => {
      const at = this.at();
      const t = this.take();
      if (t === '(') {
        const v = binary(0);
        this.expect(')');
        return v;
      }
      if (t === '-') return -primary();
      if (t === '~') return ~primary();
      if (/^[0-9]/.test(t)) return BigInt(t.replace(/[uUlL]+$/, ''));
      const k = known.find((x) => x.name === t);
      if (k) return k.value;
      throw new CDeclError(`unsupported constant '${t}' in enum definition`, at);
    };
    const PREC: Record<string, number> = { '|': 1, '&': 2, '<<': 3, '>>': 3, '+': 4, '-': 4 };
    const binary = (min: number): bigint => {
      let l = primary();
      for (;;) {
        const op = this.peek();
        const p = op ? PREC[op] : undefined;
        if (p === undefined || p < min) break;
        this.take();
        const r = binary(p + 1);
        l = op === '|' ? l | r : op === '&' ? l & r : op === '<<' ? l << r : op === '>>' ? l >> r : op === '+' ? l + r : l - r;
      }
      return l;
    };
    return binary(0);
  }

  private spec(): TypeSpec {
    while (this.peek() && QUALIFIERS.has(this.peek()!)) this.take();
    const kw = this.peek();
    if (kw === 'struct' || kw === 'union') {
      if (this.peek(1) === '{' || this.peek(2) === '{') return { kind: 'record', decl: this.record() };
      this.take();
      return { kind: 'name', name: `${kw} ${this.ident()}` };
    }
    if (kw === 'enum') {
      this.take();
      return { kind: 'name', name: `enum ${this.ident()}` };
    }
    const words: string[] = [];
    while (this.peek() && INT_WORDS.has(this.peek()!)) words.push(this.take());
    if (words.length) {
      while (this.peek() && QUALIFIERS.has(this.peek()!)) this.take();
      return { kind: 'name', name: words.join(' ') };
    }
    return { kind: 'name', name: this.ident() };
  }

  private memberLine(): MemberDecl[] {
    const spec = this.spec();
    const out: MemberDecl[] = [];
    if (this.peek() === ';') {
      // An anonymous struct/union member.
      this.take();
      return [{ name: '', spec, pointerDepth: 0, dims: [] }];
    }
    for (;;) {
      let pointerDepth = 0;
      while (this.peek() === '*' || (this.peek() && QUALIFIERS.has(this.peek()!))) if (this.take() === '*') pointerDepth++;
      let name: string;
      if (this.peek() === '(') {
        // A function pointer `ret (*name)(params)`: stored as a pointer.
        this.take();
        this.expect('*');
        name = this.ident();
        this.expect(')');
        this.skipParens();
        pointerDepth = 1;
        out.push({ name, spec: { kind: 'name', name: 'void' }, pointerDepth, dims: [] });
      } else {
        name = this.ident();
        const dims: number[] = [];
        while (this.peek() === '[') {
          this.take();
          dims.push(this.peek() === ']' ? 0 : Number(this.constExpr([])));
          this.expect(']');
        }
        let bitWidth: number | undefined;
        if (this.peek() === ':') {
          this.take();
          bitWidth = Number(this.constExpr([]));
        }
        out.push({ name, spec, pointerDepth, dims, ...(bitWidth !== undefined ? { bitWidth } : {}) });
      }
      if (this.peek() === ',') {
        this.take();
        continue;
      }
      this.expect(';');
      return out;
    }
  }

  private skipParens(): void {
    this.expect('(');
    let depth = 1;
    while (depth > 0) {
      const t = this.take();
      if (t === '(') depth++;
      else if (t === ')') depth--;
    }
  }
}

/** Every definition in `src` (one or more `struct`/`union`/`enum` definitions). */
export function parseCDefinitions(src: string): CDecl[] {
  const p = new CParser(tokenize(src), src.length);
  const out: CDecl[] = [];
  while (!p.done()) out.push(p.definition());
  return out;
}
