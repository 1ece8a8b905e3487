// Runtime checks of the HEAD language constructs: BEGIN-only scripts run by
// ./bin/tstrace, with exact stdout (needs root, as the other runtime tests).
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'child_process';
import * as path from 'path';

const bin = path.join(__dirname, '../bin/tstrace');

function run(script: string, env: Record<string, string> = {}): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [bin, '--no-cache', '-e', script], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env },
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** stdout of a BEGIN-only script that ends with exit() and leaves no maps. */
function output(script: string): string {
  const r = run(script);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout.startsWith('Attaching 1 probe...\n')).toBe(true);
  return r.stdout.slice('Attaching 1 probe...\n'.length);
}

describe('language (runtime)', () => {
  it('for ranges: start inclusive, end exclusive', () => {
    expect(output('BEGIN { for ($i : 0..5) { printf("%d ", $i); } printf("\\n"); exit(); }')).toBe('0 1 2 3 4 \n\n\n');
  });

  it('for ranges: break, continue, empty ranges, bounds evaluated once', () => {
    expect(output(`BEGIN {
      for ($j : 0..10) { if ($j == 2) { continue; } if ($j == 5) { break; } printf("%d,", $j); }
      for ($k : 5..2) { printf("never"); }
      $n = 3; for ($k : 1..$n + 1) { $n = 100; printf("%d ", $k); }
      printf("|%d\\n", $n); exit(); }`)).toBe('0,1,3,4,1 2 3 |100\n\n\n');
  });

  it('a long range passes the verifier', () => {
    expect(output('BEGIN { $s = 0; for ($i : 0..100000) { $s += $i; } printf("%ld\\n", $s); exit(); }')).toBe('4999950000\n\n\n');
  });

  it('let: typed declarations truncate, block scope re-initialises', () => {
    expect(output(`BEGIN {
      let $x: uint16 = 65537; let $y: int8 = 255; printf("%d %d\\n", $x, $y);
      for ($i : 0..3) { let $z; let $w = 10; $w += $i; $z = $w; printf("%d ", $z); }
      if (1) { $p = 7; } printf("%d\\n", $p); exit(); }`)).toBe('1 -1\n10 11 12 7\n\n\n');
  });

  it('sizeof, #define, elvis and tuple [] indexing', () => {
    expect(output(`#define N 4
#define M (N * 2)
BEGIN { $b = (uint32)1; $t = (5, "x");
  printf("%d %d %d %d %d\\n", N, M, sizeof(uint16), sizeof($b), sizeof(M));
  $z = 0; printf("%d %d %s %d\\n", $z ?: 9, 3 ?: 9, $t[1], $t[0]); exit(); }`)).toBe('4 8 2 4 8\n9 3 x 5\n\n\n');
  });

  it('config max_map_keys limits maps; BPFTRACE_MAP_KEYS_MAX wins', () => {
    const script = 'config = { max_map_keys = 2 } BEGIN { @[1] = 1; @[2] = 2; @[3] = 3; exit(); }';
    expect(run(script).stdout).toBe('Attaching 1 probe...\n\n\n@[1]: 1\n@[2]: 2\n');
    expect(run(script, { BPFTRACE_MAP_KEYS_MAX: '5' }).stdout).toBe('Attaching 1 probe...\n\n\n@[1]: 1\n@[2]: 2\n@[3]: 3\n');
  });
});
