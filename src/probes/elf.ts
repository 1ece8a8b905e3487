// Just enough ELF64 (little endian) for uprobes: the function symbols of
// .symtab and .dynsym, and the translation of a virtual address to the file
// offset the uprobe PMU wants. Reads only the headers and symbol tables, with
// positioned reads, so large binaries cost little.
import * as fs from 'fs';

const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const PT_LOAD = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;

export interface ElfSymbol {
  name: string;
  /** Virtual address (st_value). */
  value: number;
  size: number;
  /** File offset of the symbol's first byte. */
  fileOffset: number;
}

interface Section {
  /** Offset of the name in the section-name string table. */
  nameOff: number;
  type: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

interface Segment {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

export class ElfError extends Error {}

const isFunction = (kind: number) => kind === STT_FUNC || kind === STT_GNU_IFUNC;

export class ElfFile {
  readonly type: number;
  private readonly sections: Section[] = [];
  private readonly segments: Segment[] = [];
  private symbols?: Map<string, ElfSymbol>;
  private readonly shstrndx: number;
  private sectionNames?: string[];

  private constructor(private readonly fd: number, readonly path: string) {
    const h = this.read(0, 64);
    if (h.length < 64 || h.readUInt32BE(0) !== 0x7f454c46) throw new ElfError(`${path} is not an ELF file`);
    if (h[4] !== 2 || h[5] !== 1) throw new ElfError(`${path} is not a 64-bit little-endian ELF file`);
    this.type = h.readUInt16LE(16);
    const phoff = Number(h.readBigUInt64LE(32));
    const shoff = Number(h.readBigUInt64LE(40));
    const phentsize = h.readUInt16LE(54);
    const phnum = h.readUInt16LE(56);
    const shentsize = h.readUInt16LE(58);
    const shnum = h.readUInt16LE(60);
    this.shstrndx = h.readUInt16LE(62);
    if (phnum > 0) {
      const ph = this.read(phoff, phentsize * phnum);
      for (let i = 0; i < phnum; i++) {
        const at = i * phentsize;
        this.segments.push({
          type: ph.readUInt32LE(at), offset: Number(ph.readBigUInt64LE(at + 8)),
          vaddr: Number(ph.readBigUInt64LE(at + 16)), filesz: Number(ph.readBigUInt64LE(at + 32)),
        });
      }
    }
    if (shnum > 0 && shoff > 0) {
      const sh = this.read(shoff, shentsize * shnum);
      for (let i = 0; i < shnum; i++) {
        const at = i * shentsize;
        this.sections.push({
          nameOff: sh.readUInt32LE(at), type: sh.readUInt32LE(at + 4), addr: Number(sh.readBigUInt64LE(at + 16)),
          offset: Number(sh.readBigUInt64LE(at + 24)), size: Number(sh.readBigUInt64LE(at + 32)),
          link: sh.readUInt32LE(at + 40), entsize: Number(sh.readBigUInt64LE(at + 56)),
        });
      }
    }
  }

  /** Opens `path`, runs `fn`, closes it. Throws ElfError for a file that isn't ELF64 LE. */
  static with<T>(path: string, fn: (elf: ElfFile) => T): T {
    const fd = fs.openSync(path, 'r');
    try {
      return fn(new ElfFile(fd, path));
    } finally {
      fs.closeSync(fd);
    }
  }

  private read(offset: number, length: number): Buffer {
    const buf = Buffer.alloc(length);
    const n = fs.readSync(this.fd, buf, 0, length, offset);
    return n === length ? buf : buf.subarray(0, n);
  }

  /** Defined function symbols (FUNC and GNU_IFUNC) by name; .symtab first, then .dynsym. */
  functions(): Map<string, ElfSymbol> {
    this.symbols ??= this.readSymbols(isFunction);
    return this.symbols;
  }

  /**
   * The function symbol `functions()` would give for `name`, found without
   * decoding every name: a probe on one libc function need not build a map of
   * libc's (and its debug file's) tens of thousands of symbols.
   */
  findFunction(name: string): ElfSymbol | undefined {
    if (this.symbols) return this.symbols.get(name);
    return this.readSymbols(isFunction, Buffer.from(name, 'latin1')).get(name);
  }

  /** Defined data symbols (OBJECT) by name: globals that USDT operands name. */
  objects(): Map<string, ElfSymbol> {
    return this.readSymbols((kind) => kind === STT_OBJECT);
  }

  /** With `only`, just the first symbol of that name (the one a full read keeps). */
  private readSymbols(wanted: (kind: number) => boolean, only?: Buffer): Map<string, ElfSymbol> {
    const out = new Map<string, ElfSymbol>();
    for (const type of [SHT_SYMTAB, SHT_DYNSYM]) {
      for (const sec of this.sections) {
        if (sec.type !== type || sec.entsize < 24) continue;
        const strtab = this.sections[sec.link];
        if (!strtab) continue;
        const strs = this.read(strtab.offset, strtab.size);
        const syms = this.read(sec.offset, sec.size);
        for (let at = 0; at + 24 <= syms.length; at += sec.entsize) {
          const info = syms[at + 4];
          const kind = info & 0xf;
          if (!wanted(kind)) continue;
          const nameOff = syms.readUInt32LE(at);
          if (only && !(strs[nameOff + only.length] === 0 && strs.compare(only, 0, only.length, nameOff, nameOff + only.length) === 0)) continue;
          const shndx = syms.readUInt16LE(at + 6);
          const value = Number(syms.readBigUInt64LE(at + 8));
          if (shndx === SHN_UNDEF || value === 0) continue;
          const end = strs.indexOf(0, nameOff);
          const name = strs.toString('latin1', nameOff, end < 0 ? strs.length : end);
          if (!name || out.has(name)) continue;
          // File offset through the symbol's own section; absolute symbols through the segments.
          const s = shndx < SHN_LORESERVE ? this.sections[shndx] : undefined;
          const fileOffset = s && s.addr <= value && value < s.addr + s.size ? value - s.addr + s.offset : this.fileOffset(value);
          if (fileOffset === undefined) continue;
          out.set(name, { name, value, size: Number(syms.readBigUInt64LE(at + 16)), fileOffset });
          if (only) return out;
        }
      }
    }
    return out;
  }

  /** Address and contents of the section called `name` (e.g. `.note.stapsdt`), or undefined. */
  section(name: string): { addr: number; data: Buffer } | undefined {
    if (!this.sectionNames) {
      const strtab = this.sections[this.shstrndx];
      const strs = strtab ? this.read(strtab.offset, strtab.size) : Buffer.alloc(0);
      this.sectionNames = this.sections.map((s) => {
        const end = strs.indexOf(0, s.nameOff);
        return strs.toString('latin1', s.nameOff, end < 0 ? strs.length : end);
      });
    }
    const i = this.sectionNames.indexOf(name);
    if (i < 0) return undefined;
    const s = this.sections[i];
    const SHT_NOBITS = 8;
    return { addr: s.addr, data: s.type === SHT_NOBITS ? Buffer.alloc(0) : this.read(s.offset, s.size) };
  }

  /** The GNU build id (hex), or undefined. */
  buildId(): string | undefined {
    const note = this.section('.note.gnu.build-id');
    if (!note || note.data.length < 16) return undefined;
    const namesz = note.data.readUInt32LE(0);
    const descsz = note.data.readUInt32LE(4);
    const desc = 12 + ((namesz + 3) & ~3);
    return note.data.subarray(desc, desc + descsz).toString('hex');
  }

  /** File offset of virtual address `vaddr` (through the PT_LOAD segments), or undefined. */
  fileOffset(vaddr: number): number | undefined {
    for (const seg of this.segments) {
      if (seg.type === PT_LOAD && seg.vaddr <= vaddr && vaddr < seg.vaddr + seg.filesz) return vaddr - seg.vaddr + seg.offset;
    }
    return undefined;
  }
}

/** The ELF type (ET_EXEC, ET_DYN, …) of `path`, or undefined when it is not a readable ELF64 LE file. */
export function elfType(path: string): number | undefined {
  try {
    return ElfFile.with(path, (e) => e.type);
  } catch {
    return undefined;
  }
}
