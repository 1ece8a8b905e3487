// Integer constants from the C headers a script `#include`s. bpftrace runs
// clang over its C preamble; tstrace takes types from BTF instead and only
// needs the headers' object-like macros (`AF_INET`). Headers are looked up in
// the system include directories and followed through their own #includes;
// conditionals inside headers are ignored (every #define is seen, the first
// one wins), which is right for the constant tables scripts use.
import * as fs from 'fs';
import * as path from 'path';

const MULTIARCH: Record<string, string> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

function includeDirs(): string[] {
  const dirs = ['/usr/local/include'];
  const triple = MULTIARCH[process.arch];
  if (triple) dirs.push(`/usr/include/${triple}`);
  dirs.push('/usr/include');
  return dirs;
}

/**
 * Kernel-internal macros that neither BTF (it has no macros) nor the UAPI
 * headers in /usr/include carry, for the headers that define them in the
 * kernel tree. Their values are ABI-stable; current bpftrace's own tools
 * define TASK_RUNNING as 0 by hand for the same reason.
 */
const KERNEL_INTERNAL: Record<string, Record<string, bigint>> = {
  'linux/sched.h': {
    TASK_RUNNING: 0x0n, TASK_INTERRUPTIBLE: 0x1n, TASK_UNINTERRUPTIBLE: 0x2n, __TASK_STOPPED: 0x4n, __TASK_TRACED: 0x8n,
    EXIT_DEAD: 0x10n, EXIT_ZOMBIE: 0x20n, TASK_PARKED: 0x40n, TASK_DEAD: 0x80n, TASK_WAKEKILL: 0x100n,
    TASK_WAKING: 0x200n, TASK_NOLOAD: 0x400n, TASK_NEW: 0x800n, TASK_COMM_LEN: 16n,
  },
};

/** Macro name → its replacement text, from `includes` and everything they include. */
export class HeaderMacros {
  private readonly defs = new Map<string, string>();
  private readonly fallback = new Map<string, bigint>();
  private readonly seen = new Set<string>();
  /** Headers named by the script that exist neither on disk nor in the kernel-internal table. */
  readonly missing: string[] = [];

  constructor(includes: string[]) {
    for (const inc of includes) {
      const found = this.read(inc, undefined, 0);
      const table = KERNEL_INTERNAL[inc];
      if (table) for (const [k, v] of Object.entries(table)) this.fallback.set(k, v);
      if (!found && !table) this.missing.push(inc);
    }
  }

  private read(name: string, fromDir: string | undefined, depth: number): boolean {
    if (depth > 32) return false;
    const candidates = [...(fromDir ? [fromDir] : []), ...includeDirs()].map((d) => path.join(d, name));
    const file = candidates.find((f) => fs.existsSync(f));
    if (!file) return false;
    if (this.seen.has(file)) return true;
    this.seen.add(file);
    let text: string;
    try {
      text = fs.readFileSync(file, 'latin1');
    } catch {
      return false;
    }
    for (const line of text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\\\n/g, ' ').split('\n')) {
      const inc = /^\s*#\s*include\s*[<"]([^>"]+)[>"]/.exec(line);
      if (inc) {
        this.read(inc[1], path.dirname(file), depth + 1);
        continue;
      }
      const def = /^\s*#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)(?![(A-Za-z0-9_])\s*(.*?)\s*(\/\/.*)?$/.exec(line);
      if (def && !this.defs.has(def[1])) this.defs.set(def[1], def[2]);
    }
    return true;
  }

  /** The integer value of macro `name`, when its expansion is an integer constant expression. */
  value(name: string, depth = 0): bigint | undefined {
    const text = this.defs.get(name);
    if (text === undefined) return this.fallback.get(name);
    if (depth > 32) return undefined;
    return evalConstant(text, (n) => this.value(n, depth + 1));
  }
}

/** Evaluates C integer constant text: literals, macro names, ( ), unary - ~ !, * / % + - << >> & ^ |. */
export function evalConstant(text: string, lookup: (name: string) => bigint | undefined): bigint | undefined {
  const toks = text.match(/0[xX][0-9a-fA-F]+[uUlL]*|[0-9]+[uUlL]*|[A-Za-z_][A-Za-z0-9_]*|<<|>>|\S/g);
  if (!toks) return undefined;
  let i = 0;
  const PREC: Record<string, number> = { '|': 1, '^': 2, '&': 3, '<<': 4, '>>': 4, '+': 5, '-': 5, '*': 6, '/': 6, '%': 6 };
  const primary = (): bigint | undefined => {
    const t = toks[i++];
    if (t === undefined) return undefined;
    if (t === '(') {
      const v = binary(1);
      if (toks[i++] !== ')') return undefined;
      return v;
    }
    if (t === '-') { const v = primary(); return v === undefined ? undefined : -v; }
    if (t === '~') { const v = primary(); return v === undefined ? undefined : ~v; }
    if (t === '!') { const v = primary(); return v === undefined ? undefined : v === 0n ? 1n : 0n; }
    if (/^[0-9]/.test(t)) {
      const digits = t.replace(/[uUlL]+$/, '');
      return /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
    }
    if (/^[A-Za-z_]/.test(t)) return lookup(t);
    return undefined;
  };
  const binary = (min: number): bigint | undefined => {
    let l = primary();
    while (l !== undefined && i < toks.length) {
      const op = toks[i];
      const p = PREC[op];
      if (p === undefined || p < min) break;
      i++;
      const r = binary(p + 1);
      if (r === undefined) return undefined;
      switch (op) {
        case '|': l |= r; break;
        case '^': l ^= r; break;
        case '&': l &= r; break;
        case '<<': l <<= r; break;
        case '>>': l >>= r; break;
        case '+': l += r; break;
        case '-': l -= r; break;
        case '*': l *= r; break;
        case '/': if (r === 0n) return undefined; l /= r; break;
        case '%': if (r === 0n) return undefined; l %= r; break;
      }
    }
    return l;
  };
  const v = binary(1);
  return i === toks.length ? v : undefined;
}
