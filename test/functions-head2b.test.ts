// HEAD-only functions (bpftrace 0.17 lacks them all): static_assert, fail,
// typeof, container_of, getopt, write_user. HEAD is not installed here, so
// every test checks exact values or exact errors (semantics from HEAD's
// stdlib base.bt / meta.bt and its docs).
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { removeTempDir, runTracer, tempDir } from './helpers/run';

afterAll(() => removeTempDir());

const tstrace = (args: string[]) => runTracer('tstrace', args, { notify: false });

describe('static_assert (HEAD)', () => {
  it('a false compile-time condition is a located error with the message itself', async () => {
    const r = await tstrace(['-e', 'BEGIN { static_assert(sizeof(int32) == 8, "int32 is not 8 bytes"); }']);
    expect(r.stderr).toBe('stdin:1:9-66: ERROR: int32 is not 8 bytes\nBEGIN { static_assert(sizeof(int32) == 8, "int32 is not 8 bytes"); }\n        ' + '~'.repeat(57) + '\n');
    expect(r.code).toBe(1);
  });

  it('a true condition (literals, type predicates, positional parameters) compiles to nothing', async () => {
    const r = await tstrace(['-e', 'BEGIN { static_assert(is_str("a") && !is_ptr(1), "preds"); static_assert($1 > 2, "param"); printf("ok\\n"); exit(); }', '3']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Attaching 1 probe...\nok\n\n\n');
  });

  it('a condition not known at compile time is an error', async () => {
    const r = await tstrace(['-e', 'BEGIN { static_assert(pid == 2, "m"); }']);
    expect(r.stderr).toBe('stdin:1:23-31: ERROR: static_assert() condition must be known at compile time\nBEGIN { static_assert(pid == 2, "m"); }\n                      ~~~~~~~~\n');
    expect(r.code).toBe(1);
  });
});

describe('fail (HEAD)', () => {
  const script = 'BEGIN { if ($1 < 2) { fail("Expected the first positional param to be greater than 1. Got %d", $1); } printf("ok %d\\n", $1); exit(); }';

  it('is a located compile error with the formatted message when reached', async () => {
    const r = await tstrace(['-e', script, '1']);
    expect(r.stderr).toBe(
      'stdin:1:23-99: ERROR: Expected the first positional param to be greater than 1. Got 1\n' + script.replace('\\n', '\\n') + '\n' + ' '.repeat(22) + '~'.repeat(76) + '\n',
    );
    expect(r.code).toBe(1);
  });

  it('is not reached in the branch a compile-time condition does not take', async () => {
    const r = await tstrace(['-e', script, '5']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Attaching 1 probe...\nok 5\n\n\n');
    const e = await tstrace(['-e', 'BEGIN { if (1) { printf("a\\n"); } else { fail("never %s", "here"); } if (0) { fail("no"); } else { fail("else %s %d", "branch", 7); } }']);
    expect(e.stderr).toBe('stdin:1:100-131: ERROR: else branch 7\nBEGIN { if (1) { printf("a\\n"); } else { fail("never %s", "here"); } if (0) { fail("no"); } else { fail("else %s %d", "branch", 7); } }\n' + ' '.repeat(99) + '~'.repeat(31) + '\n');
  });

  it('inside a macro, on a type predicate of the argument: fails only for the expansion that reaches it', async () => {
    const dir = tempDir();
    const macro = 'macro need_int(x) {\n  if (!is_integer(x)) {\n    fail("need_int() wants an integer");\n  }\n  x\n}\n';
    const ok = path.join(dir, 'ok.bt');
    fs.writeFileSync(ok, macro + 'BEGIN { printf("%d\\n", need_int(41)); exit(); }\n');
    const r = await tstrace([ok]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Attaching 1 probe...\n41\n\n\n');
    const bad = path.join(dir, 'bad.bt');
    fs.writeFileSync(bad, macro + 'BEGIN { printf("%d\\n", need_int(41)); @s = need_int("a"); exit(); }\n');
    const b = await tstrace([bad]);
    expect(b.stderr).toBe(`${bad}:3:5-40: ERROR: need_int() wants an integer\n    fail("need_int() wants an integer");\n    ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n`);
    expect(b.code).toBe(1);
  });

  it('arguments must be compile-time values', async () => {
    const r = await tstrace(['-e', 'BEGIN { fail("pid %d", pid); }']);
    expect(r.stderr).toBe('stdin:1:24-27: ERROR: fail() arguments must be known at compile time (literals)\nBEGIN { fail("pid %d", pid); }\n                       ~~~\n');
    expect(r.code).toBe(1);
  });
});
