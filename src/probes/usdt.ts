// usdt:TARGET:[PROVIDER:]NAME (alias U) — statically defined user probes
// (<sys/sdt.h>). The probes come from the target's `.note.stapsdt` notes;
// each location is a uprobe (uprobe PMU, config1 = path, config2 = file
// offset). A probe with a semaphore gets the semaphore's file offset as the
// uprobe's ref_ctr_offset (config bits 32-63), so the kernel increments it in
// every process that maps the file, for as long as the probe is attached.
// arg0… are the note's operands (see usdt-args.ts). With -p/-c the probes
// are attached for that process only, and `*` as TARGET means every file it maps.
import * as fs from 'fs';
import { ArgOperand, FeatureUnavailableError, ListedProbe, ProbeError, Provider, ProbeMatch } from './provider';
import { openForTarget } from './perf';
import { dynamicPmu } from './pmu';
import { ElfError, ElfFile } from './elf';
import { readUsdtNotes, UsdtNote } from './usdt-notes';
import { parseUsdtArg, splitUsdtArgs, UsdtArgError } from './usdt-args';
import { hasWildcard, wildcardToRegExp } from './wildcard';
import { resolveUprobeTarget } from './libpath';
import { mappedFiles, targetPid } from './target';

const BPF_PROG_TYPE_KPROBE = 2;
/** PERF_UPROBE_REF_CTR_OFFSET_SHIFT: the uprobe PMU's `ref_ctr_offset` format is config:32-63. */
const REF_CTR_SHIFT = 32n;

interface UsdtFile {
  identity: string;
  notes: UsdtNote[];
  objects: Map<string, number>;
  fileOffset(vaddr: number): number | undefined;
}

const cache = new Map<string, UsdtFile>();

/** The USDT notes and globals of `path`, read once per version of the file. */
export function usdtFile(path: string): UsdtFile {
  const st = fs.statSync(path);
  const identity = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  const hit = cache.get(path);
  if (hit?.identity === identity) return hit;
  const file = ElfFile.with(path, (elf): UsdtFile => ({
    identity,
    notes: readUsdtNotes(elf),
    objects: new Map([...elf.objects()].map(([n, s]) => [n, s.value])),
    fileOffset: (v) => elf.fileOffset(v),
  }));
  cache.set(path, file);
  return file;
}

/** The files a usdt TARGET names: one path, or with -p/-c and a wildcard, the process's mapped files. */
function targetFiles(target: string): string[] {
  const pid = targetPid();
  if (hasWildcard(target)) {
    if (pid === undefined) throw new ProbeError(`wildcards in usdt target paths need -p or -c (the files a process maps): ${target}`);
    const re = wildcardToRegExp(target);
    return mappedFiles(pid).filter((f) => re.test(f));
  }
  const path = resolveUprobeTarget(target);
  if (!path) throw new ProbeError(`usdt target file '${target}' does not exist or is not executable`);
  return [path];
}

/** The notes of `path` that match PROVIDER (undefined: any) and NAME, wildcards allowed. */
function matchNotes(notes: UsdtNote[], provider: string | undefined, name: string): UsdtNote[] {
  const p = provider === undefined ? undefined : wildcardToRegExp(provider);
  const n = wildcardToRegExp(name);
  return notes.filter((x) => (!p || p.test(x.provider)) && n.test(x.name));
}

/** `-lv` type of an operand from its size: `int32` for `-4@…`, `uint64` for `8@…`. */
function operandTypeName(spec: string): string {
  const at = spec.indexOf('@');
  const n = at < 0 ? 8 : Number(spec.slice(0, at));
  return `${n < 0 ? 'int' : 'uint'}${Math.abs(n) * 8}`;
}

/** Each argument's operand; one tstrace can't read is an error only where it is used. */
function operands(m: ProbeMatch): ArgOperand[] {
  const path = String(m.detail.path);
  const pc = Number(m.detail.pc);
  const file = usdtFile(path);
  return splitUsdtArgs(String(m.detail.args)).map((a, i) => {
    try {
      return parseUsdtArg(a, pc, (s) => file.objects.get(s));
    } catch (e) {
      if (!(e instanceof UsdtArgError)) throw e;
      return { kind: 'unsupported', reason: `${m.name}: arg${i} can't be read: ${e.message}` };
    }
  });
}

export const usdtProvider: Provider = {
  name: 'usdt',
  aliases: ['U'],
  progType: BPF_PROG_TYPE_KPROBE,
  attachInReverse: true,

  match(parts) {
    if (parts.length !== 2 && parts.length !== 3) throw new ProbeError('usdt probe type requires 2 or 3 arguments');
    const [target, ...rest] = parts;
    const provider = rest.length === 2 ? rest[0] : undefined;
    const name = rest[rest.length - 1];
    const out: ProbeMatch[] = [];
    for (const path of targetFiles(target)) {
      let notes: UsdtNote[];
      try {
        notes = matchNotes(usdtFile(path).notes, provider, name);
      } catch (e) {
        if (e instanceof ElfError) {
          if (hasWildcard(target)) continue;
          throw new ProbeError(`usdt target file '${target}': ${e.message}`);
        }
        throw e;
      }
      // Without a provider, a plain name must not be ambiguous (bpftrace's rule).
      if (provider === undefined && !hasWildcard(name) && new Set(notes.map((n) => n.provider)).size > 1) {
        throw new ProbeError(`namespace for usdt:${path}:${name} not specified, matched ${notes.length} probes`);
      }
      // One probe per location: the same probe can be inlined in several places, each with its own operands.
      for (const note of notes) {
        out.push({
          provider: usdtProvider,
          name: `usdt:${path}:${note.provider}:${note.name}`,
          detail: { path, provider: note.provider, probe: note.name, pc: note.pc, semaphore: note.semaphore, args: note.args },
        });
      }
    }
    if (out.length === 0) {
      const what = provider === undefined ? name : `${provider}:${name}`;
      throw new ProbeError(`no usdt probe matches ${what} in ${target}`);
    }
    return out;
  },

  contextArgs(m) {
    const args = operands(m);
    return {
      args,
      argError: (n) => `${m.name} has ${args.length} argument${args.length === 1 ? '' : 's'}: arg${n} does not exist`,
    };
  },

  list(search) {
    const [target] = search;
    if (target === undefined) return [];
    let files: string[];
    try {
      files = targetFiles(target);
    } catch {
      return [];
    }
    const out: ListedProbe[] = [];
    for (const path of files) {
      let notes: UsdtNote[];
      try {
        notes = usdtFile(path).notes;
      } catch {
        continue;
      }
      for (const n of notes) {
        out.push({
          name: `usdt:${path}:${n.provider}:${n.name}`,
          // `usdt:FILE:NAME` searches names in every provider, as in a probe.
          searchName: `usdt:${hasWildcard(target) ? path : target}:${search.length === 2 ? '' : `${n.provider}:`}${n.name}`,
          args: () => splitUsdtArgs(n.args).map((a, i) => `${operandTypeName(a)} arg${i}`) });
      }
    }
    return out;
  },

  attach(m, progFd, ctx) {
    const pmu = dynamicPmu('uprobe');
    if (!pmu) {
      throw new FeatureUnavailableError(
        `${m.name}: USDT probes need uprobes, which this kernel lacks (no uprobe PMU in /sys/bus/event_source/devices); ` +
          'use a tracepoint such as tracepoint:syscalls:sys_enter_* instead');
    }
    const path = String(m.detail.path);
    const file = usdtFile(path);
    const offset = file.fileOffset(Number(m.detail.pc));
    if (offset === undefined) throw new Error(`probe address 0x${Number(m.detail.pc).toString(16)} is not in a loaded segment of ${path}`);
    let config = 0n;
    if (Number(m.detail.semaphore)) {
      const sem = file.fileOffset(Number(m.detail.semaphore));
      if (sem === undefined) throw new Error(`semaphore address 0x${Number(m.detail.semaphore).toString(16)} is not in a loaded segment of ${path}`);
      config = BigInt(sem) << REF_CTR_SHIFT;
    }
    const attr = { type: pmu.type, config, config1: path, config2: offset, samplePeriod: 1, wakeupEvents: 1 };
    return { fds: [openForTarget(ctx, attr, progFd)] };
  },
};
