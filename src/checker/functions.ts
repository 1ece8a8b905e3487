// Type rules of the helper functions of spec §5 beyond printing and
// aggregation: network and buffer helpers, string comparisons, unsafe
// functions, registers and address spaces, HEAD's map helpers. Messages are
// bpftrace 0.17's (HEAD's for HEAD-only functions). Lowering: src/codegen/functions.ts.
import { checkCommPid } from './commpid';
import * as fs from 'fs';
import type { CallExpr, Expr, MapExpr } from '../ast/nodes';
import { spanLoc } from '../ast/nodes';
import { parseInetAddress } from '../output/inet';
import { PT_REGS_OFFSETS } from '../probes/regs';
import { argTypes, arity, CallContext, checkStatementOnly, printfKind, printfTypeName, Rule } from './callargs';
import { checkPrintfArgs, isPrintfParseError, parsePrintfFormat } from '../output/printf';
import { ElfFile, type ElfSymbol } from '../probes/elf';
import type { Scope } from './index';
import { signalNumber } from './signals';
import { builtinType } from './builtins';
import { integerToText } from './strings';
import { checkPidNamespace } from './pidns';
import type { TypeRegistry } from '../ctypes/registry';
import { INT64, NONE, Type, UINT64, int, str, typeName } from './types';

/** Functions that need --unsafe, as in bpftrace. */
const UNSAFE = new Set(['system', 'signal', 'signal_thread', 'override', 'write_user']);

/** `f() is an unsafe function being used in safe mode`, reported before anything else, as bpftrace does. */
export function checkUnsafe(e: CallExpr, ctx: CallContext): void {
  if (UNSAFE.has(e.name) && !ctx.checker.options.unsafe) ctx.checker.error(`${e.name}() is an unsafe function being used in safe mode`, e.loc);
}

/** Probe types bpf_send_signal works in (the program runs in the context of the task to signal). */
const SIGNAL_PROBES = ['kprobe', 'kretprobe', 'uprobe', 'uretprobe', 'usdt', 'tracepoint', 'rawtracepoint', 'profile', 'fentry', 'fexit'];

/** Probe types each restricted function works in (bpftrace 0.17's check_available, HEAD names for trampolines). */
const AVAILABLE: Record<string, string[]> = {
  reg: ['kprobe', 'kretprobe', 'uprobe', 'uretprobe', 'usdt', 'profile', 'interval', 'software', 'hardware', 'watchpoint', 'asyncwatchpoint'],
  uaddr: ['uprobe', 'uretprobe', 'usdt'],
  signal: SIGNAL_PROBES,
  signal_thread: SIGNAL_PROBES,
};

function checkAvailable(e: CallExpr, scope: Scope, ctx: CallContext): void {
  const allowed = AVAILABLE[e.name];
  const provider = scope.match.provider.name;
  if (allowed && !allowed.includes(provider)) ctx.checker.error(`${e.name} can not be used with "${provider}" probes`, e.loc);
}

/** bpftrace's `check_arg(call, Type::string, i, literal)` on a string-literal argument. */
function stringLiteral(e: CallExpr, i: number, t: Type | undefined, ctx: CallContext): string | undefined {
  const a = e.args[i];
  if (a?.kind === 'String') return a.value;
  if (t && t.kind !== 'none') ctx.checker.error(`${e.name}() expects a string literal (${printfTypeName(t)} provided)`, e.loc);
  return undefined;
}

function isIntLike(t: Type): boolean {
  return t.kind === 'int' || t.kind === 'bool';
}

function onlyIntegers(e: CallExpr, t: Type | undefined, ctx: CallContext): void {
  if (t && t.kind !== 'none' && !isIntLike(t)) ctx.checker.error(`${e.name}() only supports integer arguments (${printfTypeName(t)} provided)`, e.loc);
}

/** The bytes of a fixed-size value ntop()/macaddr() accept: strings, arrays, buffers. */
function byteSize(t: Type): number | undefined {
  if (t.kind === 'string') return t.size;
  if (t.kind === 'array') return t.length * (t.elem.kind === 'int' ? t.elem.bits / 8 : 8);
  return undefined;
}

export function literalNonNegative(a: Expr | undefined): bigint | undefined {
  return a?.kind === 'Int' ? a.value : undefined;
}

/** cgroupid(path): the cgroup v2 id is the kernfs inode number of the cgroup's directory. */
export function cgroupIdOf(path: string): bigint | { error: string } {
  try {
    return fs.statSync(path, { bigint: true }).ino;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const text = code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : code === 'ENOTDIR' ? 'Not a directory' : (err as Error).message;
    return { error: text };
  }
}

/** pton() literal → its bytes (checked by the rule). */
export function ptonBytes(e: CallExpr): number[] {
  return e.args[0]?.kind === 'String' ? parseInetAddress(e.args[0].value) ?? [] : [];
}

/** The u8 array pton() returns. */
function uint8Array(length: number): Type {
  return { kind: 'array', elem: int(8, false), length };
}

/** The map argument of has_key/len: a whole map, typed from its definition. */
function mapArgument(e: CallExpr, ctx: CallContext): Extract<Expr, { kind: 'Map' }> | undefined {
  const m = e.args[0];
  if (m?.kind !== 'Map' || m.keys.length > 0) {
    ctx.checker.error(`${e.name}() expects a map argument`, e.loc);
    return undefined;
  }
  const info = ctx.checker.maps.get(m.name);
  if (!info) {
    ctx.checker.error(`Undefined map: ${m.name}`, m.loc);
    return undefined;
  }
  m.type = info.valueType;
  return m;
}

/** has_key(@m, k) → the `@m[k]` it looks up (codegen builds that key). */
export const hasKeyLookups = new WeakMap<CallExpr, MapExpr>();

/** str() of a positional parameter → its text, known at compile time (codegen emits it as a literal). */
export const positionalStrTexts = new WeakMap<CallExpr, string>();

/**
 * str($N), str($N + K), str(K + $N), optionally with a length: the parameter's
 * text (from the K-th character, at most `length` characters), as 0.17 does.
 * Returns undefined when the first argument is not a positional parameter form.
 */
export function positionalStr(e: CallExpr, scope: Scope, ctx: CallContext): Type | undefined {
  const a = e.args[0];
  const isParam = (x: Expr): x is Extract<Expr, { kind: 'Param' }> => x.kind === 'Param';
  let param: Extract<Expr, { kind: 'Param' }> | undefined;
  let skip = 0n;
  if (a && isParam(a)) param = a;
  else if (a?.kind === 'Binary' && (isParam(a.left) || isParam(a.right))) {
    param = isParam(a.left) ? a.left : (a.right as Extract<Expr, { kind: 'Param' }>);
    const other = param === a.left ? a.right : a.left;
    const text = ctx.checker.options.params[param.index - 1] ?? '';
    if (a.op !== '+' || other.kind !== 'Int' || other.value > BigInt(text.length) || param.count) {
      ctx.checker.error(`only addition of a single constant less or equal to the length of $${param.index} (which is ${text.length}) is allowed inside str()`, spanLoc(a.opLoc, a.right.loc));
      return NONE;
    }
    skip = other.value;
  }
  if (!param) return undefined;
  if (param.count) {
    ctx.checker.error('use $#, not str($#)', e.loc);
    return NONE;
  }
  if (e.args.length > 2) {
    arity(e, ctx, 1, 2);
    return NONE;
  }
  let text = (ctx.checker.options.params[param.index - 1] ?? '').slice(Number(skip));
  const len = e.args[1];
  if (len) {
    const lt = ctx.checker.expr(len, scope);
    if (len.kind === 'Int') text = text.slice(0, Number(len.value < 0n ? 0n : len.value));
    else if (lt.kind !== 'none') ctx.checker.error(`str() expects a integer literal (${printfTypeName(lt)} provided)`, e.loc);
  }
  // Like every str(), at most BPFTRACE_STRLEN - 1 characters.
  text = text.slice(0, Math.max(0, ctx.checker.options.strlen - 1));
  a.type = str(text.length + 1);
  positionalStrTexts.set(e, text);
  return str(text.length + 1);
}

/** uaddr("sym") → the symbol (of the probe's binary) it names, resolved by the rule. */
export const uaddrSymbols = new WeakMap<CallExpr, ElfSymbol>();

/** debugf() uses bpf_trace_printk, which takes at most three arguments. */
const DEBUGF_MAX_ARGS = 3;

export const FUNCTION_RULES: Record<string, Rule> = {
  uaddr(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    checkAvailable(e, scope, ctx);
    if (!arity(e, ctx, 1)) return NONE;
    const name = stringLiteral(e, 0, types[0], ctx);
    if (name === undefined) return NONE;
    const re = '^[a-zA-Z0-9./_-]+$';
    if (!new RegExp(re).test(name)) {
      ctx.checker.error(`uaddr() expects a string that is a valid symbol (${re}) as input ("${name}" provided)`, e.loc);
      return NONE;
    }
    const target = String(scope.match.detail.path ?? '');
    let sym: ElfSymbol | undefined;
    try {
      if (target) sym = ElfFile.with(target, (elf) => elf.objects().get(name) ?? elf.functions().get(name));
    } catch {
      sym = undefined;
    }
    if (!sym || sym.value === 0) {
      ctx.checker.error(`Could not resolve symbol: ${target}:${name}`, e.loc);
      return NONE;
    }
    uaddrSymbols.set(e, sym);
    // The pointee is sized by the symbol: 1, 2, 4 bytes, anything else 8.
    const bits = sym.size === 1 || sym.size === 2 || sym.size === 4 ? sym.size * 8 : 64;
    return { kind: 'pointer', to: int(bits as 8 | 16 | 32 | 64, true), addrSpace: 'user' };
  },

  debugf(e, scope, ctx) {
    ctx.checker.warning('The debugf() builtin is not recommended for production use. For more information see bpf_trace_printk in bpf-helpers(7).', e.loc);
    const types = argTypes(e, scope, ctx);
    if (e.args.length === 0) {
      ctx.checker.error('debugf() requires at least one argument (0 provided)', e.loc);
      return NONE;
    }
    const fmt = e.args[0];
    if (fmt.kind !== 'String') {
      if (types[0].kind !== 'none') ctx.checker.error(`debugf() expects a string literal (${printfTypeName(types[0])} provided)`, e.loc);
      return NONE;
    }
    const specs = parsePrintfFormat(fmt.value);
    if (!isPrintfParseError(specs) && specs.length > DEBUGF_MAX_ARGS) {
      ctx.checker.error(`debugf: Cannot use more than ${DEBUGF_MAX_ARGS} conversion specifiers`, e.loc);
      return NONE;
    }
    const values = types.slice(1);
    if (values.some((t) => t.kind === 'none')) return NONE;
    const msg = checkPrintfArgs(fmt.value, values.map(printfKind), values.map(printfTypeName));
    if (msg) ctx.checker.error(msg.replace(/^printf: /, 'debugf: '), e.loc);
    return NONE;
  },

  ntop(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 1, 2)) return NONE;
    const t = types[types.length - 1];
    if (types.length === 2) onlyIntegers(e, types[0], ctx);
    if (t.kind === 'none') return { kind: 'inet' };
    if (!isIntLike(t) && t.kind !== 'string' && t.kind !== 'array') {
      ctx.checker.error(`ntop() expects an integer or array argument, got ${typeName(t)}`, e.loc);
    } else if (!isIntLike(t) && byteSize(t) !== 4 && byteSize(t) !== 16) {
      ctx.checker.error('ntop() argument must be 4 or 16 bytes in size', e.loc);
    }
    return { kind: 'inet' };
  },

  pton(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 1)) return NONE;
    const a = e.args[0];
    if (a.kind !== 'String') {
      ctx.checker.error(`pton() expects an string argument of an IPv4/IPv6 address, got ${types[0].kind === 'none' ? 'none' : printfTypeName(types[0])}`, e.loc);
      return NONE;
    }
    const bytes = parseInetAddress(a.value);
    if (!bytes) {
      ctx.checker.error(`pton() expects a valid IPv4/IPv6 address, got ${a.value}`, e.loc);
      return NONE;
    }
    return uint8Array(bytes.length);
  },

  macaddr(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 1)) return NONE;
    const t = types[0];
    if (t.kind === 'none') return { kind: 'text', what: 'macaddr' };
    if (!isIntLike(t) && t.kind !== 'array' && t.kind !== 'string' && t.kind !== 'pointer') {
      ctx.checker.error(`macaddr() only supports array or pointer arguments (${printfTypeName(t)} provided)`, e.loc);
    }
    if ((t.kind === 'array' || t.kind === 'string') && byteSize(t) !== 6) ctx.checker.error('macaddr() argument must be 6 bytes in size', e.loc);
    if (e.args[0].kind === 'String') ctx.checker.error('macaddr() does not support literal string arguments', e.loc);
    return { kind: 'text', what: 'macaddr' };
  },

  buf(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 1, 2)) return NONE;
    const t = types[0];
    const max = ctx.checker.options.strlen;
    if (t.kind !== 'none' && !isIntLike(t) && t.kind !== 'string' && t.kind !== 'pointer' && t.kind !== 'array') {
      ctx.checker.error(`buf() expects an integer, string, or array argument but saw ${printfTypeName(t)}`, e.loc);
    }
    let size = max;
    if (e.args.length === 1) {
      if (t.kind === 'array') size = byteSize(t) ?? max;
      else if (t.kind !== 'none') ctx.checker.error(`buf() expects a length argument for non-array type ${printfTypeName(t)}`, e.loc);
    } else {
      const lt = types[1];
      if (lt.kind !== 'none' && !isIntLike(lt)) ctx.checker.error(`buf() only supports integer arguments (${printfTypeName(lt)} provided)`, e.loc);
      const n = literalNonNegative(e.args[1]);
      if (n !== undefined && n < 0n) ctx.checker.error(`buf cannot use negative length (${n})`, e.loc);
      else if (n !== undefined) size = Number(n > 0x7fffffffn ? 0x7fffffffn : n);
    }
    if (size > max) {
      ctx.checker.warning(`buf() length is too long and will be shortened to ${max} bytes (see BPFTRACE_STRLEN)`, e.loc);
      size = max;
    }
    return { kind: 'buffer', size };
  },

  strncmp(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 3)) return UINT64;
    for (const t of types.slice(0, 2)) {
      if (t.kind !== 'string' && t.kind !== 'none') {
        ctx.checker.error(`strncmp() only supports string arguments (${printfTypeName(t)} provided)`, e.loc);
        return UINT64;
      }
    }
    const n = e.args[2];
    if (n.kind !== 'Int') {
      ctx.checker.error(`strncmp() expects a integer literal (${printfTypeName(types[2])} provided)`, e.loc);
    } else if (n.value < 0n) {
      ctx.checker.error('Builtin strncmp requires a non-negative size', e.loc);
    }
    return UINT64;
  },

  strcontains(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 2)) return UINT64;
    for (const t of types) {
      if (t.kind !== 'string' && t.kind !== 'none') {
        ctx.checker.error(`strcontains() only supports string arguments (${printfTypeName(t)} provided)`, e.loc);
        break;
      }
    }
    return UINT64;
  },

  strerror: integerToText('strerror'),

  bswap(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 1)) return NONE;
    const t = types[0];
    onlyIntegers(e, t, ctx);
    return t.kind === 'int' ? int(t.bits, false) : UINT64;
  },

  cgroupid(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 1)) return UINT64;
    const path = stringLiteral(e, 0, types[0], ctx);
    if (path !== undefined) {
      const id = cgroupIdOf(path);
      // 0.17 reports this without a location, at code generation; tstrace points at the call.
      if (typeof id !== 'bigint') ctx.checker.error(`Failed to get \`cgroupid\` for path: "${path}": ${id.error}`, e.loc);
      ctx.checker.uncacheable = true;
    }
    return UINT64;
  },

  cgroup_path(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 1, 2)) return NONE;
    onlyIntegers(e, types[0], ctx);
    const filter = types.length === 2 ? stringLiteral(e, 1, types[1], ctx) : undefined;
    return { kind: 'text', what: 'cgroup_path', ...(filter !== undefined ? { format: filter } : {}) };
  },

  signal: signalRule,
  // HEAD (0.25+): the signal goes to the current thread only (bpf_send_signal_thread).
  signal_thread: signalRule,

  /** unwatch(addr): removes the watchpoints on addr (bpftrace 0.17), in user space when the event arrives. */
  unwatch(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (arity(e, ctx, 1)) onlyIntegers(e, types[0], ctx);
    return NONE;
  },

  override(e, scope, ctx) {
    checkUnsafe(e, ctx);
    const types = argTypes(e, scope, ctx);
    checkStatementOnly(e, ctx);
    if (arity(e, ctx, 1, 1, true)) onlyIntegers(e, types[0], ctx);
    if (scope.match.provider.name !== 'kprobe') ctx.checker.error('override can only be used with kprobes.', e.loc);
    return NONE;
  },

  reg(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    checkAvailable(e, scope, ctx);
    if (!arity(e, ctx, 1)) return UINT64;
    const name = stringLiteral(e, 0, types[0], ctx);
    if (name !== undefined && !Object.prototype.hasOwnProperty.call(PT_REGS_OFFSETS, name)) {
      ctx.checker.error(`'${name}' is not a valid register on this architecture (x86_64)`, e.loc);
    }
    return UINT64;
  },

  kptr: retag('kernel'),
  uptr: retag('user'),

  path(e, scope, ctx) {
    const types = argTypes(e, scope, ctx);
    if (arity(e, ctx, 1, 1, true)) {
      const t = types[0];
      if (t.kind !== 'none' && t.kind !== 'pointer' && t.kind !== 'struct') {
        ctx.checker.error(`path() only supports pointer or record argument (${printfTypeName(t)} provided)`, e.loc);
      }
    }
    const p = scope.match.provider.name;
    if (p !== 'fentry' && p !== 'fexit' && p !== 'iter') ctx.checker.error("The path function can only be used with 'kfunc', 'kretfunc', 'iter' probes", e.loc);
    return str(ctx.checker.options.strlen);
  },

  len(e, scope, ctx) {
    // HEAD: len(ustack) / len(kstack) is the number of frames; len(@map) its number of elements.
    if (!arity(e, ctx, 1)) return UINT64;
    const a = e.args[0];
    if (a.kind === 'Map') {
      if (a.keys.length > 0) {
        ctx.checker.error('The map passed to len() should not be indexed by a key', e.loc);
        return INT64;
      }
      const m = mapArgument(e, ctx);
      // A map without keys is one array slot: it has no element count to speak of.
      if (m && ctx.checker.maps.get(m.name)!.keyTypes.length === 0) ctx.checker.error('call to len() expects a map with explicit keys (non-scalar map)', m.loc);
      return INT64;
    }
    const t = ctx.checker.expr(a, scope);
    if (t.kind !== 'stack' && t.kind !== 'none') ctx.checker.error(`len() expects a map or stack to be provided (${printfTypeName(t)} provided)`, e.loc);
    return UINT64;
  },

  has_key(e, scope, ctx) {
    // HEAD (0.22+): has_key(@m, key) → bool, without creating the key.
    if (!arity(e, ctx, 2)) return { kind: 'bool' };
    const m = mapArgument(e, ctx);
    if (!m) return { kind: 'bool' };
    const info = ctx.checker.maps.get(m.name)!;
    if (info.keyTypes.length === 0) {
      ctx.checker.error('call to has_key() expects a map with explicit keys (non-scalar map)', m.loc);
      return { kind: 'bool' };
    }
    const key = e.args[1];
    const keys = key.kind === 'Tuple' && info.keyTypes.length > 1 ? key.elems : [key];
    // Checked (and later looked up) exactly like @m[key].
    const lookup: MapExpr = { kind: 'Map', name: m.name, keys, loc: m.loc };
    ctx.checker.expr(lookup, scope);
    hasKeyLookups.set(e, lookup);
    return { kind: 'bool' };
  },
};

/** signal(SIG) / signal_thread(SIG): a name (`KILL`, `sigusr1`) or a number 1..64. */
function signalRule(e: CallExpr, scope: Scope, ctx: CallContext): Type {
  checkUnsafe(e, ctx);
  const types = argTypes(e, scope, ctx);
  checkAvailable(e, scope, ctx);
  checkStatementOnly(e, ctx);
  if (!arity(e, ctx, 1, 1, true)) return NONE;
  const a = e.args[0];
  if (a.kind === 'String') {
    if (signalNumber(a.value) === undefined) ctx.checker.error(`${a.value} is not a valid signal`, e.loc);
  } else if (a.kind === 'Int') {
    if (a.value < 1n || a.value > 64n) ctx.checker.error(`${a.value} is not a valid signal, allowed range: [1,64]`, e.loc);
  } else if (types[0].kind !== 'int') {
    ctx.checker.error('signal only accepts string literals or integers', e.loc);
  }
  return NONE;
}

/** `curtask` as 0.17 types it, `struct task_struct *` (kernel), when the kernel's BTF has the struct. */
export function curtaskType(types: TypeRegistry): Type | undefined {
  const task = types.resolve('struct task_struct');
  return task ? { kind: 'pointer', to: task, addrSpace: 'kernel' } : undefined;
}

/** HEAD's nsecs(CLOCK): which clock; plain `nsecs` is `boot`. */
export const NSECS_CLOCKS = ['boot', 'monotonic', 'tai', 'sw_tai'] as const;

/**
 * A builtin variable called like a function (HEAD 0.24+: `pid()`, `comm()`,
 * `nsecs(monotonic)`). Returns undefined when `e` names no builtin.
 */
export function builtinCall(e: CallExpr, scope: Scope, ctx: CallContext): Type | undefined {
  const t = builtinType(e.name, scope.match);
  if (t === undefined) return undefined;
  if ('error' in t) {
    ctx.checker.error(t.error, e.loc);
    return NONE;
  }
  if (e.name === 'nsecs' && e.args.length === 1) {
    const a = e.args[0];
    if (a.kind === 'Identifier' && (NSECS_CLOCKS as readonly string[]).includes(a.name)) {
      a.type = NONE;
      return t;
    }
    ctx.checker.error(`Invalid timestamp mode: ${a.kind === 'Identifier' ? a.name : a.kind}. Valid modes: ${NSECS_CLOCKS.join(', ')}`, e.loc);
    return NONE;
  }
  if ((e.name === 'pid' || e.name === 'tid') && e.args.length > 0) return checkPidNamespace(e, t, ctx);
  if (e.name === 'comm' && e.args.length > 0) return checkCommPid(e, t, scope, ctx);
  arity(e, ctx, 0);
  return t;
}

/** kptr()/uptr(): the same value, its pointer now in the kernel/user address space. */
function retag(addrSpace: 'kernel' | 'user'): Rule {
  return (e, scope, ctx) => {
    const types = argTypes(e, scope, ctx);
    if (!arity(e, ctx, 1)) return NONE;
    const t = types[0];
    if (t.kind === 'pointer') return { ...t, addrSpace };
    if (t.kind !== 'int' && t.kind !== 'none') {
      ctx.checker.error(`${e.name}() only supports integer or pointer arguments (${printfTypeName(t)} provided)`, e.loc);
      return NONE;
    }
    return t;
  };
}
