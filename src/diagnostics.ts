// Diagnostics in bpftrace's format:
//   stdin:1:9-30: ERROR: message
//   <source line, tabs shown as 4 spaces>
//   <~~~ under the range>
import type { Loc } from './ast/nodes';

export type Level = 'ERROR' | 'WARNING';

export interface Diagnostic {
  level: Level;
  message: string;
  loc?: Loc;
}

/** Thrown by a compiler phase that found errors; carries every diagnostic of that phase. */
export class CompileError extends Error {
  constructor(public readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.message).join('\n'));
  }
}

export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  error(message: string, loc?: Loc): void {
    // A desugared form (container_of) may meet the same problem twice at one place: report it once.
    if (this.items.some((d) => d.level === 'ERROR' && d.message === message && d.loc === loc)) return;
    this.items.push({ level: 'ERROR', message, loc });
  }
  warning(message: string, loc?: Loc): void {
    this.items.push({ level: 'WARNING', message, loc });
  }
  get hasErrors(): boolean {
    return this.items.some((d) => d.level === 'ERROR');
  }
  /** Throws a CompileError when any error was reported. */
  throwIfErrors(): void {
    if (this.hasErrors) throw new CompileError(this.items);
  }
  warnings(): Diagnostic[] {
    return this.items.filter((d) => d.level === 'WARNING');
  }
}

export function formatDiagnostic(d: Diagnostic, source: string): string {
  if (!d.loc) return `${d.level}: ${d.message}\n`;
  const { file, line, col, endLine, endCol } = d.loc;
  if (line !== endLine) {
    // bpftrace 0.17 prints no excerpt for a range spanning lines.
    return `${file}:${line}-${endLine}: ${d.level}: ${d.message}\n`;
  }
  const text = source.split('\n')[line - 1] ?? '';
  let excerpt = '';
  let marker = '';
  const last = Math.min(text.length, endCol - 1);
  for (let x = 1; x <= text.length; x++) {
    const ch = text[x - 1];
    const width = ch === '\t' ? 4 : 1;
    excerpt += ch === '\t' ? '    ' : ch;
    if (x <= last) marker += (x < col ? ' ' : '~').repeat(width);
  }
  return `${file}:${line}:${col}-${endCol}: ${d.level}: ${d.message}\n${excerpt}\n${marker}\n`;
}
