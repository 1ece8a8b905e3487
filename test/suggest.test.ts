// "Did you mean …" for misspelt probe types and tracepoint names: exact
// messages, from the real tracefs of this machine (the suggested
// tracepoints exist here; syscalls:sys_enter_openat is in every kernel with
// syscall tracepoints).
import { describe, it, expect } from 'vitest';
import { parse } from '../src/parser';
import { check } from '../src/checker';
import { CompileError, formatDiagnostic } from '../src/diagnostics';
import { suggest } from '../src/checker/suggest';

function errorsOf(source: string): string {
  try {
    check(parse(source));
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics.map((d) => formatDiagnostic(d, source)).join('');
    throw e;
  }
  throw new Error('expected an error');
}

describe('did you mean (probes)', () => {
  it('misspelt probe types', () => {
    expect(errorsOf('tracepont:syscalls:sys_enter_openat { }')).toBe(
      "stdin:1:1-36: ERROR: Invalid probe type: tracepont; did you mean 'tracepoint'?\ntracepont:syscalls:sys_enter_openat { }\n~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n");
    expect(errorsOf('kprobee:vfs_read { }')).toBe(
      "stdin:1:1-17: ERROR: Invalid probe type: kprobee; did you mean 'kprobe'?\nkprobee:vfs_read { }\n~~~~~~~~~~~~~~~~\n");
    expect(errorsOf('intervall:s:1 { }')).toContain("ERROR: Invalid probe type: intervall; did you mean 'interval'?\n");
  });

  it('no suggestion when nothing is close (one-letter aliases are never offered)', () => {
    expect(errorsOf('x:y { }')).toBe('stdin:1:1-4: ERROR: Invalid probe type: x\nx:y { }\n~~~\n');
    expect(errorsOf('foobarbaz:y { }')).toBe('stdin:1:1-12: ERROR: Invalid probe type: foobarbaz\nfoobarbaz:y { }\n~~~~~~~~~~~\n');
  });

  it('misspelt tracepoint events and categories', () => {
    expect(errorsOf('tracepoint:syscalls:sys_enter_opennat { }')).toBe(
      "stdin:1:1-38: ERROR: tracepoint not found: syscalls:sys_enter_opennat; did you mean 'syscalls:sys_enter_openat'?\n"
      + 'tracepoint:syscalls:sys_enter_opennat { }\n~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n');
    expect(errorsOf('t:syscall:sys_enter_openat { }')).toContain("ERROR: tracepoint not found: syscall:sys_enter_openat; did you mean 'syscalls:sys_enter_openat'?\n");
    expect(errorsOf('t:syscal:sys_enter_opennat { }')).toContain("ERROR: tracepoint not found: syscal:sys_enter_opennat; did you mean 'syscalls:sys_enter_openat'?\n");
  });

  it('no suggestion for unrelated names or wildcards', () => {
    // Shares the sys_enter_ prefix with everything, but is no typo of any of them.
    expect(errorsOf('tracepoint:syscalls:sys_enter_nonexistent { }')).toContain('ERROR: tracepoint not found: syscalls:sys_enter_nonexistent\n');
    expect(errorsOf('tracepoint:nope:nope { }')).toBe('stdin:1:1-21: ERROR: tracepoint not found: nope:nope\ntracepoint:nope:nope { }\n~~~~~~~~~~~~~~~~~~~~\n');
    expect(errorsOf('tracepoint:syscalls:sys_enter_zzzz* { }')).toContain('ERROR: tracepoints not found: syscalls:sys_enter_zzzz*\n');
  });

  it('suggest() picks the closest name within a third of its length', () => {
    expect(suggest('tracepont', ['kprobe', 'tracepoint', 'uprobe'])).toBe('tracepoint');
    expect(suggest('abc', ['xyz'])).toBeUndefined();
    expect(suggest('same', ['same'])).toBeUndefined();
  });
});
