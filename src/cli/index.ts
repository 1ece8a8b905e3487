// The tstrace command line (bpftrace's CLI surface).
import { isNamedArg } from './namedargs';
import * as fs from 'fs';
import type { Command } from 'commander';
import { CompileError, Diagnostic, formatDiagnostic } from '../diagnostics';
import type { RuntimeError as RuntimeErrorT } from '../runtime';
import { BUFFER_MODES, BufferMode, createOutputStream } from '../output/stream';
import { setTargetCommand, setTargetPid } from '../probes/target';
import { lookupCompiled } from '../cache';
import { fastParseArgs } from './fastargs';
import type { CompileOptions } from '../compiler';

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
  B?: string;
  p?: string;
  c?: string;
  list?: boolean;
  unsafe?: boolean;
  d?: string | true;
  explain?: string | true;
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
  // No empty write: the first use of process.stderr builds its stream (~5 ms).
  if (diags.length === 0) return;
  process.stderr.write(diags.map((d) => formatDiagnostic(d, source)).join(''));
}

/** -p PID / -c CMD, checked as bpftrace checks them; -p also sets where probe targets are resolved. */
function parseTarget(opts: CliOptions): { pid?: number } {
  if (opts.p !== undefined && opts.c !== undefined) usageError('USAGE: Cannot use both -c and -p.');
  setTargetCommand(opts.c);
  if (opts.p === undefined) return {};
  if (!/^[0-9]+$/.test(opts.p)) usageError(`pid '${opts.p}' is not a valid decimal number`);
  const pid = Number(opts.p);
  if (!fs.existsSync(`/proc/${pid}`)) usageError(`pid ${pid}: No such process`);
  setTargetPid(pid);
  return { pid };
}

/** The full command line, by commander: usage, help, version, every option form. */
export async function commanderProgram(): Promise<Command> {
  const { Command } = await import('commander');
  return new Command()
    .name('tstrace')
    .usage('[options] filename\n       tstrace [options] - <stdin input>\n       tstrace [options] -e \'program\'')
    .option('-e <program>', 'program text')
    .option('-q, --quiet', 'keep messages quiet')
    .option('-v, --verbose', 'verbose messages')
    .option('-f, --format <format>', 'output format (text, json)', 'text')
    .option('-o, --output <file>', 'redirect bpftrace output to file')
    .option('-B <mode>', "output buffering mode ('line', 'full', 'none')")
    .option('-l, --list', 'list probes matching the search (first argument); -lv adds their arguments')
    .option('-p <pid>', 'trace this process: uprobes/USDT attach to it, probes fire only in it')
    .option('-c <cmd>', 'run CMD, trace it (cpid), exit when it exits')
    // Always in effect: the kernel (uprobe ref_ctr_offset) sets semaphores in every process mapping the file.
    .option('--usdt-file-activation', 'activate usdt semaphores based on file path (always on)')
    .option('--dry-run', 'compile everything, load nothing')
    .option('--unsafe', 'allow unsafe builtin functions (system, signal, override)')
    .option('--emit-llvm <file>', 'write LLVM IR to FILE')
    .option('--emit-elf <file>', 'write the BPF ELF object to FILE')
    .option('-d [stages]', 'debug info: bare -d (or -dd) dry-runs every stage; -d STAGE[,STAGE] prints them, then runs')
    .option('--explain [stages]', 'print what each compiler stage produces, linked to source lines, and stop (default: all)')
    .option('--no-cache', 'do not use or fill the compile cache (TSTRACE_CACHE_DIR, default /var/cache/tstrace)')
    .version(VERSION, '-V, --version')
    .argument('[args...]', 'script file and positional parameters')
    .allowExcessArguments(true)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

export async function main(argv: string[] = process.argv): Promise<number> {
  if (argv[2] === 'explore') return (await import('../explain/server')).exploreCommand(argv.slice(3));
  // The plain common forms skip commander (~17 ms); everything else, and the usage text, is commander's.
  const fast = fastParseArgs(argv.slice(2));
  const program = fast ? undefined : await commanderProgram();
  if (program) {
    try {
      program.parse(argv);
    } catch (e) {
      if (e instanceof (await import('commander')).CommanderError) return e.exitCode === 0 ? 0 : 1;
      throw e;
    }
  }
  const opts = (fast?.opts ?? program!.opts()) as unknown as CliOptions;
  let args = (fast?.args ?? program!.args).slice();
  if (opts.list) {
    const { pid } = parseTarget(opts);
    const { listProbes } = await import('../probes/list');
    const listing = createOutputStream(1, 'full');
    listing.write(listProbes(args[0], !!opts.verbose, pid));
    listing.flush();
    return 0;
  }
  const { parseStages, STAGE_HELP } = await import('../explain/stages');
  // `-d script.bt` (0.17's bare -d before the file): the value is the script, not a stage.
  let debugStages = typeof opts.d === 'string' ? parseStages(opts.d) : undefined;
  if (typeof opts.d === 'string' && !debugStages) {
    if (opts.d !== '' && opts.e === undefined && args.length === 0 || /[./]/.test(opts.d)) args.unshift(opts.d);
    else usageError(`unknown -d stage '${opts.d}'; ${STAGE_HELP}`);
    opts.d = true;
  }
  if (opts.d === true || opts.d === 'd') opts.dryRun = true;
  if (opts.d === true) debugStages = parseStages('all');
  let explainStages = opts.explain === undefined ? undefined : opts.explain === true ? parseStages('all') : parseStages(opts.explain);
  if (typeof opts.explain === 'string' && !explainStages) {
    // `--explain script.bt`: all stages of that script.
    if (opts.e === undefined && args.length === 0 || /[./]/.test(opts.explain)) args.unshift(opts.explain);
    else usageError(`unknown --explain stage '${opts.explain}'; ${STAGE_HELP}`);
    explainStages = parseStages('all');
  }
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
    (program ?? await commanderProgram()).outputHelp({ error: true });
    return 1;
  }
  if (opts.format !== 'text' && opts.format !== 'json') usageError(`Invalid output format "${opts.format}"\nValid formats: 'text', 'json'`);
  const bufferMode = (opts.B ?? 'line') as BufferMode;
  if (!BUFFER_MODES.includes(bufferMode)) usageError("USAGE: -B must be either 'line', 'full', or 'none'.");
  // HEAD: `-- --name=value` are named program options (getopt()), not positional parameters.
  const namedArgs = args.filter(isNamedArg);
  const params = args.filter((a) => !isNamedArg(a));
  const target = parseTarget(opts);
  const stages = explainStages ?? debugStages;
  if (stages) {
    if (!(await import('../explain/cli')).printExplanation(source, file, params, stages)) return 1;
    if (explainStages || opts.dryRun && !opts.emitElf && !opts.emitLlvm) return 0;
  }
  const missing = opts.dryRun ? undefined : (await import('../runtime/privileges')).missingPrivilege();
  if (missing) {
    process.stderr.write(`ERROR: ${missing}\n`);
    return 1;
  }

  let compiled;
  try {
    const compileOptions: CompileOptions = {
      file, params, namedArgs, mapKeysMax: Number(process.env.BPFTRACE_MAP_KEYS_MAX) || undefined, dryRun: opts.dryRun, unsafe: !!opts.unsafe,
      pidFilter: target.pid !== undefined || opts.c !== undefined, childCommand: opts.c !== undefined,
      // --emit-llvm/--emit-elf need the IR and object, which a cache hit doesn't have;
      // with -p, probe targets are resolved inside that process.
      cache: opts.cache && !opts.emitLlvm && !opts.emitElf && !opts.dryRun && !process.env.TSTRACE_NO_CACHE && target.pid === undefined,
      libbpfObject: !!opts.emitElf,
    };
    // A hit loads neither the compiler nor LLVM (src/cache.ts).
    compiled = lookupCompiled(source, compileOptions);
    if (!compiled) {
      (await import('../runtime/native')).preloadLlvm();
      compiled = (await import('../compiler')).compileAndStore(source, compileOptions);
    }
  } catch (e) {
    if (e instanceof CompileError) {
      printDiagnostics(e.diagnostics, source);
      return 1;
    }
    throw e;
  }
  printDiagnostics(compiled.warnings, source);
  if (opts.emitLlvm && compiled.ir) fs.writeFileSync(opts.emitLlvm, compiled.ir);
  if (opts.emitElf && compiled.libbpfObject) fs.writeFileSync(opts.emitElf, compiled.libbpfObject);
  if (opts.dryRun) return 0;

  const outFd = opts.output ? fs.openSync(opts.output, 'w') : 1;
  const out = createOutputStream(outFd, bufferMode);
  const { run, RuntimeError } = await import('../runtime');
  let child;
  if (opts.c !== undefined) {
    const { HeldChild, ChildError } = await import('../runtime/child');
    try {
      child = new HeldChild(opts.c);
    } catch (e) {
      if (!(e instanceof ChildError)) throw e;
      process.stderr.write(`ERROR: Failed to fork child: ${e.message}\n`);
      return 255;
    }
  }
  try {
    return await run(compiled.plan, {
      format: opts.format as 'text' | 'json',
      quiet: !!opts.quiet,
      verbose: !!opts.verbose,
      write: (text) => out.write(text),
      flush: () => out.flush(),
      notifyAttached: process.env.__BPFTRACE_NOTIFY_PROBES_ATTACHED !== undefined,
      warn: (message, loc) => process.stderr.write(formatDiagnostic({ level: 'WARNING', message, loc }, source)),
      message: (level, message, loc) => process.stderr.write(formatDiagnostic({ level, message, loc }, source)),
      targetPid: target.pid, child,
      outputFd: outFd,
    });
  } catch (e) {
    if (e instanceof RuntimeError) {
      process.stderr.write(formatDiagnostic({ level: 'ERROR', message: e.message, loc: (e as RuntimeErrorT).loc }, source));
      for (const note of (e as RuntimeErrorT).notes) process.stderr.write(`${note}\n`);
      if (opts.verbose && (e as RuntimeErrorT).detail) process.stderr.write(`${(e as RuntimeErrorT).detail}\n`);
      return e.exitCode;
    }
    throw e;
  } finally {
    out.flush();
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
