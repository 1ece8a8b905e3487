// USDT probes as <sys/sdt.h> records them: one ELF note per probe in
// `.note.stapsdt` (owner "stapsdt", type 3), holding the probe's address,
// the link-time address of `.stapsdt.base`, the semaphore's address, then
// provider, name and argument string, each NUL-terminated.
// A prelinked binary moved `.stapsdt.base`; addresses shift by the same amount.
import { ElfFile, ElfError } from './elf';

const NT_STAPSDT = 3;

export interface UsdtNote {
  provider: string;
  name: string;
  /** Virtual address of the probe's nop, adjusted for prelinking. */
  pc: number;
  /** Virtual address of the semaphore (an unsigned short), or 0. */
  semaphore: number;
  /** The argument string, e.g. `-4@%edi 8@-8(%rbp)`. */
  args: string;
}

export function readUsdtNotes(elf: ElfFile): UsdtNote[] {
  const notes = elf.section('.note.stapsdt');
  if (!notes) return [];
  const base = elf.section('.stapsdt.base');
  const out: UsdtNote[] = [];
  const d = notes.data;
  const align4 = (n: number) => (n + 3) & ~3;
  for (let at = 0; at + 12 <= d.length;) {
    const namesz = d.readUInt32LE(at);
    const descsz = d.readUInt32LE(at + 4);
    const type = d.readUInt32LE(at + 8);
    const owner = d.toString('latin1', at + 12, at + 12 + Math.max(0, namesz - 1));
    const desc = at + 12 + align4(namesz);
    at = desc + align4(descsz);
    if (type !== NT_STAPSDT || owner !== 'stapsdt' || descsz < 24 || desc + descsz > d.length) continue;
    let pc = Number(d.readBigUInt64LE(desc));
    const linkBase = Number(d.readBigUInt64LE(desc + 8));
    let semaphore = Number(d.readBigUInt64LE(desc + 16));
    if (base && linkBase) {
      pc += base.addr - linkBase;
      if (semaphore) semaphore += base.addr - linkBase;
    }
    const strings = d.toString('latin1', desc + 24, desc + descsz).split('\0');
    if (strings.length < 3) throw new ElfError(`${elf.path}: malformed .note.stapsdt entry`);
    out.push({ provider: strings[0], name: strings[1], pc, semaphore, args: strings[2] });
  }
  return out;
}
