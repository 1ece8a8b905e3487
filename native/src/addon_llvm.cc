// tstrace native addon, LLVM half: IR text -> optimised BPF object. Loaded only
// when a script is compiled (not on a compile-cache hit). See src/runtime/native.ts.
#include "common.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tstrace::InitEmit(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(tstrace_llvm, Init)
