import type { Loc } from '../ast/nodes';

/** A construct codegen cannot lower, reported like any other diagnostic. */
export class CodegenError extends Error {
  constructor(message: string, readonly loc?: Loc) {
    super(message);
  }
}
