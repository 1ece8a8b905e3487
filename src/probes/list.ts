// `-l [SEARCH]` and `-lv`: the probes a search names, in bpftrace's format
// (one full name per line, sorted; with -v each probe's arguments follow,
// indented by four spaces). SEARCH is a glob over full names; several
// searches are separated by commas; no search, or `*`, means everything; a
// search without `:` means `*:SEARCH` (current bpftrace), and a provider
// alias (`t:`) means its provider.
import { providers } from './index';
import type { ListedProbe, Provider } from './provider';
import { splitAttachPoint } from './index';
import { wildcardToRegExp, hasWildcard } from './wildcard';

function providerFor(head: string): Provider | undefined {
  return providers.find((p) => p.name === head || p.aliases.includes(head));
}

function listOne(search: string): ListedProbe[] {
  if (search === '' || search === '*') search = '*:*';
  if (!search.includes(':')) search = `*:${search}`;
  const parts = splitAttachPoint(search);
  const named = hasWildcard(parts[0]) ? undefined : providerFor(parts[0]);
  if (named) parts[0] = named.name;
  const re = wildcardToRegExp(parts.join(':'));
  const candidates: Provider[] = named ? [named] : providers.filter((p) => wildcardToRegExp(parts[0]).test(p.name));
  const out: ListedProbe[] = [];
  for (const p of candidates) {
    for (const probe of p.list?.(parts.slice(1), !named) ?? []) if (re.test(probe.searchName ?? probe.name)) out.push(probe);
  }
  return out;
}

/** The text `-l`/`-lv` prints. */
export function listProbes(search: string | undefined, verbose: boolean): string {
  const seen = new Map<string, ListedProbe>();
  for (const s of (search ?? '').split(',')) for (const p of listOne(s.trim())) if (!seen.has(p.name)) seen.set(p.name, p);
  const names = [...seen.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let out = '';
  for (const n of names) {
    out += n + '\n';
    if (verbose) for (const a of seen.get(n)!.args?.() ?? []) out += `    ${a}\n`;
  }
  return out;
}
