// kfunc_exist("name") (HEAD 0.24+): whether the kernel's BTF describes a
// function of that name; kfunc_allowed("name") (HEAD): whether this probe's
// BPF program type may call it. Both are bools known when the script is
// compiled.
//
// Which kfuncs a program type may call is kept by the kernel (kfunc id sets
// registered per program type), not written in BTF, so kfunc_allowed asks
// the kernel: it loads a two-instruction program of the probe's type calling
// the kfunc. The verifier looks the call up in the type's sets before it
// checks anything else about it, so its "calling kernel function X is not
// allowed" answers the question; any other verdict means the call passed
// that check (the dummy arguments may still be wrong, which is not asked).
// Program types the kernel will not load without an attach target (fentry,
// iter: TRACING) cannot be asked this way: that is a compile error.
import type { CallExpr } from '../ast/nodes';
import { vmlinuxBtf } from '../btf';
import { native } from '../runtime/native';
import { argTypes, arity, CallContext, printfTypeName, Rule } from './callargs';

export const kfuncExists = new WeakMap<CallExpr, boolean>();

/** kfunc_exist and kfunc_allowed: the name, or undefined after reporting a wrong argument. */
function kfuncName(e: CallExpr, scope: Parameters<Rule>[1], ctx: CallContext): string | undefined {
  const types = argTypes(e, scope, ctx);
  if (!arity(e, ctx, 1)) return undefined;
  const a = e.args[0];
  if (a.kind !== 'String') {
    ctx.checker.error(`${e.name}() expects a string literal (${printfTypeName(types[0])} provided)`, e.loc);
    return undefined;
  }
  return a.value;
}

const BPF_PSEUDO_KFUNC_CALL = 2;

/** Answers by program type and kfunc BTF id: one load per pair and run. */
const allowedCache = new Map<string, boolean | string>();

/** true/false, or why the kernel could not be asked. */
function kernelAllows(progType: number, btfId: number, name: string): boolean | string {
  const key = `${progType}:${btfId}`;
  const cached = allowedCache.get(key);
  if (cached !== undefined) return cached;
  const insns = Buffer.alloc(24);
  insns.writeUInt8(0x85, 0); // BPF_JMP | BPF_CALL
  insns.writeUInt8(BPF_PSEUDO_KFUNC_CALL << 4, 1); // src_reg: a kfunc in vmlinux BTF (off 0)
  insns.writeInt32LE(btfId, 4);
  insns.writeUInt8(0xb7, 8); // r0 = 0
  insns.writeUInt8(0x95, 16); // exit
  let answer: boolean | string;
  try {
    const { fd } = native.loadProgram({ type: progType, name: 'kfunc_allowed', insns, fdArray: [], license: 'GPL', logLevel: 1 });
    native.closeFd(fd);
    answer = true;
  } catch (err) {
    const log = String((err as { log?: unknown }).log ?? '');
    if (log.includes(`calling kernel function ${name} is not allowed`)) answer = false;
    // The verifier printed the call as checked: the lookup passed, a later check failed.
    else if (log.includes(`(85) call ${name}#`)) answer = true;
    else answer = `the kernel refused a test program of this probe's type: ${(err as Error).message}${lastLine(log)}`;
  }
  allowedCache.set(key, answer);
  return answer;
}

/** The verifier's reason (the line before its `processed N insns` summary), as ` (reason)`. */
function lastLine(log: string): string {
  const lines = log.trim().split('\n').filter((l) => !l.startsWith('processed '));
  return lines.length ? ` (${lines[lines.length - 1]})` : '';
}

export const KFUNC_RULES: Record<string, Rule> = {
  kfunc_exist(e, scope, ctx) {
    const name = kfuncName(e, scope, ctx);
    if (name !== undefined) kfuncExists.set(e, vmlinuxBtf()?.func(name) !== undefined);
    return { kind: 'bool' };
  },

  /** false for a name BTF lacks, as HEAD; otherwise the kernel's answer for this probe's program type. */
  kfunc_allowed(e, scope, ctx) {
    const name = kfuncName(e, scope, ctx);
    if (name === undefined) return { kind: 'bool' };
    const func = vmlinuxBtf()?.func(name);
    if (!func) {
      kfuncExists.set(e, false);
      return { kind: 'bool' };
    }
    const answer = kernelAllows(scope.match.provider.progType, func.id, name);
    if (typeof answer === 'string') ctx.checker.error(`kfunc_allowed("${name}"): ${answer}`, e.loc);
    else kfuncExists.set(e, answer);
    return { kind: 'bool' };
  },
};
