// The C preamble of a script, handled on the token stream before parsing:
// - preprocessor conditionals (#if/#ifdef/#ifndef/#elif/#else/#endif) drop
//   the tokens of inactive regions. BPFTRACE_HAVE_BTF is defined when the
//   kernel publishes BTF, as bpftrace defines it; so are the script's own
//   #defines seen so far.
// - top-level `struct`/`union`/`enum` definitions are cut out as text, for
//   src/ctypes to parse into the type system.
import * as fs from 'fs';
import type { IToken } from 'chevrotain';
import * as T from '../lexer';
import type { CDefinition, Loc } from '../ast/nodes';
import type { Diagnostic } from '../diagnostics';
import { evalConstant } from '../ctypes/headers';

export interface Preamble {
  tokens: IToken[];
  cDefinitions: CDefinition[];
}

interface Conditional {
  /** This branch's tokens are kept. */
  active: boolean;
  /** Some branch of this #if chain was taken already. */
  taken: boolean;
  /** The enclosing region is active. */
  outer: boolean;
}

export function preprocess(tokens: IToken[], source: string, diagnostics: Diagnostic[], loc: (t: IToken) => Loc): Preamble {
  const hasDirective = tokens.some((t) => t.tokenType === T.Preprocessor && /^#\s*(if|ifdef|ifndef)\b/.test(t.image));
  const hasRecord = tokens.some((t) => t.tokenType === T.Struct || t.tokenType === T.Union || t.tokenType === T.Enum);
  if (!hasDirective && !hasRecord) return { tokens, cDefinitions: [] };
  const defined = new Map<string, string>();
  if (fs.existsSync('/sys/kernel/btf/vmlinux')) defined.set('BPFTRACE_HAVE_BTF', '1');
  const stack: Conditional[] = [];
  const active = () => stack.length === 0 || stack[stack.length - 1].active;
  const kept: IToken[] = [];
  for (const t of tokens) {
    if (t.tokenType !== T.Preprocessor) {
      if (active()) kept.push(t);
      continue;
    }
    const m = /^#\s*(\w+)\s*(.*?)\s*$/.exec(t.image);
    const directive = m?.[1] ?? '';
    const arg = m?.[2] ?? '';
    switch (directive) {
      case 'if': case 'ifdef': case 'ifndef': {
        const outer = active();
        const cond = outer && (directive === 'if' ? ifCondition(arg, defined) : (defined.has(arg.split(/\s/)[0]) === (directive === 'ifdef')));
        stack.push({ active: cond, taken: cond, outer });
        continue;
      }
      case 'elif': case 'else': {
        const top = stack[stack.length - 1];
        if (!top) {
          diagnostics.push({ level: 'ERROR', message: `#${directive} without #if`, loc: loc(t) });
          continue;
        }
        const cond = top.outer && !top.taken && (directive === 'else' || ifCondition(arg, defined));
        top.active = cond;
        top.taken ||= cond;
        continue;
      }
      case 'endif':
        if (!stack.pop()) diagnostics.push({ level: 'ERROR', message: '#endif without #if', loc: loc(t) });
        continue;
    }
    if (!active()) continue;
    const def = /^#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)\s*(.*)$/.exec(t.image);
    if (def) defined.set(def[1], def[2]);
    const undef = /^#\s*undef\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(t.image);
    if (undef) defined.delete(undef[1]);
    kept.push(t);
  }
  if (stack.length > 0) diagnostics.push({ level: 'ERROR', message: 'unterminated conditional directive', loc: loc(tokens[tokens.length - 1]) });
  return cutDefinitions(kept, source, loc);
}

/** `#if` expression: `defined(X)`, `defined X`, macro values, integer operators. */
function ifCondition(text: string, defined: Map<string, string>): boolean {
  const replaced = text.replace(/\bdefined\s*\(\s*(\w+)\s*\)|\bdefined\s+(\w+)/g, (_, a, b) => (defined.has(a ?? b) ? '1' : '0'));
  const logical = replaced.split('||').map((part) => part.split('&&').map((x) => {
    const v = evalConstant(x, (n) => (defined.has(n) ? evalConstant(defined.get(n)!, () => 0n) ?? 0n : 0n));
    return v !== undefined && v !== 0n;
  }).every(Boolean));
  return logical.some(Boolean);
}

/** Removes top-level `struct|union|enum [name] { … }[;]` from the tokens, keeping their text. */
function cutDefinitions(tokens: IToken[], source: string, loc: (t: IToken) => Loc): Preamble {
  const out: IToken[] = [];
  const cDefinitions: CDefinition[] = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const isRecord = t.tokenType === T.Struct || t.tokenType === T.Union || t.tokenType === T.Enum;
    const brace = tokens[i + 1]?.tokenType === T.LCurly ? i + 1 : tokens[i + 2]?.tokenType === T.LCurly && tokens[i + 1].tokenType === T.Identifier ? i + 2 : -1;
    if (depth === 0 && isRecord && brace > 0) {
      let j = brace;
      let d = 0;
      for (; j < tokens.length; j++) {
        if (tokens[j].tokenType === T.LCurly) d++;
        else if (tokens[j].tokenType === T.RCurly && --d === 0) break;
      }
      if (j < tokens.length) {
        // The trailing `;` is optional, as in bpftrace.
        const last = tokens[j + 1]?.tokenType === T.Semicolon ? tokens[j + 1] : tokens[j];
        const start = loc(t);
        const end = loc(last);
        cDefinitions.push({
          kind: 'CDefinition', text: source.slice(t.startOffset, (last.endOffset ?? last.startOffset) + 1),
          loc: { file: start.file, line: start.line, col: start.col, endLine: end.endLine, endCol: end.endCol },
        });
        i = last === tokens[j] ? j : j + 1;
        continue;
      }
    }
    if (t.tokenType === T.LCurly) depth++;
    else if (t.tokenType === T.RCurly) depth--;
    out.push(t);
  }
  return { tokens: out, cDefinitions };
}
