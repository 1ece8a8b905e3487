// LLVM debug locations for the generated IR: every instruction carries the
// line and column of the script construct it came from. The BPF backend turns
// them into .BTF.ext line info, which is how tstrace maps a BPF instruction
// back to the script (`-d asm`, verifier explanations; see src/explain).
//
// A DILocation holds only a start (line, column); `ranges` remembers the
// whole source range of the largest construct starting there, so a BPF
// instruction can be shown with its full expression underlined.
import type * as LLVM from 'llvm-bindings';
import type { Loc } from '../ast/nodes';

type Llvm = typeof LLVM;

// DWARF constants: the BPF backend only reads the line table and the
// subprogram types (for BTF func info), so a minimal description suffices.
const DW_LANG_C99 = 0x0c;
const DW_ATE_unsigned = 0x08;

export function locKey(line: number, col: number): string {
  return `${line}:${col}`;
}

export class DebugInfo {
  private readonly di: LLVM.DIBuilder;
  private readonly file: LLVM.DIFile;
  private readonly cu: LLVM.DICompileUnit;
  private readonly u64: LLVM.DIBasicType;
  /** `line:col` → the widest source range starting there. */
  readonly ranges = new Map<string, Loc>();

  constructor(private readonly llvm: Llvm, private readonly ctx: LLVM.LLVMContext, module: LLVM.Module, fileName: string) {
    module.addModuleFlag(llvm.Module.ModFlagBehavior.Warning, 'Debug Info Version', 3);
    module.addModuleFlag(llvm.Module.ModFlagBehavior.Warning, 'Dwarf Version', 4);
    this.di = new llvm.DIBuilder(module);
    this.file = this.di.createFile(fileName, '.');
    this.cu = this.di.createCompileUnit(DW_LANG_C99, this.file, 'tstrace', true, '', 0);
    // long probe(unsigned long ctx): the context pointer described as a
    // 64-bit integer (llvm-bindings has no createPointerType).
    const u64 = this.di.createBasicType('unsigned long', 64, DW_ATE_unsigned);
    this.u64 = u64;
  }

  /**
   * `params` names the function's arguments (all described as u64). A
   * callback (internal linkage) is marked local to the unit, so its BTF
   * linkage is static, which the kernel requires of callbacks when a loader
   * such as libbpf passes func_info.
   */
  subprogram(fn: LLVM.Function, name: string, line: number, params: string[] = ['ctx'], local = false): LLVM.DISubprogram {
    const type = this.di.createSubroutineType(this.di.getOrCreateTypeArray([this.u64, ...params.map(() => this.u64)]));
    const flags = this.llvm.DISubprogram.DISPFlags;
    const sp = this.di.createFunction(this.file, name, name, this.file, line, type, line,
      0, flags.SPFlagDefinition | (local ? flags.SPFlagLocalToUnit : 0));
    fn.setSubprogram(sp);
    // BTF requires named function arguments (the kernel rejects FUNC types with anonymous ones).
    params.forEach((p, i) => this.di.createParameterVariable(sp, p, i + 1, this.file, line, this.u64, true));
    return sp;
  }

  /**
   * The debug location for code of the construct spanning `loc`, placed at
   * `anchor` (its operator for binary expressions and assignments, as clang
   * does), so nested constructs that start at the same column stay apart.
   */
  location(scope: LLVM.DISubprogram, loc: Loc, anchor: Loc = loc): LLVM.DILocation {
    const key = locKey(anchor.line, anchor.col);
    const known = this.ranges.get(key);
    if (!known || wider(loc, known)) this.ranges.set(key, loc);
    return this.llvm.DILocation.get(this.ctx, anchor.line, anchor.col, scope);
  }

  finishFunction(sp: LLVM.DISubprogram): void {
    this.di.finalizeSubprogram(sp);
  }

  finish(): void {
    this.di.finalize();
  }
}

function wider(a: Loc, b: Loc): boolean {
  return a.endLine > b.endLine || (a.endLine === b.endLine && a.endCol > b.endCol);
}
