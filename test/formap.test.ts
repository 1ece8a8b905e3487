// `for ($kv : @map)` (HEAD syntax) end to end: real BPF programs with a
// bpf_for_each_map_elem callback subprogram, loaded into the kernel, with
// exact output. bpftrace 0.17 has no map loops, so there is no oracle to
// diff against; expectations follow HEAD's documented behaviour (spec
// STMT-05) and are computed by hand. Hash iteration order is the kernel's
// (random seed per map), so tests with several entries either print
// order-independent results or compare sorted lines.
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync, execFileSync } from 'child_process';
import * as path from 'path';
import { runTracer, GatedWorkload, buildWorkload, removeTempDir, uniqueComm, WORKLOAD_C } from './helpers/run';
import { native } from '../src/runtime/native';
import { programBtf, funcInfo } from '../src/runtime/progbtf';

const bin = path.join(__dirname, '../bin/tstrace');

function run(script: string): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [bin, '--no-cache', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

// bpftrace warns about print() inside any loop (0.17 for while/unroll; HEAD
// counts for-loops as loops too): the only stderr a loop script may produce.
const PRINT_IN_LOOP = "WARNING: Due to it's asynchronous nature using 'print()' in a loop can lead to unexpected behavior.";

/** stdout after the "Attaching" line of a script that ends with exit(). */
function output(script: string): string {
  const r = run(script);
  const otherStderr = r.stderr.split('\n').filter((l, i, all) => {
    // A warning is three lines: message, source line, ~~~ marker.
    const warningAt = (j: number) => j >= 0 && all[j]?.includes(PRINT_IN_LOOP);
    return l !== '' && !warningAt(i) && !warningAt(i - 1) && !warningAt(i - 2);
  });
  expect(otherStderr).toEqual([]);
  if (script.includes('print(')) expect(r.stderr).toContain(PRINT_IN_LOOP);
  expect(r.status).toBe(0);
  expect(r.stdout.startsWith('Attaching 1 probe...\n')).toBe(true);
  return r.stdout.slice('Attaching 1 probe...\n'.length);
}

afterAll(() => removeTempDir());

describe('callback subprograms (object emission and loading)', () => {
  const IR = `
target triple = "bpf-pc-linux"
define i64 @prog(i8* %ctx) {
  %f = bitcast i64 (i8*, i8*, i8*, i8*)* @cb to i8*
  %r = call i64 inttoptr (i64 164 to i64 (i8*, i8*, i8*, i64)*)(i8* null, i8* %f, i8* null, i64 0)
  ret i64 %r
}
define internal i64 @cb(i8* %m, i8* %k, i8* %v, i8* %c) {
  ret i64 1
}
`;

  it('resolves the callback address into a BPF_PSEUDO_FUNC load and reports function offsets', () => {
    const r = native.emitObject(IR, { prog: 'raw_tp/x', cb: 'raw_tp/x' });
    expect(r.functions.prog).toEqual({ section: 'raw_tp/x', offset: 0 });
    const cbOffset = r.functions.cb.offset;
    expect(cbOffset % 8).toBe(0);
    expect(cbOffset).toBeGreaterThan(0);
    const code = r.sections['raw_tp/x'];
    const loads: number[] = [];
    for (let at = 0; at < code.length; at += 8) {
      if (code[at] === 0x18 && code[at + 1] >> 4 === 4) loads.push(at / 8 + 1 + code.readInt32LE(at + 4));
    }
    expect(loads).toEqual([cbOffset / 8]); // the load's imm points at the callback's first instruction
  });

  // Loading whole programs with it is what the e2e tests below do.
  it('the kernel accepts tstrace\'s program BTF; func_info names the probe then each callback', () => {
    const r = native.emitObject(IR, { prog: 'raw_tp/x', cb: 'raw_tp/x' });
    const btf = native.loadBtf(programBtf());
    try {
      expect(btf).toBeGreaterThan(0);
      const info = funcInfo([r.functions.cb.offset / 8]);
      expect([...info]).toEqual([0, 0, 0, 0, 5, 0, 0, 0, r.functions.cb.offset / 8, 0, 0, 0, 6, 0, 0, 0]);
    } finally {
      native.closeFd(btf);
    }
  });
});

describe('for ($kv : @map)', () => {
  it('gives (key, value) tuples; $kv.0 and $kv.1', () => {
    expect(output('BEGIN { @x[7] = 100; for ($kv : @x) { printf("key %d val %d\\n", $kv.0, $kv.1); print($kv); } exit(); }'))
      .toBe('key 7 val 100\n(7, 100)\n\n\n@x[7]: 100\n');
  });

  it('multi-key maps give a tuple key (HEAD test: ((16, 17), 32))', () => {
    expect(output('BEGIN { @m[16, 17] = 32; for ($kv : @m) { print($kv); printf("%d %d\\n", $kv.0.0, $kv.0.1); } exit(); }'))
      .toBe('((16, 17), 32)\n16 17\n\n\n@m[16, 17]: 32\n');
  });

  // The cases of HEAD's tests/runtime/for, with exit() added (0.17-style BEGIN-only scripts need it).
  it("HEAD's runtime tests: two keys with a per-CPU count; continue on a string key", () => {
    const out = output('begin { @map[16,17] = count(); @map[16,17] = count(); @map[1,2] = count(); for ($kv : @map) { print($kv); } exit(); }');
    const [loop, maps] = out.split('\n\n\n');
    expect(loop.split('\n').sort()).toEqual(['((1, 2), 1)', '((16, 17), 2)']);
    expect(maps).toBe('@map[1, 2]: 1\n@map[16, 17]: 2\n');
    expect(output('begin { @map["foo"] = 1; @map["bar"] = 2; print("start"); for ($i : @map) { if ($i.0 == "bar") { continue; } print($i.0); } exit(); }'))
      .toBe('start\nfoo\n\n\n@map[foo]: 1\n@map[bar]: 2\n');
  });

  it('string keys and values, negative integer keys', () => {
    expect(output('BEGIN { @s["ab"] = "xyz"; @n[-3, "q"] = -5; for ($kv : @s) { printf("%s=%s\\n", $kv.0, $kv.1); } for ($kv : @n) { print($kv); } exit(); }'))
      .toBe('ab=xyz\n((-3, q), -5)\n\n\n@n[-3, q]: -5\n@s[ab]: xyz\n');
  });

  it('visits every entry once; the body shares the probe\'s variables', () => {
    const out = output(`BEGIN {
      @m[1] = 10; @m[2] = 20; @m[3] = 30;
      $sum = 0; $n = 0;
      for ($kv : @m) { $sum += $kv.1; $n++; printf("entry %d %d\\n", $kv.0, $kv.1); }
      printf("n=%d sum=%d\\n", $n, $sum); exit(); }`);
    const [loop, maps] = out.split('\n\n\n');
    const lines = loop.split('\n');
    expect(lines.pop()).toBe('n=3 sum=60');
    expect(lines.sort()).toEqual(['entry 1 10', 'entry 2 20', 'entry 3 30']);
    expect(maps).toBe('@m[1]: 10\n@m[2]: 20\n@m[3]: 30\n');
  });

  it('break stops, continue skips, both only for the loop', () => {
    expect(output(`BEGIN {
      @m[1] = 1; @m[2] = 2; @m[3] = 3;
      $visits = 0; for ($kv : @m) { $visits++; break; }
      $odd = 0; for ($kv : @m) { if ((uint64)$kv.1 % 2 == 0) { continue; } $odd += $kv.1; }
      printf("%d %d\\n", $visits, $odd); exit(); }`)).toBe('1 4\n\n\n@m[1]: 1\n@m[2]: 2\n@m[3]: 3\n');
  });

  it('return and exit() in the body end the probe', () => {
    expect(output('BEGIN { @m[1] = 1; for ($kv : @m) { printf("in\\n"); exit(); printf("not here\\n"); } printf("after exit\\n"); }'))
      .toBe('in\n\n\n@m[1]: 1\n');
    // `return` (without exit) still ends the probe: the printf after the loop never runs.
    const r = spawnSync(process.execPath, [bin, '--no-cache', '-e',
      'BEGIN { @m[1] = 1; for ($kv : @m) { return; } printf("after return\\n"); } interval:ms:100 { exit(); }'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Attaching 2 probes...\n\n\n@m[1]: 1\n');
  });

  it('nested map loops inside a range loop; variables declared in the body are its own', () => {
    expect(output(`BEGIN {
      @a[1] = 10; @b["x"] = 5; $hits = 0;
      for ($i : 0..3) { for ($kv : @a) { for ($kw : @b) { let $t = $kv.1 + $kw.1; $hits += $t + $i; } } }
      printf("%d\\n", $hits); exit(); }`)).toBe('48\n\n\n@a[1]: 10\n@b[x]: 5\n');
  });

  it('reads the probe context (args, comm) inside the body', async () => {
    const comm = uniqueComm('fmctx');
    const wl = buildWorkload(comm, WORKLOAD_C);
    const w = new GatedWorkload(wl, ['write', '2']);
    try {
      await w.ready();
      const r = await runTracer('tstrace', ['--no-cache', '-e', `BEGIN { @m[1] = 1; }
        tracepoint:syscalls:sys_enter_write /comm == "${comm}"/ { for ($kv : @m) { printf("%s %d %d\\n", comm, args->count, $kv.1); } }
        END { clear(@m); }`], { timeoutMs: 60_000, onAttached: async () => { await w.go(); }, signalAfterAttach: 'SIGINT' });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`Attaching 3 probes...\n${comm} 1 1\n${comm} 2 1\n\n\n\n`);
    } finally {
      w.kill();
    }
  });

  it('per-CPU aggregations read as their total over all CPUs (count, sum, min, max, avg)', async () => {
    // Two workloads pinned to CPU 0 and CPU 1 write sizes 1..3 and 1..4, so
    // each aggregation has a slot on each CPU; END runs on one CPU only.
    const cpus = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
    expect(cpus).toBeGreaterThanOrEqual(2); // this VM has 2 CPUs; the test needs both
    const comm = uniqueComm('fmcpu');
    const wl = buildWorkload(comm, WORKLOAD_C);
    const w0 = new GatedWorkload('taskset', ['-c', '0', wl, 'write', '3']);
    const w1 = new GatedWorkload('taskset', ['-c', '1', wl, 'write', '4']);
    try {
      await Promise.all([w0.ready(), w1.ready()]);
      const r = await runTracer('tstrace', ['--no-cache', '-e', `
        tracepoint:syscalls:sys_enter_write /comm == "${comm}"/ {
          @c[1] = count(); @s[1] = sum(args->count); @mn[1] = min(args->count); @mx[1] = max(args->count);
          @a[1] = avg(args->count); @neg[1] = sum(-(int64)args->count); @navg[1] = avg(-(int64)args->count); @cpus[cpu] = count(); }
        END {
          for ($kv : @c) { printf("count %d\\n", $kv.1); }
          for ($kv : @s) { printf("sum %d\\n", $kv.1); }
          for ($kv : @mn) { printf("min %d\\n", $kv.1); }
          for ($kv : @mx) { printf("max %d\\n", $kv.1); }
          for ($kv : @a) { printf("avg %d\\n", $kv.1); }
          for ($kv : @neg) { printf("neg %d\\n", $kv.1); }
          for ($kv : @navg) { printf("navg %d\\n", $kv.1); }
          clear(@c); clear(@s); clear(@mn); clear(@mx); clear(@a); clear(@neg); clear(@navg); }`], {
        timeoutMs: 60_000, onAttached: async () => { await w0.go(); await w1.go(); }, signalAfterAttach: 'SIGINT',
      });
      expect(r.stderr).toBe('');
      expect(r.stdout.startsWith('Attaching 2 probes...\ncount 7\nsum 16\nmin 1\nmax 4\navg 2\nneg -16\nnavg -2\n\n\n')).toBe(true);
      // Both CPUs really counted events (the cleared maps print as blank lines around it).
      expect(r.stdout).toContain('\n@cpus[0]: 3\n@cpus[1]: 4\n');
    } finally {
      w0.kill();
      w1.kill();
    }
  });

  it('rejects what HEAD rejects, with the location', () => {
    const r = run('BEGIN { @h[1] = hist(5); @c = count(); for ($kv : @h) {} for ($kv : @c) {} for ($kv : @nope) {} for ($kv : @c) {} print($kv);}');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe([
      'stdin:1:51-53: ERROR: Loop expression does not support type: hist',
      'BEGIN { @h[1] = hist(5); @c = count(); for ($kv : @h) {} for ($kv : @c) {} for ($kv : @nope) {} for ($kv : @c) {} print($kv);}',
      '                                                  ~~',
      'stdin:1:69-71: ERROR: Loop expression does not support maps without keys: @c',
      'BEGIN { @h[1] = hist(5); @c = count(); for ($kv : @h) {} for ($kv : @c) {} for ($kv : @nope) {} for ($kv : @c) {} print($kv);}',
      '                                                                    ~~',
      'stdin:1:87-92: ERROR: Undefined map: @nope',
      'BEGIN { @h[1] = hist(5); @c = count(); for ($kv : @h) {} for ($kv : @c) {} for ($kv : @nope) {} for ($kv : @c) {} print($kv);}',
      '                                                                                      ~~~~~',
      'stdin:1:108-110: ERROR: Loop expression does not support maps without keys: @c',
      'BEGIN { @h[1] = hist(5); @c = count(); for ($kv : @h) {} for ($kv : @c) {} for ($kv : @nope) {} for ($kv : @c) {} print($kv);}',
      '                                                                                                           ~~',
      'stdin:1:121-124: ERROR: Undefined or undeclared variable: $kv',
      'BEGIN { @h[1] = hist(5); @c = count(); for ($kv : @h) {} for ($kv : @c) {} for ($kv : @nope) {} for ($kv : @c) {} print($kv);}',
      '                                                                                                                        ~~~',
      '',
    ].join('\n'));
  });

  it('a loop over something that is neither a map nor a range is a syntax error', () => {
    const r = run('BEGIN { @m[1] = 1; for ($kv : @m[1]) { } }');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('stdin:1:31-36: ERROR: syntax error, expecting a map (for ($kv : @map)) or a range (for ($i : start..end))\n'
      + 'BEGIN { @m[1] = 1; for ($kv : @m[1]) { } }\n                              ~~~~~\n');
  });
});
