// The CLI's commander-free path for plain command lines (src/cli/fastargs.ts)
// must give exactly commander's options and operands, and leave every other
// form to commander.
import { describe, it, expect } from 'vitest';
import { fastParseArgs } from '../src/cli/fastargs';
import { commanderProgram } from '../src/cli';

async function byCommander(args: string[]): Promise<{ opts: Record<string, unknown>; args: string[] }> {
  const program = await commanderProgram();
  program.parse(['node', 'tstrace', ...args]);
  return { opts: { ...program.opts() }, args: program.args };
}

const PLAIN: string[][] = [
  ['-e', 'BEGIN { exit(); }'],
  ['-q', '-e', 'BEGIN { exit(); }'],
  ['--quiet', '--verbose', '-e', 'x'],
  ['-f', 'json', '-o', '/tmp/out', '-B', 'full', '-e', 'x'],
  ['--format', 'json', '--output', '/tmp/out', '-e', 'x'],
  ['--dry-run', '--unsafe', '--no-cache', '--emit-llvm', 'a.ll', '--emit-elf', 'a.o', '-e', 'x'],
  ['-p', '123', '-e', 'x'],
  ['-c', 'sleep 1', '-e', 'x'],
  ['--usdt-file-activation', 'script.bt'],
  ['script.bt'],
  ['script.bt', '1', 'two', '3'],
  ['-q', 'script.bt', 'a b'],
  ['-'],
  ['-e', 'first', '-e', 'second'],
  ['-f', 'xml', '-e', 'x'],
];

const FOR_COMMANDER: string[][] = [
  [], ['-q'], ['-lv'], ['-l', 'tracepoint:*'], ['-d', 'asm', '-e', 'x'], ['-d', '-e', 'x'], ['--explain', '-e', 'x'],
  ['--format=json', '-e', 'x'], ['-ejson'], ['-e'], ['-e', '-q'], ['--', 'script.bt'], ['script.bt', '-q'], ['-x', '-e', 'x'],
  ['--help'], ['-V'],
];

describe('command lines without commander', () => {
  it('plain forms give commander\'s options and operands', async () => {
    for (const args of PLAIN) {
      const fast = fastParseArgs(args);
      expect(fast, args.join(' ')).toBeDefined();
      expect({ opts: { ...fast!.opts }, args: fast!.args }, args.join(' ')).toEqual(await byCommander(args));
    }
  });

  it('everything else is left to commander', () => {
    for (const args of FOR_COMMANDER) expect(fastParseArgs(args), args.join(' ')).toBeUndefined();
  });
});
