// The attach plan: for every compiled program, which kernel mechanism will run
// it and why that one. Mirrors what each src/probes provider's attach() does;
// the wording is for a learner reading `-d attach` or the explorer.
import type { ProgramPlan } from '../codegen/plan';
import { eventId } from '../probes/tracefs';
import { ElfFile } from '../probes/elf';

const PROG_TYPES: Record<number, string> = {
  2: 'BPF_PROG_TYPE_KPROBE', 5: 'BPF_PROG_TYPE_TRACEPOINT', 7: 'BPF_PROG_TYPE_PERF_EVENT',
  17: 'BPF_PROG_TYPE_RAW_TRACEPOINT', 26: 'BPF_PROG_TYPE_TRACING',
};

export interface AttachStep {
  probe: string;
  progType: string;
  mechanism: string;
  why: string;
}

/** Where the uprobe PMU is told to put the breakpoint: the symbol's file offset (as src/probes/uprobe.ts computes it). */
function uprobeOffset(path: string, func: string, offset: number): string {
  try {
    const sym = ElfFile.with(path, (elf) => elf.functions().get(func));
    if (!sym) return `file offset of ${func}`;
    const hex = (n: number) => `0x${n.toString(16)}`;
    return `${hex(sym.fileOffset + offset)} (file offset of ${func}, which the symbol table puts at ${hex(sym.value)}${offset ? `, + ${offset}` : ''})`;
  } catch {
    return `file offset of ${func}`;
  }
}

function tracepointId(category: string, event: string): string {
  try {
    return String(eventId(category, event));
  } catch {
    return '?'; // tracefs unreadable (not root): the id is looked up at attach time
  }
}

export function attachStep(p: ProgramPlan): AttachStep {
  const d = p.detail;
  const progType = PROG_TYPES[p.progType] ?? `prog type ${p.progType}`;
  const step = (mechanism: string, why: string): AttachStep => ({ probe: p.probeName, progType, mechanism, why });
  switch (p.provider) {
    case 'BEGIN': case 'END':
      return step(`BPF_PROG_TEST_RUN, once, ${p.provider === 'BEGIN' ? 'before any other probe is attached' : 'after every probe is detached'}`,
        'nothing in the kernel fires at start or end of a script, so user space runs the program itself');
    case 'tracepoint':
      return step(`perf_event_open(type=PERF_TYPE_TRACEPOINT, config=${tracepointId(String(d.category), String(d.event))} ` +
        `from /sys/kernel/tracing/events/${d.category}/${d.event}/id, cpu 0) + PERF_EVENT_IOC_SET_BPF`,
        'a tracepoint is a stable hook compiled into the kernel; the program runs on every CPU, the perf event just carries it, and `args` is the record described by its format file');
    case 'interval':
      return step(`perf_event_open(PERF_TYPE_SOFTWARE/CPU_CLOCK, sample_period=${d.period}ns, cpu 0) + PERF_EVENT_IOC_SET_BPF`,
        'a software timer on one CPU fires once per period, so the probe runs once per interval in total');
    case 'profile':
      return step(`perf_event_open(PERF_TYPE_SOFTWARE/CPU_CLOCK, ${d.freq !== undefined ? `sample_freq=${d.freq}Hz` : `sample_period=${d.period}ns`}) on every online CPU`,
        'sampling: a timer on each CPU interrupts whatever runs there, so stacks and comm show what the CPUs were busy with');
    case 'software': case 'hardware':
      return step(`perf_event_open(PERF_TYPE_${p.provider.toUpperCase()}, config=${d.config}, sample_period=${d.count}) on every online CPU`,
        `the program runs every ${d.count} ${d.event} events counted by perf`);
    case 'uprobe': case 'uretprobe':
      return step(`perf_event_open(type=uprobe PMU from /sys/bus/event_source/devices/uprobe/type${p.provider === 'uretprobe' ? ', retprobe bit' : ''}, ` +
        `config1=${d.path}, config2=${d.func ? uprobeOffset(String(d.path), String(d.func), Number(d.offset)) : `file offset of address ${d.address}`}, pid -1)`,
        p.provider === 'uprobe'
          ? 'the kernel puts a breakpoint at that instruction of the file; every process that maps it traps into the program'
          : 'the kernel swaps the return address of the function, so the program runs when it returns (retval is valid)');
    case 'usdt': {
      const hex = (n: number) => `0x${n.toString(16)}`;
      return step(`perf_event_open(type=uprobe PMU, config1=${d.path}, config2=file offset of the probe at ${hex(Number(d.pc))} from its ELF note` +
        `${Number(d.semaphore) ? `, ref_ctr_offset=semaphore at ${hex(Number(d.semaphore))}` : ''}, pid -1)`,
        `the program declares ${d.provider}:${d.probe} in its .note.stapsdt section: a nop at that address, turned into a uprobe; ` +
        `the note also says where each argument lives (${d.args || 'no arguments'})`);
    }
    case 'rawtracepoint':
      return step(`BPF_RAW_TRACEPOINT_OPEN("${d.event}")`,
        'the raw tracepoint hands the program the tracepoint\'s own arguments, without building the perf record: cheaper than tracepoint:, typed from BTF');
    case 'watchpoint': case 'asyncwatchpoint':
      if (d.setupFor !== undefined) {
        return step(`perf_event_open(type=uprobe PMU, config1=${d.path}, config2=${uprobeOffset(String(d.path), String(d.func), 0)}, pid of -p/-c)`,
          `hidden set-up uprobe: when ${d.func} is called it ${d.stopsProcess ? 'stops the process (SIGSTOP) and ' : ''}sends arg${d.argN} to user space, ` +
          `which opens the breakpoint there${d.stopsProcess ? ' and continues the process (SIGCONT)' : ''}`);
      }
      if (d.reported) {
        return step(`perf_event_open(PERF_TYPE_BREAKPOINT, bp_type=${d.bpType}, bp_addr=arg${d.argN} of ${d.func} at run time, bp_len=${d.len})`,
          'a CPU debug register traps when that address is accessed; opened once the set-up uprobe reports the address');
      }
      return step(`perf_event_open(PERF_TYPE_BREAKPOINT, bp_type=${d.bpType}, bp_addr=0x${Number(d.address).toString(16)}, bp_len=${d.len})`,
        'a CPU debug register traps when that address is accessed');
    case 'kprobe': case 'kretprobe':
      return step(`perf_event_open(type=kprobe PMU from /sys/bus/event_source/devices/kprobe/type, config1=${d.func}${Number(d.offset) ? `+${d.offset}` : ''})`,
        'a dynamic breakpoint in a kernel function (needs CONFIG_KPROBES; this kernel lacks it, so loading stops with one line)');
    case 'fentry': case 'fexit':
      return step(`BPF_RAW_TRACEPOINT_OPEN on a BPF trampoline for ${d.func} (attach_btf_id=${d.btfId})`,
        'BTF describes the function, the kernel patches a call to a trampoline at its entry/exit: cheaper than a kprobe, typed arguments');
    case 'iter':
      return step(`BPF_LINK_CREATE(attach_type=BPF_TRACE_ITER) of the program loaded with attach_btf_id=${d.btfId} (bpf_iter_${d.iter}), then ${d.pin !== undefined ? `BPF_OBJ_PIN of the link at ${d.pin}` : 'BPF_ITER_CREATE and read(2) of the iterator to its end'}`,
        'the kernel runs the program once per object as the iterator is read; printf writes into the read (bpf_seq_printf)');
    default:
      return step(`provider ${p.provider}`, 'see src/probes');
  }
}
