// `-l [SEARCH]` and `-lv`: the probes a search names, in bpftrace's format
// (one full name per line, sorted; with -v each probe's arguments follow,
// indented by four spaces). SEARCH is a glob over full names; several
// searches are separated by commas; no search, or `*`, means everything; a
// search without `:` means `*:SEARCH` (current bpftrace), and a provider
// alias (`t:`) means its provider.
import * as fs from 'fs';
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

/**
 * With -p, bpftrace 0.17 lists the uprobes and USDT probes of the process's
 * executable, named through /proc/PID/root: a search without a file (or with
 * `*`) means that file.
 */
function inProcess(search: string, pid: number): string[] {
  const exe = `/proc/${pid}/root${fs.readlinkSync(`/proc/${pid}/exe`)}`;
  if (search === '' || search === '*' || search === '*:*') return [`uprobe:${exe}:*`, `usdt:${exe}:*`];
  const parts = splitAttachPoint(search);
  const provider = providerFor(parts[0])?.name;
  if ((provider === 'uprobe' || provider === 'usdt') && (parts.length === 1 || parts[1] === '*')) {
    return [[provider, exe, ...(parts.length > 2 ? parts.slice(2) : ['*'])].join(':')];
  }
  return [search];
}

/** The text `-l`/`-lv` prints; `pid` is the process of -p. */
export function listProbes(search: string | undefined, verbose: boolean, pid?: number): string {
  const seen = new Map<string, ListedProbe>();
  const searches = (search ?? '').split(',').map((s) => s.trim()).flatMap((s) => (pid === undefined ? [s] : inProcess(s, pid)));
  for (const s of searches) for (const p of listOne(s)) if (!seen.has(p.name)) seen.set(p.name, p);
  const names = [...seen.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let out = '';
  for (const n of names) {
    out += n + '\n';
    if (verbose) for (const a of seen.get(n)!.args?.() ?? []) out += `    ${a}\n`;
  }
  return out;
}
