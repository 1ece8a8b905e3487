// software:EVENT[:COUNT] and hardware:EVENT[:COUNT]: a perf counter of one
// type on every online CPU, running the program every COUNT events. The two
// differ only in their event tables and in what a missing counter means.
import { FeatureUnavailableError, ProbeError, Provider } from './provider';
import { openOnEveryCpu, BPF_PROG_TYPE_PERF_EVENT } from './perf';
import { parseCount } from './units';
import { hasWildcard } from './wildcard';


export interface CounterEvent {
  /** perf `config` (PERF_COUNT_SW_* / PERF_COUNT_HW_*). */
  config: number;
  defaultCount: number;
}

export interface CounterSpec {
  name: 'software' | 'hardware';
  alias: string;
  perfType: number;
  /** Every accepted spelling (bpftrace's names and aliases) → event. */
  events: Record<string, CounterEvent>;
  /** A FeatureUnavailableError for an open failure that means the kernel lacks these counters, or undefined. */
  unavailable?(probe: string, err: Error & { code?: string }): FeatureUnavailableError | undefined;
}

export function counterProvider(spec: CounterSpec): Provider {
  const provider: Provider = {
    name: spec.name,
    aliases: [spec.alias],
    progType: BPF_PROG_TYPE_PERF_EVENT,
    // bpftrace 0.17 reverses software, not hardware.
    attachInReverse: spec.name === 'software',

    match(parts) {
      if (parts.length !== 1 && parts.length !== 2) throw new ProbeError(`${spec.name} probe type requires 1 or 2 arguments`);
      const [event, countText] = parts;
      // bpftrace 0.17 says "hardware" for software probes too.
      if (hasWildcard(event)) throw new ProbeError('wildcards are not allowed for hardware probe type');
      const ev = Object.prototype.hasOwnProperty.call(spec.events, event) ? spec.events[event] : undefined;
      if (!ev) throw new ProbeError(`${event} is not a ${spec.name} probe`);
      const count = countText === undefined ? ev.defaultCount : parseCount(countText);
      // The probe name shows the count only when it was written (bpftrace's AttachPoint::name).
      const name = countText === undefined ? `${spec.name}:${event}` : `${spec.name}:${event}:${count}`;
      return [{ provider, name, detail: { event, config: ev.config, count } }];
    },

    // bpftrace lists each event once, by its long name, with an empty count field.
    list() {
      const seen = new Set<CounterEvent>();
      const out = [];
      for (const [name, ev] of Object.entries(spec.events)) {
        if (seen.has(ev)) continue;
        seen.add(ev);
        out.push({ name: `${spec.name}:${name}:` });
      }
      return out;
    },

    attach(m, progFd, ctx) {
      try {
        return { fds: openOnEveryCpu(ctx, { type: spec.perfType, config: Number(m.detail.config), samplePeriod: Number(m.detail.count) }, progFd) };
      } catch (e) {
        throw spec.unavailable?.(m.name, e as Error & { code?: string }) ?? e;
      }
    },
  };
  return provider;
}

/** strerror(errno) at the end of a native errno error's message. */
export function strerrorOf(err: Error): string {
  const i = err.message.lastIndexOf(': ');
  return i < 0 ? err.message : err.message.slice(i + 2);
}
