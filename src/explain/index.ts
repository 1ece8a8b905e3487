// "See inside": every stage of the compiler for one script, each line linked
// to the source range it came from. One entry point, `explain`, used by the
// CLI (`-d STAGE`, `--explain`) and by the web explorer (src/explain/server.ts).
import type { Loc } from '../ast/nodes';
import { tokenize } from '../lexer';
import { parse } from '../parser';
import { check } from '../checker';
import { typeName } from '../checker/types';
import { CompileError, Diagnostic } from '../diagnostics';
import * as codegen from '../codegen';
import { CompiledPlan, MapPlan, rangeAt } from '../codegen/plan';
import type { BadCodegen } from '../codegen/irgen';
import { astLines, locText } from './tree';
import { disassemble } from './disasm';
import { attachStep } from './attach';
import { verifyPlan } from './verify';

import { STAGES, StageName, COMPILE_STAGES } from './stages';

export { STAGES, COMPILE_STAGES };
export type { StageName };

export const STAGE_TITLES: Record<StageName, string> = {
  tokens: 'Tokens', ast: 'AST', types: 'Typed AST', ir: 'LLVM IR', 'ir-opt': 'LLVM IR after O2',
  asm: 'BPF instructions', maps: 'Maps', attach: 'Attach plan', verifier: 'Verifier',
};

export interface StageLine {
  text: string;
  /** The source range this line came from. */
  loc?: Loc;
  /** A source-line comment inserted between IR/BPF lines, not part of the stage itself. */
  source?: boolean;
}

export interface Stage {
  name: StageName;
  title: string;
  lines: StageLine[];
}

export interface Explanation {
  stages: Stage[];
  /** Errors and warnings of the phases that ran; a failing phase ends the explanation. */
  diagnostics: Diagnostic[];
  plan?: CompiledPlan;
  ir?: string;
  object?: Buffer;
}

export interface ExplainOptions {
  file?: string;
  params?: string[];
  badCode?: BadCodegen;
  /** Also load the programs (root only) and show the verifier's log: the `verifier` stage. */
  verify?: boolean;
}

/** Runs every phase of the compiler on `source` and describes what each produced. */
export function explain(source: string, options: ExplainOptions = {}): Explanation {
  const file = options.file ?? 'stdin';
  const result: Explanation = { stages: [], diagnostics: [] };
  const srcLines = source.split('\n');
  const add = (name: StageName, lines: StageLine[]) => result.stages.push({ name, title: STAGE_TITLES[name], lines });
  try {
    add('tokens', tokenLines(source, file));
    const ast = parse(source, file);
    add('ast', astLines(ast, false));
    const checked = check(ast, { params: options.params });
    result.diagnostics.push(...checked.warnings);
    add('types', astLines(ast, true));
    const { ir, plan } = codegen.generateIR(checked, { params: options.params, file, badCode: options.badCode });
    const ranges = (line: number, col: number): Loc | undefined => {
      if (line === 0) return undefined;
      // Column 0: LLVM knows only the line (code it merged or hoisted).
      if (col === 0) return { file, line, col: 1, endLine: line, endCol: (srcLines[line - 1] ?? '').length + 1 };
      return rangeAt(plan, file, line, col);
    };
    result.ir = ir;
    result.plan = plan;
    add('ir', irLines(ir, srcLines, ranges));
    const emitted = codegen.emitPlanDetailed(ir, plan, { optimizedIr: true });
    result.object = emitted.object;
    add('ir-opt', irLines(emitted.optimizedIr ?? '', srcLines, ranges));
    add('asm', asmLines(plan, srcLines, ranges));
    add('maps', mapLines(plan, checked.maps.map((m) => ({ name: m.name, loc: m.loc }))));
    add('attach', plan.programs.flatMap((p) => {
      const s = attachStep(p);
      return [
        { text: `${s.probe}  (${p.functionName}, ${s.progType})`, loc: p.loc },
        { text: `    how: ${s.mechanism}`, loc: p.loc },
        { text: `    why: ${s.why}`, loc: p.loc },
      ];
    }));
    if (options.verify) {
      const v = verifyPlan(plan, srcLines);
      add('verifier', v.lines);
      result.diagnostics.push(...v.diagnostics);
    }
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    result.diagnostics.push(...e.diagnostics);
  }
  return result;
}

function tokenLines(source: string, file: string): StageLine[] {
  const { tokens } = tokenize(source);
  return tokens.map((t) => {
    const loc: Loc = {
      file, line: t.startLine ?? 1, col: t.startColumn ?? 1,
      endLine: t.endLine ?? t.startLine ?? 1, endCol: (t.endColumn ?? t.startColumn ?? 1) + 1,
    };
    return { text: `${locText(loc).padEnd(10)} ${t.tokenType.name.padEnd(16)} ${JSON.stringify(t.image)}`, loc };
  });
}

/** `; 3:5-20 | @x[comm] = count()`: the source text of a range, shown above the code it became. */
function sourceComment(srcLines: string[], loc: Loc): StageLine {
  const text = srcLines[loc.line - 1] ?? '';
  const piece = loc.endLine === loc.line ? text.slice(loc.col - 1, loc.endCol - 1) : `${text.slice(loc.col - 1).trimEnd()} …`;
  return { text: `; ${locText(loc)} | ${piece.replace(/\s+/g, ' ')}`, source: true, loc };
}

const sameLoc = (a?: Loc, b?: Loc) => !!a && !!b && a.line === b.line && a.col === b.col && a.endLine === b.endLine && a.endCol === b.endCol;

/** IR text with the `!dbg` attachments resolved to source ranges and the metadata dropped. */
function irLines(ir: string, srcLines: string[], ranges: (line: number, col: number) => Loc | undefined): StageLine[] {
  const locs = new Map<string, { line: number; col: number }>();
  for (const m of ir.matchAll(/^(![0-9]+) = !DILocation\(line: ([0-9]+), column: ([0-9]+)/gm)) {
    locs.set(m[1], { line: Number(m[2]), col: Number(m[3]) });
  }
  const out: StageLine[] = [];
  let last: Loc | undefined;
  for (const raw of ir.split('\n')) {
    if (/^!/.test(raw) || /^declare void @llvm\.dbg/.test(raw)) continue;
    const dbg = /, !dbg (![0-9]+)/.exec(raw);
    const text = raw.replace(/, !dbg ![0-9]+/, '').replace(/ !dbg ![0-9]+/, '');
    if (/^define /.test(raw) || raw === '}') last = undefined;
    const at = dbg ? locs.get(dbg[1]) : undefined;
    const loc = at ? ranges(at.line, at.col) : undefined;
    if (loc && !sameLoc(loc, last)) {
      out.push(sourceComment(srcLines, loc));
      last = loc;
    }
    out.push({ text, loc });
  }
  while (out.length && out[out.length - 1].text === '') out.pop();
  return out;
}

function asmLines(plan: CompiledPlan, srcLines: string[], ranges: (line: number, col: number) => Loc | undefined): StageLine[] {
  const out: StageLine[] = [];
  for (const p of plan.programs) {
    const insns = Buffer.from(p.insns ?? '', 'base64');
    out.push({ text: `${p.functionName}: ${p.probeName}  (section ${p.section}, ${insns.length / 8} instructions)`, loc: p.loc });
    const records = p.lines ?? [];
    let r = -1;
    let last: Loc | undefined;
    for (const insn of disassemble(insns, plan.maps)) {
      while (r + 1 < records.length && records[r + 1][0] <= insn.index) r++;
      const rec = r >= 0 ? records[r] : undefined;
      const loc = rec ? ranges(rec[1], rec[2]) : undefined;
      if (loc && !sameLoc(loc, last)) {
        out.push(sourceComment(srcLines, loc));
        last = loc;
      }
      out.push({ text: `${String(insn.index).padStart(5)}: ${insn.text}`, loc });
    }
    out.push({ text: '' });
  }
  out.pop();
  return out;
}

const MAP_TYPES: Record<number, string> = {
  1: 'BPF_MAP_TYPE_HASH', 2: 'BPF_MAP_TYPE_ARRAY', 5: 'BPF_MAP_TYPE_PERCPU_HASH', 6: 'BPF_MAP_TYPE_PERCPU_ARRAY',
  4: 'BPF_MAP_TYPE_PERF_EVENT_ARRAY', 7: 'BPF_MAP_TYPE_STACK_TRACE', 27: 'BPF_MAP_TYPE_RINGBUF',
};

const MAP_ROLES: Record<MapPlan['role'], string> = {
  user: 'a map of the script',
  ringbuf: 'carries printf/print/exit events to user space (BPF ring buffer, read through epoll)',
  config: 'run-time values user space writes before BEGIN (e.g. the start time for elapsed)',
  stack: 'stack traces, by id (bpf_get_stackid)',
  counters: 'per-CPU counters of what BPF code could not deliver (lost events, full maps), reported at exit',
  scratch: 'per-CPU scratch space larger than the 512-byte BPF stack (len(ustack)/len(kstack) frames)',
  perf: 'per-CPU perf buffers skboutput() sends packets through (bpf_skb_output)',
  pids: 'processes that recorded user addresses; the first record tells user space to read their mappings while they live',
};

function mapLines(plan: CompiledPlan, userMaps: { name: string; loc: Loc }[]): StageLine[] {
  return plan.maps.flatMap((m) => {
    const loc = userMaps.find((u) => u.name === m.name)?.loc;
    const bucketed = m.valueType?.kind === 'agg' && (m.valueType.agg === 'hist' || m.valueType.agg === 'lhist');
    // hist/lhist keep one count per bucket: the bucket index is the last key part.
    const keyParts = [...m.keyTypes.map(typeName), ...(bucketed ? ['bucket index'] : [])];
    const key = keyParts.length ? ` (${keyParts.join(', ')})` : '';
    const value = m.valueType ? ` (${typeName(m.valueType)})` : '';
    const head = `fd_array[${m.index}] ${m.name}  ${MAP_TYPES[m.bpfType] ?? `type ${m.bpfType}`}`;
    const sizes = m.role === 'ringbuf'
      ? `    ${m.maxEntries} bytes shared by all CPUs`
      : `    key ${m.keySize} bytes${key}, value ${m.valueSize} bytes${value}, max_entries ${m.maxEntries}`;
    const why = m.role === 'user' && m.percpu
      ? '    per-CPU: each CPU updates its own copy without locks; user space adds them up when printing'
      : `    ${MAP_ROLES[m.role]}`;
    return [{ text: head, loc }, { text: sizes, loc }, { text: why, loc }];
  });
}

/** The stages as plain text, each under a `--- title ---` header, for the CLI. */
export function formatStages(x: Explanation, names: StageName[]): string {
  return x.stages.filter((s) => names.includes(s.name))
    .map((s) => `--- ${s.title} (${s.name}) ---\n${s.lines.map((l) => l.text).join('\n')}\n`).join('\n');
}
