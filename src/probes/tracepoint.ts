// tracepoint:CATEGORY:EVENT — kernel tracepoints through perf_event_open.
// `args` is the event record described by tracefs' format file.
import { ListedProbe, ProbeError, Provider, ProbeMatch } from './provider';
import * as fs from 'fs';
import { eventExists, eventId, listCategories, listEvents, readFormat, tracefs } from './tracefs';
import { hasWildcard, matchAll } from './wildcard';
import { suggest } from '../checker/suggest';
import { openPerfEventWithProgram } from './perf';
import type { Type } from '../checker/types';

const BPF_PROG_TYPE_TRACEPOINT = 5;
const PERF_TYPE_TRACEPOINT = 2;

type StructType = Extract<Type, { kind: 'struct' }>;
const formatCache = new Map<string, StructType>();

export const tracepointProvider: Provider = {
  name: 'tracepoint',
  aliases: ['t'],
  progType: BPF_PROG_TYPE_TRACEPOINT,

  match(parts) {
    if (parts.length !== 2) throw new ProbeError('tracepoint probe type requires 2 arguments');
    const [category, event] = parts;
    const matches: ProbeMatch[] = [];
    if (!hasWildcard(category) && !hasWildcard(event)) {
      if (eventExists(category, event)) matches.push(makeMatch(category, event));
    } else {
      for (const c of matchAll(category, listCategories())) {
        for (const e of matchAll(event, listEvents(c))) if (traceable(c, e)) matches.push(makeMatch(c, e));
      }
    }
    if (matches.length === 0) {
      const hint = hasWildcard(category) || hasWildcard(event) ? undefined : closestTracepoint(category, event);
      throw new ProbeError(`${/[*?]/.test(category + event) ? 'tracepoints' : 'tracepoint'} not found: ${category}:${event}${hint ? `; did you mean '${hint}'?` : ''}`);
    }
    return matches;
  },

  argsType(m) {
    const category = String(m.detail.category);
    const event = String(m.detail.event);
    const key = `${category}:${event}`;
    let type = formatCache.get(key);
    if (!type) {
      const fields = readFormat(category, event);
      const size = fields.reduce((n, f) => Math.max(n, f.offset + f.size), 0);
      type = { kind: 'struct', name: `struct _tracepoint_${category}_${event}`, size, fields, isCtx: true };
      formatCache.set(key, type);
    }
    return type;
  },

  list() {
    const out: ListedProbe[] = [];
    for (const c of listCategories()) {
      for (const e of listEvents(c)) {
        if (!traceable(c, e)) continue;
        out.push({ name: `tracepoint:${c}:${e}`, args: () => readFormat(c, e).filter((f) => !f.common).map((f) => f.decl) });
      }
    }
    return out;
  },

  attach(m, progFd, ctx) {
    const id = eventId(String(m.detail.category), String(m.detail.event));
    // The program runs for the tracepoint on every CPU; the perf event only
    // carries it, so one event on CPU 0 is enough.
    const fd = openPerfEventWithProgram(ctx, { type: PERF_TYPE_TRACEPOINT, config: id, samplePeriod: 1, wakeupEvents: 1 }, 0, progFd);
    return { fds: [fd] };
  },
};

/**
 * Events without an `enable` file (the ftrace category) can't be attached;
 * bpftrace neither lists them nor expands wildcards to them. Naming one
 * exactly still tries, and fails at attach time.
 */
function traceable(category: string, event: string): boolean {
  return fs.existsSync(`${tracefs()}/events/${category}/${event}/enable`);
}

/**
 * The nearest existing `category:event`: a misspelt event in its category, or
 * a misspelt category. Event names share long prefixes (sys_enter_…), so only
 * a typo or two counts as close.
 */
function closestTracepoint(category: string, event: string): string | undefined {
  const close = (name: string, candidates: string[]) => suggest(name, candidates, Math.max(2, Math.floor(name.length / 6)));
  const categories = listCategories();
  if (categories.includes(category)) {
    const e = close(event, listEvents(category));
    return e && `${category}:${e}`;
  }
  const c = close(category, categories);
  if (!c) return undefined;
  if (eventExists(c, event)) return `${c}:${event}`;
  const e = close(event, listEvents(c));
  return e && `${c}:${e}`;
}

function makeMatch(category: string, event: string): ProbeMatch {
  return { provider: tracepointProvider, name: `tracepoint:${category}:${event}`, detail: { category, event } };
}
