// HEAD's named program options: after `--`, `--name=value` and `--name` are
// options for getopt() (src/checker/getopt.ts), not positional parameters.
export function isNamedArg(a: string): boolean {
  return /^--[A-Za-z_]/.test(a);
}
