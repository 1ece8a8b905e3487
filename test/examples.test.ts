// Every script of the examples/ course compiles, loads into the kernel, runs
// to its own exit() and prints what a learner would expect from it. A
// workload runs meanwhile (file opens, reads and writes, direct disk I/O,
// fsync, the greeter program of the uprobe/USDT examples), so every probe sees
// events; the workload is real activity on this machine, not a mock.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync, execFileSync, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..');
const examples = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.bt')).sort();
const GREETER = '/tmp/tstrace-examples/greeter';

const HIST = String.raw`(\[.*\| *\n)+`;

/** What each example must print, beyond a clean exit. */
const expected: Record<string, RegExp> = {
  '01-hello.bt': /^Attaching 1 probe\.\.\.\nHello, world! .+ \(pid \d+\) called openat\(\), seen by tracepoint:syscalls:sys_enter_openat\n\n\n$/,
  '02-begin-end.bt': /^Attaching 1 probe\.\.\.\nHello from BPF! 2 \+ 3 = 5\n\n\n$/,
  '03-count.bt': /^Attaching 2 probes\.\.\.\n\n\n(@opens\[.+\]: \d+\n)+$/,
  '04-filter.bt': /@average\[.+\]: \d+\n[\s\S]*@bytes\[.+\]: \d+\n[\s\S]*@largest\[.+\]: \d+\n[\s\S]*@smallest\[.+\]: \d+\n/,
  '05-per-second.bt': /second 1: \d+ syscalls\nsecond 2: \d+ syscalls\nsecond 3: \d+ syscalls\n\n\n@n: \d+\n@seconds: 3\n$/,
  '06-histogram.bt': new RegExp(String.raw`^Attaching 2 probes\.\.\.\n\n\n@bytes: \n${HIST}\n@small_reads: \n${HIST}\n$`),
  '07-latency.bt': new RegExp(String.raw`^Attaching 4 probes\.\.\.\n\n\n@read_latency_us: \n${HIST}\n\n$`),
  '08-stacks.bt': /^Attaching 2 probes\.\.\.\n\n\n(@samples\[.+, (\n(    \S+\n)+)?\]: \d+\n)+$/,
  '09-uprobe.bt': new RegExp(String.raw`^Attaching 3 probes\.\.\.\n(greet\("ada", 1\)\ngreet\("brian", 2\)\ngreet\("grace", 3\)\n)+\n\n@returned: \n${HIST}\n$`),
  '10-usdt.bt': /^Attaching 2 probes\.\.\.\n(greeted ada 1 times\ngreeted brian 2 times\ngreeted grace 3 times\n)+\n\n$/,
  '11-vfsstat.bt': /^Attaching 13 probes\.\.\.\nTIME {7}READ\/s {2}WRITE\/s {3}OPEN\/s CREATE\/s {2}FSYNC\/s\n(\d\d:\d\d:\d\d +\d+ +\d+ +\d+ +\d+ +\d+\n){3}\n\n\n@seconds: 3\n$/,
  '12-cpudist.bt': new RegExp(String.raw`^Attaching 3 probes\.\.\.\n\n\n\n@oncpu_us: \n${HIST}\n$`),
  '13-biolatency.bt': new RegExp(String.raw`^Attaching 4 probes\.\.\.\n\n\n\n@usecs: \n${HIST}\n$`),
  '14-biotop.bt': /^Attaching 3 probes\.\.\.\n(\d\d:\d\d:\d\d\n(@kbytes\[.+, [A-Z]+\]: \d+\n){0,5}){3}\n\n(@ios\[.+, [A-Z]+\]: \d+\n)+\n\n$/,
  '15-cachetop.bt': /^Attaching 4 probes\.\.\.\n\n\n(@dirtied\[.+\]: \d+\n)*(@misses\[.+\]: \d+\n)+(@reads\[.+\]: \d+\n)+$/,
  '16-memleak.bt': /^Attaching 4 probes\.\.\.\n\n\n\n(@outstanding\[.+\]: -?\d+\n)+\n$/,
};

let workload: ChildProcess | undefined;

beforeAll(() => {
  execFileSync('sh', [path.join(root, 'examples/programs/build.sh')], { stdio: 'ignore' });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tstrace-workload-'));
  // Its own process group, so afterAll can stop the loop and whatever it is running.
  workload = spawn('sh', ['-c', `while :; do
    cat /etc/hostname > /dev/null; echo x > ${scratch}/f; sync ${scratch}/f
    dd if=/dev/zero of=${scratch}/io bs=64k count=8 oflag=direct 2>/dev/null
    ${GREETER} 1 > /dev/null; sleep 0.05
  done`], { detached: true, stdio: 'ignore' });
});

afterAll(() => {
  if (workload?.pid) process.kill(-workload.pid, 'SIGKILL');
});

/** Whether the usdt probe type exists yet (issue 4, the `probes` helper). */
function hasUsdt(): boolean {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/tstrace'), '--dry-run', '-e', `usdt:${GREETER}:greeter:greeted { }`], { encoding: 'utf8' });
  return !/Invalid probe type: usdt/.test(r.stderr);
}

describe('examples/', () => {
  it('is a course of at least 15 numbered scripts, each starting with a comment saying what it teaches', () => {
    expect(examples.length).toBeGreaterThanOrEqual(15);
    examples.forEach((f, i) => {
      expect(f).toMatch(new RegExp(`^${String(i + 1).padStart(2, '0')}-[a-z0-9-]+\\.bt$`));
      const text = fs.readFileSync(path.join(root, 'examples', f), 'utf8').split('\n');
      expect(text[0]).toMatch(new RegExp(`^// ${f.replace('.', '\\.')}: .+`));
      expect(text[1]).toMatch(/^\/\/ Teaches: .+/);
    });
  });

  for (const f of examples) {
    it(`${f} runs and exits by itself`, () => {
      if (f === '10-usdt.bt' && !hasUsdt()) {
        // USDT is being implemented by another helper (issue 4); until it
        // lands, the example is rejected with exactly this error.
        const r = spawnSync(process.execPath, [path.join(root, 'bin/tstrace'), path.join(root, 'examples', f)], { encoding: 'utf8' });
        expect(r.stderr.split('\n')[0]).toMatch(/^.*10-usdt\.bt:\d+:1-\d+: ERROR: Invalid probe type: usdt$/);
        return;
      }
      const r = spawnSync(process.execPath, [path.join(root, 'bin/tstrace'), path.join(root, 'examples', f)], { encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(expected[f], `add an expectation for ${f}`).toBeDefined();
      expect(r.stdout).toMatch(expected[f]);
    });
  }
});
