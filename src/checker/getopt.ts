// getopt(name[, default]) (HEAD): a named program option given after `--` on
// the command line (`tstrace -e '…' -- --name=value`). The default's type is
// the option's type: int64, string or bool; without a default a bool, true
// for `--name`. Booleans accept true/1 and false/0. A missing option is the
// default. Known when the script is checked; the lowering is a constant
// (src/codegen/getopt.ts).
import type { CallExpr } from '../ast/nodes';
import { argTypes, arity, Rule } from './callargs';
import { comptimeValue } from './comptime';
import { INT64, NONE, str, Type } from './types';

export const getoptValues = new WeakMap<CallExpr, bigint | boolean | string>();

/** The value of `--name=value` / `--name` among the named options, or undefined when absent. */
function lookup(named: readonly string[], name: string): string | undefined {
  let found: string | undefined;
  for (const a of named) {
    const eq = a.indexOf('=');
    const key = eq < 0 ? a.slice(2) : a.slice(2, eq);
    if (key === name) found = eq < 0 ? '' : a.slice(eq + 1);
  }
  return found;
}

export const GETOPT_RULES: Record<string, Rule> = {
  getopt(e: CallExpr, scope, ctx) {
    argTypes(e, scope, ctx);
    if (!arity(e, ctx, 1, 2)) return NONE;
    const checker = ctx.checker;
    const name = e.args[0].kind === 'String' ? e.args[0].value : undefined;
    if (name === undefined) {
      checker.error('getopt() expects a string literal as the option name', e.args[0].loc);
      return NONE;
    }
    const fallback = e.args.length > 1 ? comptimeValue(e.args[1], checker) : false;
    if (fallback === undefined || e.args.length > 1 && e.args[1].kind !== 'String' && e.args[1].kind !== 'Int' && e.args[1].kind !== 'Bool' && !(e.args[1].kind === 'Unary' && e.args[1].op === '-')) {
      checker.error('getopt() expects a literal default value (integer, string or bool)', e.args[1].loc);
      return NONE;
    }
    const given = lookup(checker.options.namedArgs, name);
    let value: bigint | boolean | string = fallback;
    let type: Type;
    if (typeof fallback === 'bigint') {
      type = INT64;
      if (given !== undefined) {
        if (!/^-?[0-9]+$/.test(given)) {
          checker.error(`getopt(): the value of --${name} must be an integer ('${given}' given)`, e.loc);
          return type;
        }
        value = BigInt(given);
      }
    } else if (typeof fallback === 'string') {
      if (given !== undefined) value = given;
      type = str(Buffer.byteLength(value as string, 'latin1') + 1);
    } else {
      type = { kind: 'bool' };
      if (given !== undefined) {
        if (given === '' || given === 'true' || given === '1') value = true;
        else if (given === 'false' || given === '0') value = false;
        else {
          checker.error(`getopt(): the value of --${name} must be true, false, 1 or 0 ('${given}' given)`, e.loc);
          return type;
        }
      }
    }
    getoptValues.set(e, value);
    return type;
  },
};
