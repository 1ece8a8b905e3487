// The tstrace command line (bpftrace's CLI surface).
import * as fs from 'fs';
import { Command, CommanderError } from 'commander';
import { CompileError, Diagnostic, formatDiagnostic } from '../diagnostics';
import type { RuntimeError as RuntimeErrorT } from '../runtime';

const VERSION = 'tstrace v0.1.0 (bpftrace 0.17 compatible)';

interface CliOptions {
  e?: string;
  quiet?: boolean;
  verbose?: boolean;
  format: string;
  output?: string;
  dryRun?: boolean;
  emitLlvm?: string;
  emitElf?: string;
  cache: boolean;
  unsafe?: boolean;
}

function usageError(message: string): never {
  process.stderr.write(`ERROR: ${message}\n`);
  process.exit(1);
}

function readStdin(): string {
  // bpftrace reads line by line and re-appends '\n' to each line.
  const text = fs.readFileSync(0, 'utf8');
  return text.split('\n').map((l) => l + '\n').join('').replace(/\n$/, text.endsWith('\n') ? '\n' : '');
}

function printDiagnostics(diags: Diagnostic[], source: string): void {
  process.stderr.write(diags.map((d) => formatDiagnostic(d, source)).join(''));
}

/** Writes program output; a reader that went away (`| head`) ends the run quietly, as SIGPIPE would. */
function writeOutput(fd: number, text: string): void {
  try {
    fs.writeSync(fd, text, null, 'latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') process.exit(0);
    throw e;
  }
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const program = new Command()
    .name('tstrace')
    .usage('[options] filename\n       tstrace [options] - <stdin input>\n       tstrace [options] -e \'program\'')
    .option('-e <program>', 'program text')
    .option('-q, --quiet', 'keep messages quiet')
    .option('-v, --verbose', 'verbose messages')
    .option('-f, --format <format>', 'output format (text, json)', 'text')
    .option('-o, --output <file>', 'redirect bpftrace output to file')
    .option('--dry-run', 'compile everything, load nothing')
    .option('--unsafe', 'allow unsafe builtin functions (system, signal, override)')
    .option('--emit-llvm <file>', 'write LLVM IR to FILE')
    .option('--emit-elf <file>', 'write the BPF ELF object to FILE')
    .option('--no-cache', 'do not use or fill the compile cache (TSTRACE_CACHE_DIR, default /var/cache/tstrace)')
    .version(VERSION, '-V, --version')
    .argument('[args...]', 'script file and positional parameters')
    .allowExcessArguments(true)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    throw e;
  }
  const opts = program.opts<CliOptions>();
  let args = program.args.slice();
  let source: string;
  let file = 'stdin';
  if (opts.e !== undefined) {
    source = opts.e;
  } else if (args.length > 0) {
    const path = args.shift()!;
    if (path === '-') source = readStdin();
    else {
      file = path;
      try {
        source = fs.readFileSync(path, 'utf8');
      } catch (e) {
        process.stderr.write(`ERROR: failed to open file '${path}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}\n`);
        return 1;
      }
    }
  } else {
    program.outputHelp({ error: true });
    return 1;
  }
  if (opts.format !== 'text' && opts.format !== 'json') usageError(`Invalid output format "${opts.format}"\nValid formats: 'text', 'json'`);
  const params = args;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot && !opts.dryRun) {
    process.stderr.write('ERROR: tstrace must run as root (it loads BPF programs into the kernel).\n');
    return 1;
  }

  const { compileSource } = await import('../compiler');
  let compiled;
  try {
    compiled = compileSource(source, {
      file, params, unsafe: !!opts.unsafe, mapKeysMax: Number(process.env.BPFTRACE_MAP_KEYS_MAX) || undefined, dryRun: opts.dryRun,
      // --emit-llvm/--emit-elf need the IR and object, which a cache hit doesn't have.
      cache: opts.cache && !opts.emitLlvm && !opts.emitElf && !opts.dryRun && !process.env.TSTRACE_NO_CACHE,
    });
  } catch (e) {
    if (e instanceof CompileError) {
      printDiagnostics(e.diagnostics, source);
      return 1;
    }
    throw e;
  }
  printDiagnostics(compiled.warnings, source);
  if (opts.emitLlvm && compiled.ir) fs.writeFileSync(opts.emitLlvm, compiled.ir);
  if (opts.emitElf && compiled.object) fs.writeFileSync(opts.emitElf, compiled.object);
  if (opts.dryRun) return 0;

  const out = opts.output ? fs.openSync(opts.output, 'w') : 1;
  const { run, RuntimeError } = await import('../runtime');
  try {
    return await run(compiled.plan, {
      format: opts.format as 'text' | 'json',
      quiet: !!opts.quiet,
      verbose: !!opts.verbose,
      write: (text) => writeOutput(out, text),
      notifyAttached: process.env.__BPFTRACE_NOTIFY_PROBES_ATTACHED !== undefined,
    });
  } catch (e) {
    if (e instanceof RuntimeError) {
      process.stderr.write(formatDiagnostic({ level: 'ERROR', message: e.message, loc: (e as RuntimeErrorT).loc }, source));
      if (opts.verbose && (e as RuntimeErrorT).detail) process.stderr.write(`${(e as RuntimeErrorT).detail}\n`);
      return e.exitCode;
    }
    throw e;
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      // An internal error: one line for the user, the stack only on request.
      process.stderr.write(`ERROR: internal error: ${(e as Error).message}\n`);
      if (process.env.TSTRACE_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
      process.exit(1);
    },
  );
}
