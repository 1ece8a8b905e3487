// The `verifier` stage (bpftrace HEAD's `-d verifier`): load every program
// into the kernel, attach nothing, and show the verifier's walk through it,
// annotated with the script source of each instruction. Needs root; every
// map and program fd is closed again before returning.
import type { Loc } from '../ast/nodes';
import { CompiledPlan, rangeAt } from '../codegen/plan';
import { native, LoadProgramError } from '../runtime/native';
import { providers } from '../probes';
import type { ProbeMatch } from '../probes/provider';
import { explainVerifierLog } from './verifier';
import type { Diagnostic } from '../diagnostics';

/** Log lines shown per program: a walk through a long loop runs to a million lines. */
const MAX_LOG_LINES = 3000;
/** Longest walk (instructions processed) whose full log (level 2) is worth asking the kernel for. */
const MAX_WALK = 20000;
const BPF_LOG_LEVEL2 = 2;
const BPF_LOG_STATS = 4;

export interface VerifyLine {
  text: string;
  loc?: Loc;
  source?: boolean;
}

export interface VerifyResult {
  lines: VerifyLine[];
  /** A rejection, as the run would report it. */
  diagnostics: Diagnostic[];
}

export function verifyPlan(plan: CompiledPlan, srcLines: string[]): VerifyResult {
  const out: VerifyResult = { lines: [], diagnostics: [] };
  if (process.getuid?.() !== 0) {
    out.lines.push({ text: '(loading programs into the kernel needs root: run tstrace as root to see the verifier at work)' });
    return out;
  }
  const fds: number[] = [];
  const byName = new Map(providers.map((p) => [p.name, p]));
  try {
    const mapFds = plan.maps.map((m) => {
      const fd = native.createMap(m.bpfType, m.name.replace(/^@/, 'AT_') || 'AT_', m.keySize, m.valueSize, m.maxEntries, 0);
      fds.push(fd);
      return fd;
    });
    for (const p of plan.programs) {
      const provider = byName.get(p.provider)!;
      const match: ProbeMatch = { provider, name: p.probeName, detail: p.detail };
      out.lines.push({ text: `${p.functionName}: ${p.probeName}`, loc: p.loc });
      let log: string;
      try {
        const load = (logLevel: number) => {
          const loaded = native.loadProgram({
            type: p.progType, name: p.functionName, insns: Buffer.from(p.insns ?? '', 'base64'),
            fdArray: mapFds, license: 'GPL', logLevel, ...provider.loadOptions?.(match),
          });
          fds.push(loaded.fd);
          return loaded.log;
        };
        // Statistics first (cheap): the full walk only when it is short enough to read.
        log = load(BPF_LOG_STATS);
        const processed = Number(/processed ([0-9]+) insns/.exec(log)?.[1] ?? Infinity);
        if (processed <= MAX_WALK) log = load(BPF_LOG_LEVEL2);
        else log = `(the verifier walked ${processed} instructions; too many to show)\n${log}`;
      } catch (e) {
        const err = e as LoadProgramError;
        log = err.log ?? err.message;
        const missing = provider.explainLoadError?.(match, err);
        const why = explainVerifierLog(err.log, p, plan);
        out.diagnostics.push({
          level: 'ERROR', loc: why.loc ?? p.loc,
          message: missing ?? `the kernel's verifier rejected this program: ${why.reason ?? err.message}` +
            `${why.insn !== undefined ? ` (BPF instruction ${why.insn}: ${why.insnText})` : ''}${why.plain ? `. In plain words: ${why.plain}` : ''}`,
        });
      }
      out.lines.push(...annotate(log, p.lines ?? [], (line, col) => rangeAt(plan, p.loc.file, line, col), srcLines));
      out.lines.push({ text: '' });
    }
  } finally {
    for (const fd of fds) native.closeFd(fd);
  }
  out.lines.pop();
  return out;
}

/** The log with a `; L:C | source` line wherever the instruction it walks comes from a new source range. */
function annotate(log: string, records: [number, number, number][], range: (line: number, col: number) => Loc, srcLines: string[]): VerifyLine[] {
  const lines: VerifyLine[] = [];
  let last = '';
  const all = log.split('\n').filter((l) => l !== '');
  for (const text of all.slice(0, MAX_LOG_LINES)) {
    const insn = /^([0-9]+): \(/.exec(text);
    let loc: Loc | undefined;
    if (insn) {
      let rec: [number, number, number] | undefined;
      for (const r of records) if (r[0] <= Number(insn[1])) rec = r;
      if (rec && rec[1] > 0 && rec[2] > 0) {
        loc = range(rec[1], rec[2]);
        const key = `${loc.line}:${loc.col}:${loc.endLine}:${loc.endCol}`;
        if (key !== last) {
          const src = srcLines[loc.line - 1] ?? '';
          const piece = loc.endLine === loc.line ? src.slice(loc.col - 1, loc.endCol - 1) : `${src.slice(loc.col - 1).trimEnd()} …`;
          lines.push({ text: `; ${loc.line}:${loc.col} | ${piece.replace(/\s+/g, ' ')}`, loc, source: true });
          last = key;
        }
      }
    }
    lines.push({ text, loc });
  }
  if (all.length > MAX_LOG_LINES) lines.push({ text: `… ${all.length - MAX_LOG_LINES} more lines of verifier log` });
  return lines;
}
