// Mutates real scripts at two levels: characters (insert, delete, copy,
// overwrite) and tokens (delete, duplicate, swap, replace with a token of
// the same script or with a piece of bpftrace syntax, splice a run of
// tokens from another script). Token mutations keep most of the script
// parseable, so they reach the checker and codegen; character mutations hit
// the lexer.
import { Rng } from './rng';

const PIECES = [
  '{', '}', '(', ')', '[', ']', '<', '>', '/', '"', "'", ';', ',', '.', '->', '@', '$', '$1', '$#', '@x[1]', 'count()',
  'hist(', 'printf("%d %s", ', '0x', '1e99', '99999999999999999999', '\\', '\\x', '\n', '\t', '/*', '*/', '//', '#include <x.h>\n',
  'if', 'else', 'while', 'unroll(5)', 'for', 'let', 'break', 'return', 'exit()', 'args->', 'args.', 'str(', '(uint8)', '(struct x *)',
  'BEGIN', 'END', 'tracepoint:', 'kprobe:f', 'uprobe:', '*', '+', '-', '!', '~', '?', ':', '==', '&&', '||', '+=', '++', '--',
  '<<=', '..', '$x', 'comm', 'pid', 'nsecs', 'retval', 'arg0', 'sizeof', 'config', '=', '🙂', '\u0000', '\r', '\\n', '"%s"',
];

const TOKEN = /\s+|"(?:\\.|[^"\\\n])*"?|\/\/[^\n]*|\/\*[\s\S]*?\*\/|[A-Za-z_$@][\w]*(?::[\w\-\/.*]+)*|0x[0-9a-fA-F]+|\d[\w]*|->|\+\+|--|<<=?|>>=?|[<>=!+\-*\/%&|^]=|&&|\|\||\.\.|[\s\S]/g;

function tokens(src: string): string[] {
  return src.match(TOKEN) ?? [];
}

function charMutation(s: string, r: Rng): string {
  const at = r.int(s.length + 1);
  const op = r.next();
  if (op < 0.35) return s.slice(0, at) + r.pick(PIECES) + s.slice(at);
  if (op < 0.6) return s.slice(0, at) + s.slice(at + 1 + r.int(8));
  if (op < 0.8) {
    const from = r.int(s.length);
    return s.slice(0, at) + s.slice(from, from + r.int(20)) + s.slice(at);
  }
  return s.slice(0, at) + String.fromCharCode(32 + r.int(95)) + s.slice(at + 1);
}

function tokenMutation(toks: string[], r: Rng, donors: readonly string[]): string[] {
  const t = toks.slice();
  const at = r.int(t.length + 1);
  switch (r.int(7)) {
    case 0: t.splice(at, 1); break;
    case 1: if (t[at] !== undefined) t.splice(at, 0, t[at]); break;
    case 2: {
      const j = r.int(t.length);
      [t[at], t[j]] = [t[j], t[at]];
      break;
    }
    case 3: if (t.length) t[at] = t[r.int(t.length)]; break;
    case 4: t.splice(at, 0, r.pick(PIECES)); break;
    case 5: {
      const donor = tokens(r.pick(donors));
      const from = r.int(donor.length);
      t.splice(at, 0, ...donor.slice(from, from + 1 + r.int(30)));
      break;
    }
    default: t.splice(at, 1 + r.int(6)); break;
  }
  return t.filter((x) => x !== undefined);
}

/** One to four mutations of `src`; `donors` supply material for splicing. */
export function mutateScript(src: string, r: Rng, donors: readonly string[]): string {
  const n = 1 + r.int(4);
  if (r.chance(0.6)) {
    let t = tokens(src);
    for (let i = 0; i < n; i++) t = tokenMutation(t, r, donors);
    return t.join('');
  }
  let s = src;
  for (let i = 0; i < n; i++) s = charMutation(s, r);
  return s;
}
