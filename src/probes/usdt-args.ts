// USDT argument strings (x86_64 AT&T operands as the assembler wrote them
// into the note): `SIZE@OPERAND` separated by spaces, SIZE negative for
// signed values. Operands: `$imm`, `%reg`, `disp(%base[,%index[,scale]])`,
// and `sym[+off](%rip)` for globals. A rip-relative operand is turned into an
// offset from the probe's own address, so it works in PIE binaries and
// shared libraries without knowing where they are loaded: in a uprobe
// handler the context's ip is the probe's address.
import type { ArgOperand } from './provider';

/** x86_64 `struct pt_regs` byte offsets (arch/x86/include/asm/ptrace.h). */
const PT_REGS: Record<string, number> = {
  r15: 0, r14: 8, r13: 16, r12: 24, bp: 32, bx: 40, r11: 48, r10: 56,
  r9: 64, r8: 72, ax: 80, cx: 88, dx: 96, si: 104, di: 112, ip: 128, sp: 152,
};
export const PT_REGS_IP = PT_REGS.ip;

/** A register name (without %) → its slot in pt_regs and the byte within it (`%ah`). */
function register(name: string): { reg: number; byte: number } | undefined {
  const legacy = /^[re]?(ax|bx|cx|dx|si|di|bp|sp|ip)$|^(ax|bx|cx|dx|si|di|bp|sp)l$|^([abcd])([lh])$/.exec(name);
  if (legacy) {
    if (legacy[1]) return { reg: PT_REGS[legacy[1]], byte: 0 };
    if (legacy[2]) return { reg: PT_REGS[legacy[2]], byte: 0 };
    return { reg: PT_REGS[`${legacy[3]}x`], byte: legacy[4] === 'h' ? 1 : 0 };
  }
  const numbered = /^r(8|9|1[0-5])[dwb]?$/.exec(name);
  if (numbered) return { reg: PT_REGS[`r${numbered[1]}`], byte: 0 };
  return undefined;
}

export class UsdtArgError extends Error {}

function parseInt64(text: string): bigint {
  const neg = text.startsWith('-');
  const body = neg || text.startsWith('+') ? text.slice(1) : text;
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(body)) throw new UsdtArgError(`bad number '${text}'`);
  const v = BigInt(body);
  return neg ? -v : v;
}

/**
 * One operand. `symbol` gives the link-time address of a global named in a
 * rip-relative operand; `pc` is the probe's link-time address.
 */
export function parseUsdtArg(spec: string, pc: number, symbol: (name: string) => number | undefined): ArgOperand {
  const at = spec.indexOf('@');
  let size = 8;
  let signed = false;
  let op = spec;
  if (at >= 0) {
    const n = Number(spec.slice(0, at));
    if (![1, 2, 4, 8].includes(Math.abs(n))) throw new UsdtArgError(`bad argument size in '${spec}'`);
    size = Math.abs(n);
    signed = n < 0;
    op = spec.slice(at + 1);
  }
  if (op.startsWith('$')) return { kind: 'const', value: parseInt64(op.slice(1)).toString(), size, signed };
  if (op.startsWith('%')) {
    const r = register(op.slice(1));
    if (!r || r.reg === PT_REGS.ip) throw new UsdtArgError(`unknown register in '${spec}'`);
    return { kind: 'reg', reg: r.reg, ...(r.byte ? { byte: r.byte } : {}), size, signed };
  }
  const mem = /^([^(]*)\(([^)]*)\)$/.exec(op);
  if (!mem) throw new UsdtArgError(`unsupported operand '${spec}'`);
  const [, dispText, inner] = mem;
  const regs = inner.split(',').map((x) => x.trim());
  const baseName = regs[0]?.replace(/^%/, '');
  let disp = 0;
  if (baseName === 'rip') {
    // sym, sym+off, sym-off or a plain number.
    const sym = /^([A-Za-z_.$][\w.$@]*)?([+-](?:0x[0-9a-f]+|[0-9]+))?$/i.exec(dispText);
    if (!sym) throw new UsdtArgError(`unsupported operand '${spec}'`);
    let target = sym[2] ? Number(parseInt64(sym[2])) : 0;
    if (sym[1]) {
      const addr = symbol(sym[1]);
      if (addr === undefined) throw new UsdtArgError(`can't find global '${sym[1]}' of '${spec}' in the symbol table`);
      target += addr;
    } else {
      return { kind: 'mem', base: PT_REGS.ip, scale: 1, disp: target, size, signed };
    }
    return { kind: 'mem', base: PT_REGS.ip, scale: 1, disp: target - pc, size, signed };
  }
  if (dispText) disp = Number(parseInt64(dispText));
  const base = baseName ? register(baseName) : undefined;
  if (baseName && !base) throw new UsdtArgError(`unknown register in '${spec}'`);
  let index: number | undefined;
  let scale = 1;
  if (regs.length > 1) {
    const idx = register(regs[1].replace(/^%/, ''));
    if (!idx) throw new UsdtArgError(`unknown register in '${spec}'`);
    index = idx.reg;
    if (regs[2]) scale = Number(regs[2]);
    if (![1, 2, 4, 8].includes(scale)) throw new UsdtArgError(`bad scale in '${spec}'`);
  }
  return { kind: 'mem', base: base?.reg, index, scale, disp, size, signed };
}

/** Splits the note's argument string (operands are separated by spaces and contain none). */
export function splitUsdtArgs(args: string): string[] {
  return args.trim() ? args.trim().split(/\s+/) : [];
}
