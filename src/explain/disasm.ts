// BPF instructions as text, in the syntax the kernel verifier prints in its
// log ("r1 = *(u64 *)(r10 -8)", "if r0 == 0x0 goto pc+4"), so a learner can
// put `-d asm` output and a verifier log side by side.
// Encoding: include/uapi/linux/bpf.h and Documentation/bpf/standardization.
import { Helper } from '../codegen/helpers';
import type { MapPlan } from '../codegen/plan';

export interface Insn {
  /** Index in 8-byte units (a 16-byte ld_imm64 takes two). */
  index: number;
  text: string;
}

const CLASS = ['ld', 'ldx', 'st', 'stx', 'alu', 'jmp', 'jmp32', 'alu64'];
const ALU_OPS: Record<number, string> = {
  0x00: '+=', 0x10: '-=', 0x20: '*=', 0x30: '/=', 0x40: '|=', 0x50: '&=', 0x60: '<<=', 0x70: '>>=',
  0x90: '%=', 0xa0: '^=', 0xb0: '=', 0xc0: 's>>=',
};
const JMP_OPS: Record<number, string> = {
  0x10: '==', 0x20: '>', 0x30: '>=', 0x40: '&', 0x50: '!=', 0x60: 's>', 0x70: 's>=',
  0xa0: '<', 0xb0: '<=', 0xc0: 's<', 0xd0: 's<=',
};
const SIZE: Record<number, string> = { 0x00: 'u32', 0x08: 'u16', 0x10: 'u8', 0x18: 'u64' };
const ATOMIC_OPS: Record<number, string> = { 0x00: '+=', 0x40: '|=', 0x50: '&=', 0xa0: '^=' };
const BPF_PSEUDO_MAP_FD = 1;
const BPF_PSEUDO_MAP_IDX = 5;
const BPF_PSEUDO_MAP_IDX_VALUE = 6;

function hex(n: number | bigint): string {
  return n < 0 ? `-0x${(-BigInt(n)).toString(16)}` : `0x${n.toString(16)}`;
}

function off(n: number): string {
  return n < 0 ? `${n}` : `+${n}`;
}

export function helperName(id: number): string {
  return Helper[id] ? `bpf_${Helper[id]}#${id}` : `helper#${id}`;
}

/** Disassembles a program; `maps` names the maps that ld_imm64 map references point at. */
export function disassemble(insns: Buffer, maps: MapPlan[] = []): Insn[] {
  const out: Insn[] = [];
  for (let i = 0; i * 8 + 8 <= insns.length; i++) {
    const at = i * 8;
    const op = insns[at];
    const dst = insns[at + 1] & 0x0f;
    const src = insns[at + 1] >> 4;
    const offset = insns.readInt16LE(at + 2);
    const imm = insns.readInt32LE(at + 4);
    const cls = op & 7;
    const reg = (n: number, wide: boolean) => `${wide ? 'r' : 'w'}${n}`;
    let text: string;
    switch (CLASS[cls]) {
      case 'alu': case 'alu64': {
        const wide = cls === 7;
        const code = op & 0xf0;
        const operand = op & 0x08 ? reg(src, wide) : hex(imm);
        if (code === 0x80) text = `${reg(dst, wide)} = -${reg(dst, wide)}`;
        else if (code === 0xd0) text = `${reg(dst, true)} = ${op & 0x08 ? 'be' : 'le'}${imm} ${reg(dst, true)}`;
        else text = `${reg(dst, wide)} ${ALU_OPS[code] ?? `alu?${code}`} ${operand}`;
        break;
      }
      case 'jmp': case 'jmp32': {
        const code = op & 0xf0;
        const wide = cls === 5;
        if (code === 0x00) text = `goto pc${off(offset)}`;
        else if (code === 0x80) text = src === 1 ? `call pc${off(imm)}` : `call ${helperName(imm)}`;
        else if (code === 0x90) text = 'exit';
        else text = `if ${reg(dst, wide)} ${JMP_OPS[code] ?? `jmp?${code}`} ${op & 0x08 ? reg(src, wide) : hex(imm)} goto pc${off(offset)}`;
        break;
      }
      case 'ldx':
        text = `r${dst} = *(${SIZE[op & 0x18]} *)(r${src} ${off(offset)})`;
        break;
      case 'st':
        text = `*(${SIZE[op & 0x18]} *)(r${dst} ${off(offset)}) = ${hex(imm)}`;
        break;
      case 'stx':
        if ((op & 0xe0) === 0xc0) text = `lock *(${SIZE[op & 0x18]} *)(r${dst} ${off(offset)}) ${ATOMIC_OPS[imm & 0xf0] ?? `atomic?${imm}`} r${src}`;
        else text = `*(${SIZE[op & 0x18]} *)(r${dst} ${off(offset)}) = r${src}`;
        break;
      default: {
        // ld: ld_imm64 (two slots) is the only form BPF still has.
        if (op === 0x18 && at + 16 <= insns.length) {
          const hi = insns.readUInt32LE(at + 12);
          const value = (BigInt(hi) << 32n) | BigInt(insns.readUInt32LE(at + 4));
          if (src === BPF_PSEUDO_MAP_IDX || src === BPF_PSEUDO_MAP_FD) {
            const map = src === BPF_PSEUDO_MAP_IDX ? maps[imm] : undefined;
            text = `r${dst} = map[${src === BPF_PSEUDO_MAP_IDX ? `idx:${imm}` : `fd:${imm}`}]${map ? ` ; ${map.name}` : ''} ll`;
          } else if (src === BPF_PSEUDO_MAP_IDX_VALUE) {
            // bpftool's form for a direct map value address: map[id:N][0]+off.
            const map = maps[imm];
            text = `r${dst} = map[idx:${imm}][0]+${hi}${map ? ` ; ${map.name}` : ''} ll`;
          } else {
            text = `r${dst} = ${hex(value)} ll`;
          }
          out.push({ index: i, text });
          i++;
          continue;
        }
        text = `ld? op=${hex(op)}`;
      }
    }
    out.push({ index: i, text });
  }
  return out;
}
