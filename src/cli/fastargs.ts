// The common command lines without commander: loading and configuring
// commander costs ~17 ms of every start (it pulls in child_process and
// events). This reads only plain forms (`-e PROG`, `-q`, `-f json`, `--dry-run`,
// `-o FILE`, `script.bt 1 2`, …) and returns undefined for anything else, which
// then goes to commander (src/cli/index.ts), so help, version, `-lv`,
// attached values (`-ejson`, `--format=json`), `-d`/`--explain`, `--`, unknown
// options and usage errors behave exactly as before.

/** Options taking a value: flag → commander's attribute name. */
const VALUED: Record<string, string> = {
  '-e': 'e', '-f': 'format', '--format': 'format', '-o': 'output', '--output': 'output', '-B': 'B', '-p': 'p', '-c': 'c',
  '--emit-llvm': 'emitLlvm', '--emit-elf': 'emitElf',
};

/** Boolean flags → [attribute, value]. */
const FLAGS: Record<string, [string, boolean]> = {
  '-q': ['quiet', true], '--quiet': ['quiet', true], '-v': ['verbose', true], '--verbose': ['verbose', true],
  '--dry-run': ['dryRun', true], '--unsafe': ['unsafe', true], '--no-cache': ['cache', false],
  '--usdt-file-activation': ['usdtFileActivation', true],
};

/** commander's result for `args` (argv without node and the script), or undefined when commander must decide. */
export function fastParseArgs(args: string[]): { opts: Record<string, unknown>; args: string[] } | undefined {
  const opts: Record<string, unknown> = { format: 'text', cache: true };
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-' || !a.startsWith('-')) {
      positional.push(a);
      continue;
    }
    if (positional.length > 0) return undefined; // options after operands: commander's rules
    if (a in FLAGS) {
      const [key, value] = FLAGS[a];
      opts[key] = value;
    } else if (a in VALUED && i + 1 < args.length && !args[i + 1].startsWith('-')) {
      opts[VALUED[a]] = args[++i];
    } else {
      return undefined;
    }
  }
  // Nothing to run: commander prints the usage.
  if (opts.e === undefined && positional.length === 0) return undefined;
  return { opts, args: positional };
}
