/* Our build of llvm-bindings (native/binding.gyp, target tstrace_llvm) links
 * LLVM's BPF target only. llvm-bindings' InitializeAll*() name every target
 * this LLVM was built with (the .def files of llvm/Config); for all but BPF, whose real
 * initialisers come from its archives, they are defined here and do nothing:
 * tstrace never asks LLVM for another target. The renames below keep BPF's
 * names out of the generated definitions (a pasted token is rescanned for
 * macros). */
#define LLVMInitializeBPFTargetInfo tstrace_unused_bpf_target_info
#define LLVMInitializeBPFTarget tstrace_unused_bpf_target
#define LLVMInitializeBPFTargetMC tstrace_unused_bpf_target_mc
#define LLVMInitializeBPFAsmPrinter tstrace_unused_bpf_asm_printer
#define LLVMInitializeBPFAsmParser tstrace_unused_bpf_asm_parser
#define LLVMInitializeBPFDisassembler tstrace_unused_bpf_disassembler

#define LLVM_TARGET(T) \
  void LLVMInitialize##T##TargetInfo(void) {} \
  void LLVMInitialize##T##Target(void) {} \
  void LLVMInitialize##T##TargetMC(void) {}
#include "llvm/Config/Targets.def"

#define LLVM_ASM_PRINTER(T) void LLVMInitialize##T##AsmPrinter(void) {}
#include "llvm/Config/AsmPrinters.def"

#define LLVM_ASM_PARSER(T) void LLVMInitialize##T##AsmParser(void) {}
#include "llvm/Config/AsmParsers.def"

#define LLVM_DISASSEMBLER(T) void LLVMInitialize##T##Disassembler(void) {}
#include "llvm/Config/Disassemblers.def"
