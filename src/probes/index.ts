// The probe-type registry: attach-point text → provider → concrete probes.
import type { AttachPoint } from '../ast/nodes';
import { ProbeError, Provider, ProbeMatch } from './provider';
import { hasWildcard } from './wildcard';
import { suggest } from '../checker/suggest';
import { beginProvider, endProvider } from './special';
import { tracepointProvider } from './tracepoint';
import { intervalProvider } from './interval';
import { profileProvider } from './profile';
import { softwareProvider } from './software';
import { hardwareProvider } from './hardware';
import { kprobeProvider, kretprobeProvider } from './kprobe';
import { fentryProvider, fexitProvider } from './fentry';
import { uprobeProvider, uretprobeProvider } from './uprobe';
import { usdtProvider } from './usdt';
import { rawtracepointProvider } from './rawtracepoint';
import { asyncwatchpointProvider, watchpointProvider } from './watchpoint';
import { iterProvider } from './iter';

export const providers: Provider[] = [
  beginProvider, endProvider, tracepointProvider, intervalProvider, profileProvider, softwareProvider, hardwareProvider,
  kprobeProvider, kretprobeProvider, fentryProvider, fexitProvider, uprobeProvider, uretprobeProvider,
  usdtProvider, rawtracepointProvider, watchpointProvider, asyncwatchpointProvider, iterProvider,
];

const byName = new Map<string, Provider>();
for (const p of providers) for (const n of [p.name, ...p.aliases]) byName.set(n, p);

/** Splits on `:` outside double quotes; quotes are removed. */
export function splitAttachPoint(text: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === '\\' && quoted && i + 1 < text.length) cur += text[++i];
    else if (ch === ':' && !quoted) { parts.push(cur); cur = ''; }
    else cur += ch;
  }
  parts.push(cur);
  return parts;
}

/** Expands one attach point. Throws ProbeError with bpftrace's message. */
export function matchAttachPoint(ap: AttachPoint, params: string[] = []): ProbeMatch[] {
  // Positional parameters are substituted textually, as bpftrace does.
  const text = ap.text.replace(/\$([0-9]+)/g, (_, n) => params[Number(n) - 1] ?? '');
  const [head, ...rest] = splitAttachPoint(text);
  const provider = byName.get(head);
  if (!provider) {
    // Full names only: one-letter aliases would be "close" to any short typo.
    const hint = suggest(head, providers.map((p) => p.name));
    throw new ProbeError(`Invalid probe type: ${head}${hint ? `; did you mean '${hint}'?` : ''}`);
  }
  const matches = provider.match(rest, ap);
  // A probe of a wildcard set that fails to attach is skipped with a warning (runtime).
  if (rest.some(hasWildcard)) for (const m of matches) m.detail.fromWildcard = 1;
  return matches;
}

export { ProbeError };
export { MissingTargetError } from './provider';
export type { Provider, ProbeMatch };
