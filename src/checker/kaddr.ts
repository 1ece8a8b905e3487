// kaddr("sym"): a kernel symbol's address, resolved from /proc/kallsyms at
// compile time (every symbol type, not only functions, as bpftrace does).
import * as fs from 'fs';
import type { CallExpr } from '../ast/nodes';
import type { CallContext } from './calls';
import type { Scope } from './index';
import { NONE, Type, UINT64 } from './types';

let table: Map<string, bigint> | undefined;

/** The address of kernel symbol `name`, or undefined when /proc/kallsyms doesn't list it. */
export function kernelSymbolAddress(name: string): bigint | undefined {
  if (!table) {
    table = new Map();
    let text = '';
    try {
      text = fs.readFileSync('/proc/kallsyms', 'latin1');
    } catch {
      // No kallsyms: every lookup fails with bpftrace's message.
    }
    for (const line of text.split('\n')) {
      const f = line.split(/\s+/);
      if (f.length < 3 || table.has(f[2])) continue;
      const addr = BigInt(`0x${f[0]}`);
      if (addr !== 0n) table.set(f[2], addr);
    }
  }
  return table.get(name);
}

export function checkKaddr(e: CallExpr, scope: Scope, ctx: CallContext): Type {
  for (const a of e.args) ctx.checker.expr(a, scope);
  if (e.args.length !== 1) {
    ctx.checker.error(`kaddr() requires 1 argument (${e.args.length} provided)`, e.loc);
    return NONE;
  }
  const arg = e.args[0];
  if (arg.kind !== 'String') {
    ctx.checker.error('kaddr() expects a string literal', e.loc);
    return NONE;
  }
  if (kernelSymbolAddress(arg.value) === undefined) {
    const message = `Failed to resolve kernel symbol: ${arg.value}`;
    // --dry-run compiles for a kernel that may have the symbol: the address is 0 then.
    if (ctx.checker.options.dryRun) ctx.checker.warning(`${message} (compiled with address 0: --dry-run)`, e.loc);
    else ctx.checker.error(message, e.loc);
  }
  return UINT64;
}
