// Command-line surfaces that load nothing: --dry-run, --emit-llvm, --emit-elf,
// usage errors.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const bin = path.join(__dirname, '../bin/tstrace');
const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 });

describe('tstrace CLI', () => {
  it('--dry-run with --emit-elf and --emit-llvm writes the BPF object and the IR, and loads nothing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tstrace-cli-'));
    const elf = path.join(dir, 'out.o');
    const ll = path.join(dir, 'out.ll');
    const r = run(['--dry-run', '--emit-elf', elf, '--emit-llvm', ll, '-e', 'tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
    const object = fs.readFileSync(elf);
    expect(object.subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    expect(object.readUInt16LE(18)).toBe(247); // e_machine EM_BPF
    expect(object.includes(Buffer.from('tracepoint/syscalls/sys_enter_openat'))).toBe(true);
    expect(fs.readFileSync(ll, 'utf8')).toMatch(/define i64 @probe_0\(i8\* %0\)/);
  });

  it('an invalid output format is a usage error', () => {
    const r = run(['-f', 'xml', '-e', 'BEGIN { exit(); }']);
    expect(r.stderr).toBe('ERROR: Invalid output format "xml"\nValid formats: \'text\', \'json\'\n');
    expect(r.status).toBe(1);
  });

  it('a missing script file is one clear line', () => {
    const r = run(['/nonexistent/script.bt']);
    expect(r.stderr).toBe("ERROR: failed to open file '/nonexistent/script.bt': No such file or directory\n");
    expect(r.status).toBe(1);
  });

  it('no program at all prints usage and fails', () => {
    const r = run([]);
    expect(r.stderr).toMatch(/^Usage: tstrace/);
    expect(r.status).toBe(1);
  });
});
