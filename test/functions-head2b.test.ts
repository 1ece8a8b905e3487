// HEAD-only functions (bpftrace 0.17 lacks them all): static_assert, fail,
// typeof, container_of, getopt, write_user. HEAD is not installed here, so
// every test checks exact values or exact errors (semantics from HEAD's
// stdlib base.bt / meta.bt and its docs).
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { buildWorkload, GatedWorkload, removeTempDir, runTracer, tempDir, uniqueComm } from './helpers/run';

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

// poke() gets the addresses of a string buffer, a long and a struct (member()
// then the address of the struct's `tag` field); the
// program prints them after the call, so a write_user() in a uprobe on poke()
// shows in its output.
const POKE_C = `
#include <stdio.h>
#include <string.h>
#include <unistd.h>
struct pair { long a; char tag[8]; };
__attribute__((noinline)) void poke(char *buf, long *num, struct pair *p) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) void member(char *tag) { __asm__ volatile("" ::: "memory"); }
int main(void) {
  char buf[16]; long num = 1; struct pair p = { 5, "pair" };
  strcpy(buf, "original");
  printf("ready\\n"); fflush(stdout);
  char g; if (read(0, &g, 1) != 1) return 1;
  poke(buf, &num, &p);
  member(p.tag);
  printf("%s %ld %ld\\n", buf, num, p.a);
  return 0;
}
`;

/** Kernel lockdown (integrity) removes bpf_probe_write_user from every program type. */
function lockedDown(): boolean {
  try {
    return /^CONFIG_LOCK_DOWN_KERNEL_FORCE_(INTEGRITY|CONFIDENTIALITY)=y$/m.test(execFileSync('zcat', ['/proc/config.gz']).toString());
  } catch {
    return false;
  }
}

describe('write_user (HEAD, unsafe)', () => {
  it('needs --unsafe', async () => {
    const r = await tstrace(['-e', 'BEGIN { write_user(pid, "patched", 8); }']);
    expect(r.stderr).toBe('stdin:1:9-38: ERROR: write_user() is an unsafe function being used in safe mode\nBEGIN { write_user(pid, "patched", 8); }\n        ' + '~'.repeat(29) + '\n');
    expect(r.code).toBe(1);
  });

  it('rejects a size larger than the value, a size not known at compile time and a non-address destination', async () => {
    const big = await tstrace(['--unsafe', '-e', 'BEGIN { write_user(pid, "patched", 9); }']);
    expect(big.stderr).toBe('stdin:1:36-37: ERROR: write_user() size 9 is larger than the value written (8 bytes)\nBEGIN { write_user(pid, "patched", 9); }\n' + ' '.repeat(35) + '~\n');
    const dyn = await tstrace(['--unsafe', '-e', 'BEGIN { write_user(pid, "patched", tid); }']);
    expect(dyn.stderr).toBe('stdin:1:36-39: ERROR: write_user() expects a positive compile-time integer as its size\nBEGIN { write_user(pid, "patched", tid); }\n' + ' '.repeat(35) + '~~~\n');
    const dst = await tstrace(['--unsafe', '-e', 'BEGIN { write_user("x", 1, 8); }']);
    expect(dst.stderr).toBe('stdin:1:20-23: ERROR: write_user() expects a pointer or an address as its first argument (string provided)\nBEGIN { write_user("x", 1, 8); }\n' + ' '.repeat(19) + '~~~\n');
  });

  it('writes a string, an integer and a record field into the traced program (or the locked-down kernel refuses the helper)', async () => {
    const bin = buildWorkload(uniqueComm('poke'), POKE_C);
    const script = `uprobe:${bin}:poke { $r = write_user(arg0, "patched", 8) + write_user(arg1, 4660, 8) + write_user(arg2, (int64)77, 8); printf("%d\\n", $r); exit(); }`;
    const w = new GatedWorkload(bin, []);
    try {
      await w.ready();
      let out: string | undefined;
      const r = await runTracer('tstrace', ['--unsafe', '-e', script], {
        timeoutMs: 60_000,
        onAttached: async () => {
          out = (await w.go()).stdout;
        },
      });
      if (lockedDown()) {
        // This machine: CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY=y (dmesg: "Kernel is locked down from Kernel
        // configuration"); lockdown's LOCKDOWN_BPF_WRITE_USER makes the kernel refuse the helper at load.
        expect(r.stderr.split('\n').slice(0, 1)).toEqual([`stdin:1:${bin.length + 21}-${bin.length + 51}: ERROR: the kernel's verifier rejected the BPF program of probe uprobe:${bin}:poke: program of this type cannot use helper bpf_probe_write_user#36`]);
        expect(r.stderr).toContain('the verifier stopped at BPF instruction');
        expect(r.code).toBe(1);
      } else {
        // Not reachable on this machine (see above): the program prints the values written.
        expect(r.stderr).toBe('');
        expect(r.stdout).toBe('Attaching 1 probe...\n0\n\n\n');
        expect(out).toBe('ready\npatched 4660 77\n');
      }
    } finally {
      w.kill();
    }
  });
});

describe('container_of (HEAD)', () => {
  it('a kernel (BTF) record from the address of a member, also a nested one', async () => {
    const r = await tstrace(['-e', 'BEGIN { $t = container_of((uint64)curtask + offsetof(struct task_struct, tgid), struct task_struct, tgid); ' +
      '$s = container_of((uint64)curtask + offsetof(struct task_struct, se.vruntime), struct task_struct, se.vruntime); ' +
      'printf("%d %d %d %d\\n", $t == curtask, $s == curtask, $t->tgid == (int32)pid, $s->pid == (int32)tid); exit(); }']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Attaching 1 probe...\n1 1 1 1\n\n\n');
  });

  it('a user program\'s struct (defined in the script) from a pointer to its field, in a uprobe', async () => {
    const bin = buildWorkload(uniqueComm('cof'), POKE_C);
    const w = new GatedWorkload(bin, []);
    try {
      await w.ready();
      const r = await runTracer('tstrace', ['-e', `struct pair { long a; char tag[8]; } uprobe:${bin}:member { $p = container_of(arg0, struct pair, tag); printf("%d %s %d\\n", $p->a, $p->tag, (uint64)$p == arg0 - 8); exit(); }`], {
        timeoutMs: 60_000,
        onAttached: async () => {
          await w.go();
        },
      });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('Attaching 1 probe...\n5 pair 1\n\n\n');
    } finally {
      w.kill();
    }
  });

  it('an unknown record or field is one located error', async () => {
    const r = await tstrace(['-e', 'BEGIN { $t = container_of(curtask, struct nosuch, f); }']);
    expect(r.stderr).toBe('stdin:1:14-53: ERROR: Unknown struct/union: \'struct nosuch\'\nBEGIN { $t = container_of(curtask, struct nosuch, f); }\n             ' + '~'.repeat(39) + '\n');
    const f = await tstrace(['-e', 'BEGIN { $t = container_of(curtask, struct task_struct, nope); }']);
    expect(f.stderr).toBe('stdin:1:14-61: ERROR: Struct/union of type \'struct task_struct\' does not contain a field named \'nope\'\nBEGIN { $t = container_of(curtask, struct task_struct, nope); }\n             ' + '~'.repeat(47) + '\n');
  });
});

describe('getopt (HEAD)', () => {
  const tuple = 'BEGIN { print((getopt("aa", 10), getopt("bb", "hello"), getopt("cc"), getopt("dd", false))); exit(); }';

  it('named options after --, typed by the default; missing ones are the default (HEAD docs example)', async () => {
    const r = await tstrace(['-e', tuple, '--', '--cc', '--bb=bye']);
    expect(r.stderr).toBe('');
    // Bools print as 1/0 in tstrace (as every bool here).
    expect(r.stdout).toBe('Attaching 1 probe...\n(10, bye, 1, 0)\n\n\n');
  });

  it('are not positional parameters; negative integers and 1/0 booleans; used in a condition', async () => {
    const r = await tstrace(['-e', 'BEGIN { print((getopt("aa", 10), getopt("dd", false), $1, $#)); if (getopt("v")) { printf("verbose\\n"); } exit(); }', '--', '7', '--aa=-3', '--dd=1', '--v=true']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Attaching 1 probe...\n(-3, 1, 7, 1)\nverbose\n\n\n');
  });

  it('a value that does not fit the default\'s type is a located error', async () => {
    const r = await tstrace(['-e', 'BEGIN { print(getopt("aa", 10)); exit(); }', '--', '--aa=x']);
    expect(r.stderr).toBe("stdin:1:15-31: ERROR: getopt(): the value of --aa must be an integer ('x' given)\nBEGIN { print(getopt(\"aa\", 10)); exit(); }\n              " + '~'.repeat(16) + '\n');
    expect(r.code).toBe(1);
    const b = await tstrace(['-e', 'BEGIN { print(getopt("cc")); exit(); }', '--', '--cc=maybe']);
    expect(b.stderr).toBe("stdin:1:15-27: ERROR: getopt(): the value of --cc must be true, false, 1 or 0 ('maybe' given)\nBEGIN { print(getopt(\"cc\")); exit(); }\n              " + '~'.repeat(12) + '\n');
  });
});
