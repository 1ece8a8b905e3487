// Verifier rejections in plain words: which BPF instruction the verifier
// stopped at, which script expression it came from (the program's line info,
// see codegen/lineinfo.ts), and what the verifier's complaint means.
import type { Loc } from '../ast/nodes';
import { CompiledPlan, ProgramPlan, rangeAt } from '../codegen/plan';
import { disassemble } from './disasm';

export interface VerifierExplanation {
  /** The verifier's own last word, e.g. "R0 invalid mem access 'map_value_or_null'". */
  reason?: string;
  /** Index of the instruction it rejected, and that instruction as text. */
  insn?: number;
  insnText?: string;
  /** The script range that instruction came from. */
  loc?: Loc;
  /** What it means, for the common cases. */
  plain?: string;
}

// Log lines that are bookkeeping, not the complaint (statistics, register states, source annotations).
const STATISTICS = /^(processed|verification time|stack depth|max_states|mark_read|peak_states|insns|from \d+ to \d+:|; |cur state:|old state:|last_idx|regs=|parent )/;

/** The verifier's own reason: the last non-empty line of its log that isn't a statistic or an instruction. */
export function verifierReason(log: string | undefined): string | undefined {
  const lines = (log ?? '').split('\n').map((l) => l.trim())
    .filter((l) => l && !STATISTICS.test(l) && !/^[0-9]+: (\(|R[0-9])/.test(l));
  return lines[lines.length - 1];
}

const PLAIN: [RegExp, string][] = [
  [/invalid mem access '(map_value_or_null|ptr_or_null_|.*_or_null)'/,
    'a map value is used without checking that the lookup found it: bpf_map_lookup_elem() returns NULL for a missing key, ' +
    'and the verifier insists the program tests the result for NULL before reading or writing through it'],
  [/invalid mem access '(scalar|inv)'/,
    'this reads memory through a plain number (a pointer from the kernel or from user space, not one the verifier can check). ' +
    'BPF code may only dereference the stack, map values and the probe context directly; any other memory must be copied with ' +
    'bpf_probe_read_kernel()/bpf_probe_read_user() first (str(), -> and * do that in a script)'],
  [/infinite loop detected|back-edge from insn/,
    'the verifier found a loop it cannot prove ends. A BPF program must always terminate: give the loop a counter that reaches ' +
    'its limit (while ($i < 100) { …; $i++ }), or use for/unroll with constant bounds'],
  [/BPF program is too large|too many states|jumps is too complex/,
    'the verifier walks every path through the program, every loop iteration included, and gives up after a million instructions: ' +
    'a loop runs too many times, or too many branches multiply the paths. Lower the loop bound or split the work across probes'],
  [/combined stack size|invalid (write|read) to stack|stack (limit|depth)|invalid indirect (access|read) to stack .*off=-5[1-9][0-9]/,
    'a BPF program has 512 bytes of stack in total; this needs more (strings, tuples and map keys all live there)'],
  [/invalid indirect read from stack/,
    'a helper was handed stack memory the program never initialised; the verifier forbids leaking uninitialised kernel stack'],
  [/invalid access to map value|value is outside of the allowed memory range/,
    'an access goes beyond the end of a map value: the offset or size is larger than the value the map was created with'],
  [/!read_ok/,
    'a register is read before anything was written to it'],
  [/invalid bpf_context access|cannot write into ctx/,
    "the program touched the probe's context (args) outside the record, or tried to write to it"],
  [/unknown func|helper call is not allowed|program of this type cannot use helper/,
    'this probe type may not call that BPF helper (each program type has its own list of allowed helpers)'],
];

export function plainWords(reason: string): string | undefined {
  return PLAIN.find(([re]) => re.test(reason))?.[1];
}

/** The index of the instruction the verifier rejected: named in the message, else the last one it printed. */
function failingInsn(log: string, reason: string): number | undefined {
  const named = /(?:infinite loop detected at insn|back-edge from insn) ([0-9]+)/.exec(reason);
  if (named) return Number(named[1]);
  let last: number | undefined;
  for (const m of log.matchAll(/^([0-9]+): \(/gm)) last = Number(m[1]);
  return last;
}

export function explainVerifierLog(log: string | undefined, program: ProgramPlan, plan: CompiledPlan): VerifierExplanation {
  const reason = verifierReason(log);
  if (!reason || !log) return { reason };
  const out: VerifierExplanation = { reason, plain: plainWords(reason) };
  const insn = failingInsn(log, reason);
  if (insn === undefined) return out;
  out.insn = insn;
  out.insnText = disassemble(Buffer.from(program.insns ?? '', 'base64'), plan.maps).find((i) => i.index === insn)?.text;
  // The line record in force at that instruction (records start where a new source range begins).
  let rec: [number, number, number] | undefined;
  for (const r of program.lines ?? []) if (r[0] <= insn) rec = r;
  if (rec && rec[1] > 0 && rec[2] > 0) {
    const [, line, col] = rec;
    out.loc = rangeAt(plan, program.loc.file, line, col);
  }
  return out;
}
