// Where program output goes and when: -o FILE, -B none|line|full.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { removeTempDir, runTracer, tempDir, TSTRACE_BIN } from './helpers/run';

afterAll(() => removeTempDir());

/**
 * Runs tstrace with `args` (no notify token, so output is exactly what a user
 * sees) and sends SIGINT as soon as `ready(stdout so far)` holds; returns the
 * stdout seen before the signal and all of it. A mode that holds output back
 * never satisfies `ready`, and the run fails on the timeout.
 */
function stopWhen(args: string[], ready: (seen: string) => boolean, timeoutMs = 30_000): Promise<{ before: string; all: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSTRACE_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let all = '';
    let before: string | undefined;
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`output never became ready; seen ${JSON.stringify(all)}; stderr ${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      all += c.toString('latin1');
      if (before === undefined && ready(all)) {
        before = all;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (before === undefined) reject(new Error(`exited before ready: ${stderr}`));
      else resolve({ before, all, code });
    });
  });
}

describe('-B buffering modes', () => {
  it('-B none: a partial line reaches the reader before the run ends', async () => {
    const r = await stopWhen(['-B', 'none', '-e', 'BEGIN { printf("partial"); }'], (s) => s.endsWith('partial'));
    expect(r.before).toBe('Attaching 1 probe...\npartial');
    expect(r.all).toBe('Attaching 1 probe...\npartial\n\n');
    expect(r.code).toBe(0);
  });

  it('-B line (the default): whole lines are written at once, a partial line waits for its newline', async () => {
    for (const args of [['-B', 'line'], []]) {
      const r = await stopWhen([...args, '-e', 'BEGIN { printf("one\\ntw"); printf("o\\nthr"); }'], (s) => s.includes('two\n'));
      expect(r.before).toBe('Attaching 1 probe...\none\ntwo\n');
      expect(r.all).toBe('Attaching 1 probe...\none\ntwo\nthr\n\n');
    }
  });

  it('-B full: output is written in 8192-byte blocks, the rest at exit', async () => {
    // 200 lines of 100 bytes: two full blocks are written while running.
    const script = 'BEGIN { $i = 0; while ($i < 200) { printf("%099d\\n", $i); $i++; } }';
    const r = await stopWhen(['-B', 'full', '-e', script], (s) => s.length >= 16384);
    expect(r.before.length % 8192).toBe(0);
    expect(r.before.length).toBeLessThan('Attaching 1 probe...\n'.length + 200 * 100);
    expect(r.all.length).toBe('Attaching 1 probe...\n'.length + 200 * 100 + 2);
    expect(r.all.split('\n')[200]).toBe(`${'0'.repeat(96)}199`);
  });

  it('an unknown mode is a usage error, as bpftrace', async () => {
    const r = await runTracer('tstrace', ['-B', 'sometimes', '-e', 'BEGIN { exit(); }'], { notify: false });
    expect(r.stderr).toBe("ERROR: USAGE: -B must be either 'line', 'full', or 'none'.\n");
    expect(r.code).toBe(1);
  });
});

describe('-o FILE', () => {
  it('program output (printf, maps) goes to the file, in text and JSON', async () => {
    const file = path.join(tempDir(), 'out.txt');
    const r = await runTracer('tstrace', ['-o', file, '-e', 'BEGIN { printf("hi\\n"); @c = count(); @h = hist(3); exit(); }'], { notify: false });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(fs.readFileSync(file, 'latin1')).toBe(
      'Attaching 1 probe...\nhi\n\n\n@c: 1\n@h: \n[2, 4)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n',
    );
    const json = path.join(tempDir(), 'out.json');
    const j = await runTracer('tstrace', ['-f', 'json', '-o', json, '-e', 'BEGIN { printf("hi\\n"); @c = count(); exit(); }'], { notify: false });
    expect(j.stdout).toBe('');
    const lines = fs.readFileSync(json, 'latin1').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { type: 'attached_probes', data: { probes: 1 } },
      { type: 'printf', data: 'hi\n' },
      { type: 'map', data: { '@c': 1 } },
    ]);
  });
});
