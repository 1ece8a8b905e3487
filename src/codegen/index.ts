// Typed AST → BPF object. One entry point: `compile(checked, options)`.
//
// Builds LLVM IR with llvm-bindings (loaded only here, so a cached plan never
// loads LLVM), hands the IR text to the native addon for O2 and BPF object
// emission, and returns a CompiledPlan holding every program's instructions.
import type { CheckedProgram } from '../checker';
import { CompileError, Diagnostic } from '../diagnostics';
import { CodegenError } from './errors';
import { native, loadLlvmBindings } from '../runtime/native';
import { ATOMIC_MARKER, ModuleContext, ProbeCodegen, BadCodegen } from './irgen';
import { DebugInfo } from './debuginfo';
import { readLineInfo } from './lineinfo';
import { generateWatchpointSetup } from './watchpoint-setup';
import { isReportedWatchpoint } from '../probes/watchpoint';

const BPF_PROG_TYPE_KPROBE = 2;
import {
  BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_RINGBUF, COUNTER_MAP_FULL, MapUpdateSite, BPF_MAP_TYPE_STACK_TRACE, STACK_MAX_FRAMES, CONFIG_WORDS, CompiledPlan, MapPlan, ProgramPlan, userMapPlan, rangeAt,
} from './plan';

export interface CodegenOptions {
  params?: string[];
  /** Max entries of every hash map (BPFTRACE_MAP_KEYS_MAX). */
  mapKeysMax?: number;
  /** Ring buffer size in bytes (power of two, page multiple). */
  ringbufBytes?: number;
  /** -p/-c: probes other than BEGIN/END fire only in that process. */
  pidFilter?: boolean;
  /** Script file name recorded in the debug info. */
  file?: string;
  /** Test-only deliberately bad code (see BadCodegen). */
  badCode?: BadCodegen;
}

export interface GeneratedModule {
  ir: string;
  plan: CompiledPlan;
}

function sectionFor(provider: string, detail: Record<string, string | number>): string {
  // The set-up uprobe of watchpoint:FUNC+argN (codegen/watchpoint-setup.ts).
  if (detail.setupFor !== undefined) return 'uprobe';
  switch (provider) {
    case 'tracepoint': return `tracepoint/${detail.category}/${detail.event}`;
    case 'rawtracepoint': return `raw_tp/${detail.event}`;
    case 'interval': case 'profile': case 'software': case 'hardware': case 'watchpoint': case 'asyncwatchpoint': return 'perf_event';
    // libbpf's section names: `kprobe/FUNC+OFFSET` for a probe inside a function.
    case 'kprobe': return `kprobe/${detail.func}${Number(detail.offset) ? `+${detail.offset}` : ''}`;
    case 'kretprobe': case 'fentry': case 'fexit': return `${provider}/${detail.func}`;
    case 'uprobe': case 'uretprobe': case 'usdt': return provider;
    case 'iter': return `iter/${detail.iter}`;
    default: return `raw_tp/${provider}`;
  }
}

/** Typed AST → LLVM IR text and the plan of maps and programs. */
export function generateIR(checked: CheckedProgram, options: CodegenOptions = {}): GeneratedModule {
  const llvm = loadLlvmBindings();
  const ctx = new llvm.LLVMContext();
  const module = new llvm.Module('tstrace', ctx);
  module.setTargetTriple('bpf-pc-linux');
  module.setDataLayout('e-m:e-p:64:64-i64:64-i128:128-n32:64-S128');

  const mapKeysMax = options.mapKeysMax ?? 4096;
  const maps: MapPlan[] = checked.maps.map((m) => userMapPlan(m.index, m.name, m.keyTypes, m.valueType, mapKeysMax));
  const ringbuf: MapPlan = {
    index: maps.length, name: 'ringbuf', role: 'ringbuf', bpfType: BPF_MAP_TYPE_RINGBUF,
    keySize: 0, valueSize: 0, maxEntries: options.ringbufBytes ?? 1 << 20, percpu: false, keyTypes: [],
  };
  maps.push(ringbuf);
  const config: MapPlan = {
    index: maps.length, name: 'config', role: 'config', bpfType: BPF_MAP_TYPE_ARRAY,
    keySize: 4, valueSize: CONFIG_WORDS * 8, maxEntries: 1, percpu: false, keyTypes: [],
  };
  maps.push(config);
  // Its size depends on the number of map update sites: set once the code is generated.
  const counters: MapPlan = {
    index: maps.length, name: 'counters', role: 'counters', bpfType: BPF_MAP_TYPE_ARRAY,
    keySize: 4, valueSize: COUNTER_MAP_FULL * 8, maxEntries: 1, percpu: false, keyTypes: [],
  };
  maps.push(counters);
  const mapUpdateSites: MapUpdateSite[] = [];

  const probeNames: string[] = [];
  const probeIds = new Map<string, number>();
  for (const p of checked.probes) {
    for (const m of p.matches) {
      if (!probeIds.has(m.name)) {
        probeIds.set(m.name, probeNames.length);
        probeNames.push(m.name);
      }
    }
  }

  const debug = new DebugInfo(llvm, ctx, module, options.file ?? 'stdin');
  const mctx: ModuleContext = {
    debug, badCode: options.badCode, llvm, ctx, module, checked, ringbuf, config, counters, mapUpdateSites, probeIds, joins: [], timeFormats: [], params: options.params ?? [], pidFilter: options.pidFilter,
    maps: new Map(maps.filter((m) => m.role === 'user').map((m) => [m.name, m])),
    stackMap(user, limit) {
      const name = `${user ? 'stack_user' : 'stack_kernel'}_${limit}`;
      let m = maps.find((x) => x.role === 'stack' && x.name === name);
      if (!m) {
        m = {
          index: maps.length, name, role: 'stack', bpfType: BPF_MAP_TYPE_STACK_TRACE,
          keySize: 4, valueSize: Math.min(limit, STACK_MAX_FRAMES) * 8, maxEntries: mapKeysMax, percpu: false, keyTypes: [],
        };
        maps.push(m);
      }
      return m;
    },
    perfMap() {
      let m = maps.find((x) => x.role === 'perf');
      if (!m) {
        // One slot per CPU (BPF_F_CURRENT_CPU); 256 covers the CPUs this runs on.
        m = { index: maps.length, name: 'skboutput', role: 'perf', bpfType: BPF_MAP_TYPE_PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 256, percpu: false, keyTypes: [] };
        maps.push(m);
      }
      return m;
    },
    skboutputs: [],
    pidsMap() {
      let m = maps.find((x) => x.role === 'pids');
      if (!m) {
        m = { index: maps.length, name: 'pids', role: 'pids', bpfType: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 1, maxEntries: mapKeysMax, percpu: false, keyTypes: [] };
        maps.push(m);
      }
      return m;
    },
    scratchMap() {
      let m = maps.find((x) => x.role === 'scratch');
      if (!m) {
        // One per-CPU value of STACK_MAX_FRAMES words: room BPF's 512-byte stack doesn't have.
        m = {
          index: maps.length, name: 'scratch', role: 'scratch', bpfType: BPF_MAP_TYPE_PERCPU_ARRAY,
          keySize: 4, valueSize: STACK_MAX_FRAMES * 8, maxEntries: 1, percpu: true, keyTypes: [],
        };
        maps.push(m);
      }
      return m;
    },
  };
  const programs: ProgramPlan[] = [];
  const usedSections = new Map<string, number>();
  // Each program gets a section of its own, so it can be read back alone.
  const uniqueSection = (base: string) => {
    const n = usedSections.get(base) ?? 0;
    usedSections.set(base, n + 1);
    return n > 0 ? `${base}_${n}` : base;
  };
  let attachPointCount = 0;
  checked.probes.forEach((p, probeIndex) => {
    for (const match of p.matches) {
      attachPointCount++;
      const functionName = `probe_${programs.length}`;
      const section = uniqueSection(sectionFor(match.provider.name, match.detail));
      let subprograms: string[] = [];
      try {
        const g = new ProbeCodegen(mctx, match, functionName, p.ast.loc);
        g.generate(p.ast.predicate, p.ast.body);
        subprograms = g.subprograms;
      } catch (e) {
        if (e instanceof CodegenError) throw new CompileError([{ level: 'ERROR', message: e.message, loc: e.loc ?? p.ast.loc }]);
        throw e;
      }
      programs.push({
        probeIndex, probeName: match.name, provider: match.provider.name, detail: match.detail,
        functionName, section, progType: match.provider.progType, loc: p.ast.attachPoints[0].loc,
        ...(subprograms.length ? { subprograms } : {}),
      });
      if (isReportedWatchpoint(match)) {
        // Its hidden set-up uprobe, which reports where the breakpoint goes.
        const setupName = `probe_${programs.length}`;
        const detail = { ...match.detail, setupFor: programs.length - 1 };
        generateWatchpointSetup(mctx, match, setupName, programs.length - 1, p.ast.loc);
        programs.push({
          probeIndex, probeName: match.name, provider: match.provider.name, detail,
          functionName: setupName, section: uniqueSection(sectionFor(match.provider.name, detail)), progType: BPF_PROG_TYPE_KPROBE,
          loc: p.ast.attachPoints[0].loc,
        });
      }
    }
  });

  const license = new llvm.GlobalVariable(module, llvm.ArrayType.get(llvm.Type.getInt8Ty(ctx), 4), true,
    llvm.GlobalValue.LinkageTypes.ExternalLinkage, llvm.ConstantDataArray.getString(ctx, 'GPL', true), 'LICENSE');
  void license;
  debug.finish();
  if (llvm.verifyModule(module)) {
    throw new CompileError([{ level: 'ERROR', message: 'LLVM IR verification failed (internal error); run with --emit-llvm to inspect' }]);
  }
  const printfs = [...checked.printfs.values()].map((s) => ({ id: s.id, format: s.format, argTypes: s.argTypes, ...(s.action ? { action: s.action } : {}), ...(s.action === 'errorf' || s.action === 'warnf' ? { loc: s.loc } : {}) }));
  const prints = [...checked.prints.values()].map((s) => ({ id: s.id, type: s.type }));
  counters.valueSize = (COUNTER_MAP_FULL + mapUpdateSites.length) * 8;
  return { ir: atomicRmwInIr(module.print()), plan: { maps, programs, printfs, prints, joins: mctx.joins, ...(mctx.timeFormats.length ? { timeFormats: mctx.timeFormats } : {}), probeNames, attachPointCount, mapUpdateSites,
    ranges: Object.fromEntries([...debug.ranges].map(([k, l]) => [k, [l.line, l.col, l.endLine, l.endCol] as [number, number, number, number]])) } };
}

/**
 * Turns the calls of ProbeCodegen.atomic's markers into `atomicrmw add|or`
 * (llvm-bindings cannot build one); with its result unused, the BPF
 * backend emits a single `lock *(u64 *)(rX + off) += rY`.
 */
function atomicRmwInIr(ir: string): string {
  let n = 0;
  const marker = ATOMIC_MARKER.replace(/\./g, '\\.');
  return ir.replace(new RegExp(`^(\\s*)call void @${marker}(add|or)\\((i64\\* %[^,]+), (i64 [^)]+)\\)`, 'gm'),
    (_, indent: string, op: string, ptr: string, operand: string) => `${indent}%tsatomic.${n++} = atomicrmw ${op} ${ptr}, ${operand} seq_cst`);
}

/** Typed AST → plan with BPF instructions for every program. */
export function compile(checked: CheckedProgram, options: CodegenOptions = {}): CompiledPlan {
  const { ir, plan } = generateIR(checked, options);
  emitPlan(ir, plan);
  return plan;
}

/** Emits the BPF object for `ir` and stores each program's instructions in `plan`; returns the ELF object. */
export function emitPlan(ir: string, plan: CompiledPlan): Buffer {
  return emitPlanDetailed(ir, plan).object;
}

/** emitPlan, also returning the IR after O2 when `optimizedIr` is asked for (-d ir-opt). */
export function emitPlanDetailed(ir: string, plan: CompiledPlan, options: { optimizedIr?: boolean } = {}): { object: Buffer; optimizedIr?: string } {
  const sections: Record<string, string> = { LICENSE: 'license' };
  for (const p of plan.programs) {
    sections[p.functionName] = p.section;
    for (const sub of p.subprograms ?? []) sections[sub] = p.section;
  }
  let emitted: { object: Buffer; sections: Record<string, Buffer>; functions: Record<string, { section: string; offset: number }>; ir?: string };
  try {
    emitted = native.emitObject(ir, sections, options.optimizedIr ? { emitIr: true } : undefined);
  } catch (e) {
    throw new CompileError([llvmDiagnostic((e as Error).message, plan)]);
  }
  for (const p of plan.programs) {
    const insns = emitted.sections[p.section];
    if (!insns || insns.length === 0) throw new CompileError([{ level: 'ERROR', message: `internal: no code emitted for ${p.probeName}` }]);
    p.insns = insns.toString('base64');
    if (p.subprograms) {
      const at = (fn: string) => emitted.functions[fn]?.offset;
      if (at(p.functionName) !== 0) throw new CompileError([{ level: 'ERROR', message: `internal: ${p.functionName} does not start its section` }]);
      p.subprogramOffsets = p.subprograms.map((sub) => {
        const offset = at(sub);
        if (offset === undefined) throw new CompileError([{ level: 'ERROR', message: `internal: no code emitted for ${sub}` }]);
        return offset / 8;
      });
    }
  }
  const lines = readLineInfo(emitted.object);
  for (const p of plan.programs) {
    const found = lines.get(p.section);
    if (found) p.lines = found.map((l) => [l.insn, l.line, l.col]);
  }
  return { object: emitted.object, optimizedIr: emitted.ir };
}

/**
 * One clear diagnostic for an LLVM error: deduplicated (the BPF backend
 * repeats itself per instruction), at the expression the debug location
 * names (`stdin:3:12: in function probe_0 …`), else at the probe whose
 * function failed.
 */
export function llvmDiagnostic(raw: string, plan: CompiledPlan): Diagnostic {
  const lines = [...new Set(raw.replace(/^LLVM error: /, '').split('\n').map((l) => l.trim()).filter(Boolean))];
  const first = lines[0] ?? raw;
  const where = /^(.*?):([0-9]+):([0-9]+): in function (probe_[0-9]+)/.exec(first);
  const fn = where?.[4] ?? /in function (probe_[0-9]+)/.exec(first)?.[1];
  const program = plan.programs.find((p) => p.functionName === fn);
  let message = first.replace(/^.*?in function probe_[0-9]+ [^:]*: /, '');
  let loc = program?.loc;
  const line = Number(where?.[2] ?? 0);
  const col = Number(where?.[3] ?? 0);
  // A location at the probe's own start is code of the probe as a whole (its stack slots): keep the attach point.
  const precise = where !== null && line > 0 && col > 0 && !(program && line === program.loc.line && col === program.loc.col);
  if (precise) loc = rangeAt(plan, where![1], line, col);
  if (/stack limit of 512 bytes is exceeded/.test(message)) {
    message = `this probe needs more than the 512 bytes of stack BPF allows (too many or too large strings, tuples, map keys or printf arguments live at once)${precise ? '; it ran out here' : ''}`;
  }
  return { level: 'ERROR', message: `LLVM: ${message}`, loc };
}


/**
 * The object for --emit-elf: loadable by libbpf (`bpftool prog loadall`).
 * tstrace itself loads programs with map references by index into an
 * fd_array (BPF_PSEUDO_MAP_IDX), which libbpf's object loader cannot supply;
 * this flavour declares the maps as BTF-defined ".maps" globals instead and
 * references them through relocations. Program sections use libbpf's names
 * (several programs may share one).
 */
export function emitLibbpfObject(ir: string, plan: CompiledPlan): Buffer {
  const sections: Record<string, string> = { LICENSE: 'license' };
  for (const p of plan.programs) sections[p.functionName] = sectionFor(p.provider, p.detail);
  const used = new Set<string>();
  const libbpfMaps = plan.maps.map((m) => {
    let name = m.name.replace(/^@/, 'AT_').replace(/[^A-Za-z0-9_]/g, '_');
    while (used.has(name)) name += '_';
    used.add(name);
    // The words user space would write: only the counters' COUNTER_ONE has a fixed value.
    const valueWords = m.role === 'counters' ? [1] : undefined;
    return { name, type: m.bpfType, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, ...(valueWords ? { valueWords } : {}) };
  });
  try {
    return native.emitObject(ir, sections, { libbpfMaps }).object;
  } catch (e) {
    throw new CompileError([llvmDiagnostic((e as Error).message, plan)]);
  }
}
