#!/usr/bin/env node
// BPF time per printf event: tstrace (ring buffer) vs bpftrace 0.17 (perf
// buffer), from the kernel's own accounting (kernel.bpf_stats_enabled:
// run_time_ns / run_cnt of each program, as `bpftool prog show` reports).
//
//   node scripts/printf-cost.js [events=200000] [rounds=3]
//
// Each round runs the same one-liner under each tracer, drives N getppid()
// calls from a small C workload (one printf each), and reads the programs'
// counters (found through the tracer's /proc/PID/fdinfo). The sysctl is set
// to 1 for the measurement and restored afterwards. Run as root; other load
// on the machine shows up as noise, so compare rounds.
'use strict';
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const EVENTS = Number(process.argv[2] ?? 200000);
const ROUNDS = Number(process.argv[3] ?? 3);
const TOKEN = '__BPFTRACE_NOTIFY_PROBES_ATTACHED';
const STATS = '/proc/sys/kernel/bpf_stats_enabled';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'printf-cost-'));
const comm = 'tspcost';
const bin = path.join(dir, comm);
fs.writeFileSync(`${bin}.c`, `
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) { long n = atol(argv[1]); for (long i = 0; i < n; i++) syscall(SYS_getppid); return 0; }
`);
execFileSync('cc', ['-O2', '-o', bin, `${bin}.c`]);

// The same predicate with and without the printf: the difference is the cost
// of the printf itself (reserving, filling and submitting the record).
const SCRIPTS = {
  printf: `tracepoint:syscalls:sys_enter_getppid /comm == "${comm}"/ { printf("%d %d\\n", tid, cpu); }`,
  baseline: `tracepoint:syscalls:sys_enter_getppid /comm == "${comm}"/ { $x = tid; }`,
};

function progIds(pid) {
  const ids = [];
  for (const fd of fs.readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      const m = /^prog_id:\s+(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m) ids.push(Number(m[1]));
    } catch {
      // fd closed meanwhile
    }
  }
  return [...new Set(ids)];
}

function progStats(ids) {
  let ns = 0;
  let cnt = 0;
  for (const id of ids) {
    const p = JSON.parse(execFileSync('bpftool', ['prog', 'show', 'id', String(id), '--json'], { encoding: 'utf8' }));
    ns += p.run_time_ns ?? 0;
    cnt += p.run_cnt ?? 0;
  }
  return { ns, cnt };
}

function measure(tracer, script) {
  return new Promise((resolve, reject) => {
    const argv = tracer === 'tstrace' ? [process.execPath, path.join(__dirname, '../bin/tstrace'), '--no-cache', '-e', script] : ['/usr/bin/bpftrace', '-e', script];
    const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, [TOKEN]: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    let lines = 0;
    let started = false;
    const onData = (chunk) => {
      const text = chunk.toString('latin1');
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
      if (started) return;
      seen += text;
      if (!seen.includes(TOKEN)) return;
      started = true;
      const ids = progIds(child.pid);
      const before = progStats(ids);
      execFileSync(bin, [String(EVENTS)]);
      const after = progStats(ids);
      child.kill('SIGINT');
      child.on('close', () => resolve({ tracer, ids, runs: after.cnt - before.cnt, ns: after.ns - before.ns, lines }));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
  });
}

(async () => {
  const previous = fs.readFileSync(STATS, 'utf8').trim();
  fs.writeFileSync(STATS, '1');
  try {
    console.log(`${EVENTS} printf events per run; ns per event = run_time_ns / run_cnt of the tracer's programs`);
    for (let r = 1; r <= ROUNDS; r++) {
      for (const tracer of ['tstrace', 'bpftrace']) {
        const perEvent = {};
        for (const [name, script] of Object.entries(SCRIPTS)) {
          const m = await measure(tracer, script);
          perEvent[name] = m.ns / Math.max(m.runs, 1);
        }
        console.log(`round ${r} ${tracer.padEnd(8)} with printf ${perEvent.printf.toFixed(0)} ns, without ${perEvent.baseline.toFixed(0)} ns, printf itself ${(perEvent.printf - perEvent.baseline).toFixed(0)} ns per event`);
      }
    }
  } finally {
    fs.writeFileSync(STATS, previous);
    fs.rmSync(dir, { recursive: true, force: true });
  }
})();
