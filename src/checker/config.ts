// The `config` builtin (HEAD): `config.max_strlen`, `config.max_map_keys`
// read the script's configuration as constants known when it is compiled.
// Only the config variables tstrace honours can be read: a field naming one
// it ignores would give a value that does not describe the run.
import type { FieldExpr, Program } from '../ast/nodes';
import { configValue } from './index';
import type { Checker } from './index';
import { Type, int } from './types';

/** The default of max_map_keys, as codegen's (src/codegen/index.ts) and HEAD's. */
const DEFAULT_MAP_KEYS = 4096n;

/** `config.x` → its value, for codegen. */
export const configReads = new WeakMap<FieldExpr, bigint>();

/** The values `config.` can read, from the config block, the environment and the defaults. */
export function currentConfig(program: Program, strlen: number, mapKeysMax: number | undefined): Record<string, bigint> {
  const block = configValue(program, 'max_map_keys');
  // BPFTRACE_MAP_KEYS_MAX wins over the config block, as in HEAD (src/compiler.ts).
  const keys = mapKeysMax !== undefined ? BigInt(mapKeysMax) : typeof block === 'bigint' ? block : DEFAULT_MAP_KEYS;
  return { max_strlen: BigInt(strlen), max_map_keys: keys };
}

/** `config.name`: its type (uint64, as HEAD's config record), or undefined when `e` reads no config. */
export function checkConfigRead(checker: Checker, e: FieldExpr): Type | undefined {
  if (e.object.kind !== 'Identifier' || e.object.name !== 'config' || e.arrow) return undefined;
  const value = checker.configValues[e.field];
  if (value === undefined) {
    checker.error(`config has no field named ${e.field} (tstrace reads: ${Object.keys(checker.configValues).sort().join(', ')})`, e.loc);
    return { kind: 'none' };
  }
  configReads.set(e, value);
  return int(64, false);
}
