// bpftrace attach-point wildcards: `*` and `[...]` character classes.

export function hasWildcard(s: string): boolean {
  return /[*[]/.test(s);
}

export function wildcardToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') re += '.*';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, end).replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += ch.replace(/[.+?^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function matchAll(pattern: string, candidates: string[]): string[] {
  if (!hasWildcard(pattern)) return candidates.includes(pattern) ? [pattern] : [];
  const re = wildcardToRegExp(pattern);
  return candidates.filter((c) => re.test(c)).sort();
}
