// C++ names for uprobe matching: the demangled form of every `_Z` symbol of
// a file, from binutils' c++filt (one run per file version; without c++filt,
// C++ symbols match only by their mangled names).
import { childProcess } from '../subprocess';

const cache = new Map<string, Map<string, string>>();

/** Mangled → demangled for the `_Z…` names among `names`; `key` identifies the file version. */
export function demangled(key: string, names: Iterable<string>): Map<string, string> {
  const hit = cache.get(key);
  if (hit) return hit;
  const mangled = [...names].filter((n) => n.startsWith('_Z'));
  const out = new Map<string, string>();
  if (mangled.length > 0) {
    try {
      const text = childProcess().execFileSync('c++filt', [], { input: mangled.join('\n') + '\n', encoding: 'latin1', maxBuffer: 256 << 20, stdio: ['pipe', 'pipe', 'ignore'] });
      const lines = text.split('\n');
      mangled.forEach((m, i) => {
        if (lines[i] && lines[i] !== m) out.set(m, lines[i]);
      });
    } catch {
      // no c++filt: mangled names only
    }
  }
  cache.set(key, out);
  return out;
}

/** `Ns::Foo::bar(int) const` → `Ns::Foo::bar`: the name without its parameter list. */
export function withoutParameters(name: string): string {
  let depth = 0;
  for (let i = name.length - 1; i >= 0; i--) {
    if (name[i] === ')') depth++;
    else if (name[i] === '(') {
      depth--;
      if (depth === 0) return name.slice(0, i);
    }
  }
  return name;
}
