// Line info of an emitted BPF object: which script line and column each BPF
// instruction came from. LLVM's BPF backend writes it to .BTF.ext from the
// debug locations codegen attaches (see debuginfo.ts). Format: the kernel's
// include/uapi/linux/btf.h and Documentation/bpf/btf.rst ("BTF.ext").

export interface LineRecord {
  /** Instruction index (8-byte units) within the program's section. */
  insn: number;
  line: number;
  col: number;
}

interface SectionHeader {
  name: string;
  offset: number;
  size: number;
}

const BTF_MAGIC = 0xeb9f;

/** The sections of a 64-bit little-endian ELF object held in memory. */
export function elfSections(obj: Buffer): SectionHeader[] {
  if (obj.length < 64 || obj.readUInt32BE(0) !== 0x7f454c46 || obj[4] !== 2 || obj[5] !== 1) return [];
  const shoff = Number(obj.readBigUInt64LE(0x28));
  const shentsize = obj.readUInt16LE(0x3a);
  const shnum = obj.readUInt16LE(0x3c);
  const shstrndx = obj.readUInt16LE(0x3e);
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    raw.push({ nameOff: obj.readUInt32LE(at), offset: Number(obj.readBigUInt64LE(at + 24)), size: Number(obj.readBigUInt64LE(at + 32)) });
  }
  const strtab = raw[shstrndx];
  return raw.map((s) => ({ name: cString(obj, strtab.offset + s.nameOff), offset: s.offset, size: s.size }));
}

function cString(buf: Buffer, at: number): string {
  const end = buf.indexOf(0, at);
  return buf.toString('latin1', at, end < 0 ? buf.length : end);
}

/** Program section name → its line records, in instruction order. Empty when the object has no BTF. */
export function readLineInfo(obj: Buffer): Map<string, LineRecord[]> {
  const out = new Map<string, LineRecord[]>();
  const sections = elfSections(obj);
  const btf = sections.find((s) => s.name === '.BTF');
  const ext = sections.find((s) => s.name === '.BTF.ext');
  if (!btf || !ext) return out;
  const b = obj.subarray(btf.offset, btf.offset + btf.size);
  const x = obj.subarray(ext.offset, ext.offset + ext.size);
  if (b.readUInt16LE(0) !== BTF_MAGIC || x.readUInt16LE(0) !== BTF_MAGIC) return out;
  const strings = b.subarray(b.readUInt32LE(4) + b.readUInt32LE(16));
  const extHdrLen = x.readUInt32LE(4);
  const lineOff = extHdrLen + x.readUInt32LE(16);
  const lineLen = x.readUInt32LE(20);
  if (lineLen === 0) return out;
  const recSize = x.readUInt32LE(lineOff);
  let at = lineOff + 4;
  const end = lineOff + lineLen;
  while (at + 8 <= end) {
    const section = cString(strings, x.readUInt32LE(at));
    const count = x.readUInt32LE(at + 4);
    at += 8;
    const records: LineRecord[] = [];
    for (let i = 0; i < count; i++, at += recSize) {
      const lineCol = x.readUInt32LE(at + 12);
      records.push({ insn: x.readUInt32LE(at) / 8, line: lineCol >>> 10, col: lineCol & 0x3ff });
    }
    out.set(section, records);
  }
  return out;
}
