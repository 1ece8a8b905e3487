// Every type a script can name: bpftrace's integer names, C base types and
// typedefs, the script's own struct/union/enum definitions, and the kernel's
// types from BTF; plus the integer constants it can use as identifiers
// (its own enums, #include'd headers' macros, kernel enums from BTF).
//
// Scoping: one program-wide namespace. The script's definitions win over
// BTF's (as clang's definitions do in bpftrace); BTF is read only when a
// name isn't found among them.
import type { Loc } from '../ast/nodes';
import { Btf, vmlinuxBtf } from '../btf';
import type { IntBits, StructField, Type } from '../checker/types';
import { CDecl, CDeclError, MemberDecl, parseCDefinitions, RecordDecl, TypeSpec } from './cdecl';
import { HeaderMacros } from './headers';

type StructType = Extract<Type, { kind: 'struct' }>;

/** A C definition as it appears in the script, before any probe. */
export interface CDefinitionText {
  text: string;
  loc: Loc;
}

interface Record {
  name: string;
  size: number;
  align: number;
  fields: StructField[];
}

/** C base type words → width and signedness. */
const C_INTS: { [words: string]: [IntBits, boolean] } = {
  char: [8, true], 'signed char': [8, true], 'unsigned char': [8, false], _Bool: [8, false],
  short: [16, true], 'short int': [16, true], 'signed short': [16, true], 'unsigned short': [16, false], 'unsigned short int': [16, false],
  int: [32, true], signed: [32, true], 'signed int': [32, true], unsigned: [32, false], 'unsigned int': [32, false],
  long: [64, true], 'long int': [64, true], 'signed long': [64, true], 'unsigned long': [64, false], 'unsigned long int': [64, false],
  'long long': [64, true], 'long long int': [64, true], 'unsigned long long': [64, false], 'unsigned long long int': [64, false],
};

/** bpftrace's own integer type names. */
const BPFTRACE_INTS = /^(u?)int(8|16|32|64)$/;

export interface Constant {
  value: bigint;
  type: Type;
}

export class TypeRegistry {
  private readonly records = new Map<string, Record>();
  private readonly constants = new Map<string, Constant>();
  private readonly macros: HeaderMacros;
  private btfCache: Btf | null | undefined;
  private anonymous = 0;
  readonly errors: { message: string; loc: Loc }[] = [];

  constructor(defs: CDefinitionText[] = [], includes: string[] = [], btf?: Btf | null) {
    this.btfCache = btf;
    this.macros = new HeaderMacros(includes);
    for (const d of defs) {
      let decls: CDecl[];
      try {
        decls = parseCDefinitions(d.text);
      } catch (e) {
        if (!(e instanceof CDeclError)) throw e;
        this.errors.push({ message: e.message, loc: d.loc });
        continue;
      }
      for (const decl of decls) {
        try {
          if (decl.kind === 'enum') this.defineEnum(decl);
          else this.defineRecord(decl);
        } catch (e) {
          if (!(e instanceof CDeclError)) throw e;
          this.errors.push({ message: e.message, loc: d.loc });
        }
      }
    }
  }

  /** The kernel's BTF, read on first use. */
  btf(): Btf | null {
    if (this.btfCache === undefined) this.btfCache = vmlinuxBtf();
    return this.btfCache;
  }

  // ---- the script's definitions -----------------------------------------

  private defineEnum(decl: Extract<CDecl, { kind: 'enum' }>): void {
    for (const v of decl.values) this.constants.set(v.name, { value: v.value, type: { kind: 'int', bits: 64, signed: true } });
    if (decl.name) this.records.set(`enum ${decl.name}`, { name: `enum ${decl.name}`, size: 4, align: 4, fields: [] });
  }

  private defineRecord(decl: RecordDecl): StructType {
    const name = decl.name ? `${decl.kind} ${decl.name}` : `${decl.kind} (anonymous ${++this.anonymous})`;
    const fields: StructField[] = [];
    let bitPos = 0;
    let size = 0;
    let align = 1;
    for (const m of decl.members) {
      const t = this.memberType(m);
      const tSize = this.sizeOf(t);
      const tAlign = this.alignOf(t);
      align = Math.max(align, tAlign);
      if (decl.kind === 'union') bitPos = 0;
      if (m.bitWidth !== undefined) {
        const unit = tSize * 8;
        if (unit > 0 && Math.floor(bitPos / unit) !== Math.floor((bitPos + m.bitWidth - 1) / unit)) bitPos = Math.ceil(bitPos / unit) * unit;
        if (m.name) fields.push({ name: m.name, type: t, offset: Math.floor(bitPos / 8), bitfield: { shift: bitPos % 8, bits: m.bitWidth } });
        bitPos += m.bitWidth;
      } else {
        bitPos = Math.ceil(bitPos / (tAlign * 8)) * tAlign * 8;
        const offset = bitPos / 8;
        if (m.name) fields.push({ name: m.name, type: t, offset });
        else if (t.kind === 'struct') for (const f of this.fields(t) ?? []) fields.push({ ...f, offset: f.offset + offset });
        bitPos += tSize * 8;
      }
      size = Math.max(size, Math.ceil(bitPos / 8));
    }
    size = Math.ceil(size / align) * align;
    this.records.set(name, { name, size, align, fields });
    return { kind: 'struct', name, size, fields: [], lazy: true };
  }

  private memberType(m: MemberDecl): Type {
    let t: Type;
    if (m.spec.kind === 'record') t = this.defineRecord(m.spec.decl);
    else {
      const named = this.resolve(m.spec.name);
      if (!named) {
        if (m.pointerDepth === 0) throw new CDeclError(`Unknown type: '${m.spec.name}' (field '${m.name}')`, 0);
        // A pointer to a record defined later (or to the record being defined): resolved by name on use.
        t = /^(struct|union) /.test(m.spec.name) ? { kind: 'struct', name: m.spec.name, size: 0, fields: [], lazy: true } : { kind: 'int', bits: 8, signed: false };
      } else t = named;
    }
    for (let i = 0; i < m.pointerDepth; i++) t = { kind: 'pointer', to: t, addrSpace: 'kernel' };
    for (let i = m.dims.length - 1; i >= 0; i--) {
      t = i === m.dims.length - 1 && m.pointerDepth === 0 && isChar(m.spec) ? { kind: 'string', size: m.dims[i] } : { kind: 'array', elem: t, length: m.dims[i] };
    }
    return t;
  }

  // ---- lookups -------------------------------------------------------------

  /**
   * The type a name denotes: `uint32`, `unsigned long`, `pid_t`, `struct sock`,
   * `union u`, `enum e`; undefined when nothing defines it. Records come back
   * `lazy` (see `fields`).
   */
  resolve(name: string): Type | undefined {
    const bt = BPFTRACE_INTS.exec(name);
    if (bt) return { kind: 'int', bits: Number(bt[2]) as IntBits, signed: bt[1] === '' };
    const c = C_INTS[name];
    if (c) return { kind: 'int', bits: c[0], signed: c[1] };
    if (name === 'void') return { kind: 'int', bits: 8, signed: false };
    const own = this.records.get(name);
    if (own) {
      if (name.startsWith('enum ')) return { kind: 'int', bits: 32, signed: false };
      return { kind: 'struct', name, size: own.size, fields: [], lazy: true };
    }
    const m = /^(struct|union|enum) (.+)$/.exec(name);
    const btf = this.btf();
    if (!btf) return undefined;
    const id = m ? btf.lookup(m[1] as 'struct' | 'union' | 'enum', m[2]) : btf.lookup('typedef', name);
    return id === undefined ? undefined : btf.valueType(id);
  }

  /** The fields of a record type (lazy ones resolved); undefined for an incomplete type. */
  fields(t: StructType): StructField[] | undefined {
    if (!t.lazy) return t.fields;
    const own = this.records.get(t.name);
    if (own) return own.fields;
    const btf = this.btf();
    if (!btf) return undefined;
    const m = /^(struct|union) (.+)$/.exec(t.name);
    const id = t.btfId ?? (m ? btf.lookup(m[1] as 'struct' | 'union', m[2]) : undefined);
    if (id === undefined) return undefined;
    return btf.fields(id);
  }

  /**
   * `t` with the fields of its records (and of records inside them, through
   * arrays) listed, so user space can print the value; pointers are not
   * followed. Records nested deeper than `depth` stay lazy (printed as bytes).
   */
  materialize(t: Type, depth = 8): Type {
    switch (t.kind) {
      case 'struct': {
        if (!t.lazy || depth === 0) return t;
        const fields = this.fields(t);
        if (!fields) return t;
        const full = this.complete(t);
        return { kind: 'struct', name: full.name, size: full.size, fields: fields.map((f) => ({ ...f, type: this.materialize(f.type, depth - 1) })), ...(t.btfId !== undefined ? { btfId: t.btfId } : {}) };
      }
      case 'array': return { ...t, elem: this.materialize(t.elem, depth) };
      case 'tuple': return { ...t, elems: t.elems.map((e) => this.materialize(e, depth)) };
      default: return t;
    }
  }

  /** A record type with its size filled in (forward declarations through pointers have size 0). */
  complete(t: StructType): StructType {
    if (t.size > 0 || !t.lazy) return t;
    const r = this.resolve(t.name);
    return r?.kind === 'struct' ? r : t;
  }

  /** An integer constant usable as an identifier: script enums, header macros, kernel enums. */
  constant(name: string): Constant | undefined {
    const own = this.constants.get(name);
    if (own) return own;
    const macro = this.macros.value(name);
    if (macro !== undefined) return { value: macro, type: { kind: 'int', bits: 64, signed: true } };
    const e = this.btf()?.enumConstant(name);
    if (e) return { value: e.value, type: { kind: 'int', bits: 64, signed: e.signed } };
    return undefined;
  }

  /** Size in bytes of a value of type `t` in memory. */
  sizeOf(t: Type): number {
    switch (t.kind) {
      case 'int': return t.bits / 8;
      case 'bool': return 1;
      case 'pointer': return 8;
      case 'string': return t.size;
      case 'array': return t.length * this.sizeOf(t.elem);
      case 'struct': return this.complete(t).size;
      default: return 8;
    }
  }

  alignOf(t: Type): number {
    switch (t.kind) {
      case 'array': return this.alignOf(t.elem);
      case 'string': return 1;
      case 'struct': {
        const own = this.records.get(t.name);
        if (own) return own.align;
        const btf = this.btf();
        const m = /^(struct|union) (.+)$/.exec(t.name);
        const id = t.btfId ?? (btf && m ? btf.lookup(m[1] as 'struct' | 'union', m[2]) : undefined);
        return btf && id !== undefined ? btf.alignOf(id) : 8;
      }
      default: return Math.min(8, this.sizeOf(t));
    }
  }
}

function isChar(spec: TypeSpec): boolean {
  return spec.kind === 'name' && spec.name === 'char';
}
