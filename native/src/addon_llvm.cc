// tstrace native addon, LLVM half: llvm-bindings' API (codegen builds the IR
// with it) and emitObject (IR text -> optimised BPF object), over one LLVM
// with the BPF target only (native/binding.gyp). Loaded only when a script is
// compiled (not on a compile-cache hit). See src/runtime/native.ts.
#include "common.h"

// llvm-bindings' module init (its src/llvm-bindings.cpp, whose object is not
// linked: this file registers the module) calls these; they are declared in
// its include/*/index.h.
void InitADT(Napi::Env env, Napi::Object& exports);
void InitBinaryFormat(Napi::Env env, Napi::Object& exports);
void InitBitCode(Napi::Env env, Napi::Object& exports);
void InitConfig(Napi::Env env, Napi::Object& exports);
void InitIR(Napi::Env env, Napi::Object& exports);
void InitIRReader(Napi::Env env, Napi::Object& exports);
void InitLinker(Napi::Env env, Napi::Object& exports);
void InitMC(Napi::Env env, Napi::Object& exports);
void InitSupport(Napi::Env env, Napi::Object& exports);
void InitTarget(Napi::Env env, Napi::Object& exports);

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitADT(env, exports);
  InitBinaryFormat(env, exports);
  InitBitCode(env, exports);
  InitConfig(env, exports);
  InitIR(env, exports);
  InitIRReader(env, exports);
  InitLinker(env, exports);
  InitMC(env, exports);
  InitSupport(env, exports);
  InitTarget(env, exports);
  tstrace::InitEmit(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(tstrace_llvm, Init)
