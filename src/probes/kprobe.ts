// kprobe:FUNC[+OFFSET] and kretprobe:FUNC (aliases k, kr) — kernel dynamic
// probes through the kprobe perf PMU (perf_event_open with the PMU's type,
// config1 = function name, config2 = offset, the retprobe bit in config).
// Program type KPROBE; the context is `struct pt_regs`. Function names come
// from /proc/kallsyms (available_filter_functions is often unreadable).
import { kernelFunctionAlternative } from './alternative';
import * as fs from 'fs';
import { FeatureUnavailableError, MissingTargetError, ProbeError, Provider, ProbeMatch } from './provider';
import { openPerfEventWithProgram } from './perf';
import { dynamicPmu, retprobeConfig } from './pmu';
import { ptRegsArgs, splitOffset } from './regs';
import { hasWildcard, matchAll } from './wildcard';

const BPF_PROG_TYPE_KPROBE = 2;

let kernelFunctions: { list: string[]; set: Set<string>; module: Map<string, string> } | undefined;

/**
 * Text symbols of the kernel and its modules, without the `__pfx_`/`__cfi_`
 * padding symbols; `module` maps each to its module (`vmlinux` for the kernel).
 */
export function listKernelFunctions(): { list: string[]; set: Set<string>; module: Map<string, string> } {
  if (kernelFunctions) return kernelFunctions;
  const set = new Set<string>();
  const module = new Map<string, string>();
  let text = '';
  try {
    text = fs.readFileSync('/proc/kallsyms', 'latin1');
  } catch (e) {
    throw new ProbeError(`cannot list kernel functions: /proc/kallsyms: ${(e as Error).message}`);
  }
  for (const line of text.split('\n')) {
    // "ffffffff816bab70 T vfs_read" or "... t foo\t[module]"
    const sp1 = line.indexOf(' ');
    const type = line[sp1 + 1];
    if (type !== 't' && type !== 'T') continue;
    let name = line.slice(sp1 + 3);
    const tab = name.indexOf('\t');
    let mod = 'vmlinux';
    if (tab >= 0) {
      mod = name.slice(tab + 1).replace(/^\[|\]$/g, '');
      name = name.slice(0, tab);
    }
    if (name.startsWith('__pfx_') || name.startsWith('__cfi_')) continue;
    set.add(name);
    if (!module.has(name)) module.set(name, mod);
  }
  kernelFunctions = { list: [...set], set, module };
  return kernelFunctions;
}

function kprobeLike(ret: boolean): Provider {
  const kind = ret ? 'kretprobe' : 'kprobe';
  const provider: Provider = {
    name: kind,
    aliases: [ret ? 'kr' : 'k'],
    progType: BPF_PROG_TYPE_KPROBE,
    // bpftrace 0.17 reverses kprobe, not kretprobe.
    attachInReverse: !ret,

    match(parts) {
      // bpftrace 0.17's message (it has no MODULE:FUNC form).
      if (parts.length !== 1 && parts.length !== 2) throw new ProbeError(`${kind} probe type requires 1 argument`);
      // kprobe:MODULE:FUNC (current bpftrace) narrows the functions to one module (or `vmlinux`).
      const module = parts.length === 2 ? parts[0] : undefined;
      const { name: func, offset } = splitOffset(parts[parts.length - 1], !ret);
      const matches: ProbeMatch[] = [];
      const make = (f: string): ProbeMatch => {
        const mod = module === undefined ? undefined : listKernelFunctions().module.get(f);
        const label = mod === undefined ? f : `${mod}:${f}`;
        // The kprobe PMU looks names up with kallsyms_lookup_name, which takes `module:symbol`.
        const symbol = mod === undefined || mod === 'vmlinux' ? f : label;
        return { provider, name: offset ? `${kind}:${label}+${offset}` : `${kind}:${label}`, detail: { func: f, symbol, offset } };
      };
      if (module !== undefined) {
        const { list, module: moduleOf } = listKernelFunctions();
        const inModule = list.filter((f) => matchAll(module, [moduleOf.get(f) ?? '']).length > 0);
        const names = matchAll(func, inModule);
        if (offset && names.length > 1) throw new ProbeError('Offsets cannot be combined with wildcards');
        if (names.length === 0) {
          // --dry-run compiles it anyway (the function may exist on the kernel the script is for).
          throw new MissingTargetError(`No kernel functions match ${module}:${func} (searched /proc/kallsyms)`, hasWildcard(func) ? [] : [make(func)]);
        }
        return names.map(make);
      }
      if (hasWildcard(func)) {
        if (offset) throw new ProbeError('Offsets cannot be combined with wildcards');
        for (const f of matchAll(func, listKernelFunctions().list)) matches.push(make(f));
        if (matches.length === 0) throw new MissingTargetError(`No kernel functions match ${func} (searched /proc/kallsyms)`, []);
      } else {
        if (!listKernelFunctions().set.has(func)) throw new MissingTargetError(`No kernel function named ${func} (not in /proc/kallsyms)`, [make(func)]);
        matches.push(make(func));
      }
      return matches;
    },

    contextArgs: () => ptRegsArgs(ret),

    // Listed only where kprobes exist (bpftrace lists available_filter_functions; kallsyms is readable more often).
    list() {
      if (!dynamicPmu('kprobe')) return [];
      const { list, module } = listKernelFunctions();
      return list.map((f) => ({ name: module.get(f) === 'vmlinux' ? `${kind}:${f}` : `${kind}:${module.get(f)}:${f}` }));
    },

    attach(m, progFd, ctx) {
      const pmu = dynamicPmu('kprobe');
      if (!pmu) {
        throw new FeatureUnavailableError(
          `${m.name}: kprobes are not available in this kernel (no kprobe PMU in /sys/bus/event_source/devices); ` +
            `use ${kernelFunctionAlternative(String(m.detail.func), ret)} instead`);
      }
      const attr = {
        type: pmu.type, config: retprobeConfig(pmu, ret),
        config1: String(m.detail.symbol ?? m.detail.func), config2: Number(m.detail.offset), samplePeriod: 1, wakeupEvents: 1,
      };
      // A kprobe event fires on every CPU; like libbpf, open it once (pid -1, CPU 0).
      return { fds: [openPerfEventWithProgram(ctx, attr, 0, progFd)] };
    },
  };
  return provider;
}

export const kprobeProvider = kprobeLike(false);
export const kretprobeProvider = kprobeLike(true);
